"""Season contracts (contrats de saison): a producer's offer at a point for a period, the households subscribed to
it, their quantities and absences. Orders are generated from them (``server.domain.contract_orders``)."""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.extensions import db
from server.models.distribution import Distribution, Point, Product
from server.models.people import Household
from server.models.producers import Producer
from server.models.types import UTCDateTime
from sync.vocabulary import ABSENCE_KINDS, CONTRACT_FREQUENCIES, CONTRACT_PAYMENTS, SUBSCRIPTION_STATUSES

# The distributions a "chosen dates" contract delivers at.
contract_dates = Table(
    "contract_dates",
    db.Model.metadata,
    Column("contract_id", ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True),
    Column("distribution_id", ForeignKey("distributions.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Contract(db.Model):
    """A producer's offer for a season at a point: what, how often, at what price per delivery, how it is paid."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # Local dates (the network's timezone), both included.
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    frequency: Mapped[str] = mapped_column(
        Enum(*CONTRACT_FREQUENCIES, name="contract_frequency", native_enum=False, create_constraint=True),
        default="every",
    )
    payment: Mapped[str] = mapped_column(
        Enum(*CONTRACT_PAYMENTS, name="contract_payment", native_enum=False, create_constraint=True),
        default="per_delivery",
    )
    cheque_count: Mapped[int] = mapped_column(Integer, default=0)  # "cheques": how many over the season
    subscriptions_open: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    absence_cap: Mapped[int] = mapped_column(Integer, default=0)  # how many dates a subscriber may be absent
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    producer: Mapped[Producer] = relationship()
    point: Mapped[Point] = relationship()
    products: Mapped[list["ContractProduct"]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractProduct.id"
    )
    chosen: Mapped[list[Distribution]] = relationship(secondary=contract_dates, order_by=Distribution.starts_at)

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("cheque_count >= 0", name="cheque_count_not_negative"),
        CheckConstraint("absence_cap >= 0", name="absence_cap_not_negative"),
    )


class ContractProduct(db.Model):
    """A product a contract delivers, at its price per delivery (full price, cents) and default quantity."""

    __tablename__ = "contract_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    default_quantity: Mapped[int] = mapped_column(Integer, default=1)

    contract: Mapped[Contract] = relationship(back_populates="products")
    product: Mapped[Product] = relationship()

    __table_args__ = (
        UniqueConstraint("contract_id", "product_id"),
        CheckConstraint("unit_price_cents >= 0", name="price_not_negative"),
        CheckConstraint("default_quantity > 0", name="quantity_positive"),
    )


class Subscription(db.Model):
    """A household's subscription to a contract, or its place on the contract's waiting list (``status``).

    A shared basket names a ``partner``: the two households take the deliveries in turn, the household first when
    ``partner_starts`` is false."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    status: Mapped[str] = mapped_column(
        Enum(*SUBSCRIPTION_STATUSES, name="subscription_status", native_enum=False, create_constraint=True),
        default="active",
    )
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    partner_starts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A member's own subscription: it delivers at the distributions whose orders were still open then (None: an
    # admin's, the whole season).
    orders_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship()
    household: Mapped[Household] = relationship(foreign_keys=[household_id])
    partner: Mapped[Household | None] = relationship(foreign_keys=[partner_id])
    quantities: Mapped[list["SubscriptionQuantity"]] = relationship(
        back_populates="subscription", cascade="all, delete-orphan", order_by="SubscriptionQuantity.id"
    )
    absences: Mapped[list["Absence"]] = relationship(
        back_populates="subscription", cascade="all, delete-orphan", order_by="Absence.id"
    )

    __table_args__ = (
        UniqueConstraint("contract_id", "household_id"),
        CheckConstraint("partner_id IS NULL OR partner_id <> household_id", name="partner_not_self"),
    )


class SubscriptionQuantity(db.Model):
    """How many of a contract's product a subscription takes at each delivery."""

    __tablename__ = "subscription_quantities"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True)
    contract_product_id: Mapped[int] = mapped_column(ForeignKey("contract_products.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    subscription: Mapped[Subscription] = relationship(back_populates="quantities")
    contract_product: Mapped[ContractProduct] = relationship()

    __table_args__ = (
        UniqueConstraint("subscription_id", "contract_product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )


class Absence(db.Model):
    """A subscription's basket at one distribution: not due (``skip``), given to ``given_to`` (``given``), or
    offered to the contract's waiting list (``offered``: the first household waiting gets it)."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(
        Enum(*ABSENCE_KINDS, name="absence_kind", native_enum=False, create_constraint=True), default="skip"
    )
    given_to_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subscription: Mapped[Subscription] = relationship(back_populates="absences")
    distribution: Mapped[Distribution] = relationship()
    given_to: Mapped[Household | None] = relationship()

    __table_args__ = (
        UniqueConstraint("subscription_id", "distribution_id"),
        CheckConstraint("(kind = 'given') = (given_to_id IS NOT NULL)", name="given_names_household"),
    )
