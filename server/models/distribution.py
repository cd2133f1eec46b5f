"""Where and when members collect, and what they are to receive: points, distributions, products, orders."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.extensions import db
from server.models.people import Household, User
from server.models.producers import Producer
from server.models.types import UTCDateTime
from sync import pricing
from sync.vocabulary import DISTRIBUTION_STATUSES, SOLD_BY


class Point(db.Model):
    """A place where distributions happen (lieu de distribution); may be ephemeral."""

    __tablename__ = "points"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    town: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200), default="")
    ephemeral: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    distributions: Mapped[list["Distribution"]] = relationship(back_populates="point")


# Volunteers a coordinator assigned to a distribution (reminded the day before; shown in their app).
distribution_volunteers = Table(
    "distribution_volunteers",
    db.Model.metadata,
    Column("distribution_id", ForeignKey("distributions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Distribution(db.Model):
    """One dated opening of a point."""

    __tablename__ = "distributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(
        Enum(*DISTRIBUTION_STATUSES, name="distribution_status", native_enum=False, create_constraint=True),
        default="planned",
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    # When members can no longer change what they receive here (season contracts: subscribe, absences) and the
    # producers' order forms are final; None: the network's default (``server.domain.orders_close``).
    orders_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Events arrived since its conflicts were last looked for (``server.domain.events.check_stale_conflicts``).
    conflicts_stale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    point: Mapped[Point] = relationship(back_populates="distributions")
    orders: Mapped[list["Order"]] = relationship(back_populates="distribution")
    volunteers: Mapped[list[User]] = relationship(secondary=distribution_volunteers, order_by=User.display_name)

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # Only the few distributions waiting for a conflict check are in it.
        Index(
            "ix_distributions_conflicts_stale",
            "conflicts_stale",
            postgresql_where=text("conflicts_stale"),
            sqlite_where=text("conflicts_stale"),
        ),
    )


class Product(db.Model):
    """Something members order: a basket, a dozen eggs, a loaf…; priced in cents at tarif plein.

    ``unit_price_cents`` is the price of one piece or litre, or of one kilogram for a product ``sold_by`` weight
    (``sync.pricing``: its order lines count grams). ``unit`` is the words for one piece ("boîte de 6").
    """

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(40), default="")
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producers.id"), index=True)
    sold_by: Mapped[str] = mapped_column(
        Enum(*SOLD_BY, name="product_sold_by", native_enum=False, create_constraint=True),
        default="piece",
        server_default="piece",
    )
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    # An SSA allowance may pay for it (the network's list of agreed products; the phone enforces it).
    allowance_eligible: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    active: Mapped[bool] = mapped_column(default=True)

    producer: Mapped[Producer | None] = relationship()

    __table_args__ = (CheckConstraint("unit_price_cents >= 0", name="price_not_negative"),)


class Order(db.Model):
    """What a household is to receive at one distribution (commande, panier, contrat)."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    # The household's tier share when the order was taken (or last re-taken): a later change of tier or of a
    # tier's share never rewrites what an order owed.
    share_percent: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    distribution: Mapped[Distribution] = relationship(back_populates="orders")
    household: Mapped[Household] = relationship()
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )

    __table_args__ = (
        UniqueConstraint("distribution_id", "household_id"),
        CheckConstraint("share_percent >= 0 AND share_percent <= 100", name="share_percent_range"),
    )

    def _pairs(self) -> list[tuple[int, int, str, bool]]:
        return [
            (line.quantity, line.unit_price_cents, line.product.sold_by, line.paid_in_advance) for line in self.lines
        ]

    @property
    def full_cents(self) -> int:
        return pricing.order_full_cents(self._pairs())

    @property
    def due_cents(self) -> int:
        """What the household owes at the order's tier share, by the one pricing rule."""
        return pricing.order_due_cents(self._pairs(), self.share_percent)


class OrderLine(db.Model):
    """A product, a quantity and the full unit price agreed when the order was taken."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    # The season contract that generated the line (``server.domain.contract_orders``); None for an imported line.
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    # Not paid at the point (a contract paid by cheques over the season, or from the prepaid account:
    # docs/contracts.md): due 0 at the point (``sync.pricing``).
    paid_in_advance: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
    # How a line not paid at the point is paid (by cheques, or from the prepaid account): the member page says it.
    contract: Mapped["Contract | None"] = relationship()  # noqa: F821 (server.models.contracts)

    __table_args__ = (
        UniqueConstraint("order_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="price_not_negative"),
    )
