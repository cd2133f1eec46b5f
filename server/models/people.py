"""Who is involved: households and their tiers (members), and users of the admin with their roles."""

import secrets
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Column,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    event,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server import search_text
from server.clock import utcnow
from server.extensions import db
from server.models.types import UTCDateTime
from sync import pack
from sync.vocabulary import HOUSEHOLD_STATUSES, USER_ROLES

if TYPE_CHECKING:
    from server.models.distribution import Point
    from server.models.ledger import Account


class Tier(db.Model):
    """A pricing tier: the share of the full price its members pay (100 = tarif plein)."""

    __tablename__ = "tiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    share_percent: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")

    households: Mapped[list["Household"]] = relationship(back_populates="tier")

    __table_args__ = (db.CheckConstraint("share_percent >= 0 AND share_percent <= 100", name="share_percent_range"),)


class Household(db.Model):
    """A member household (adhérent, foyer): who collects orders at a point."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"), index=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("points.id"), index=True)
    status: Mapped[str] = mapped_column(
        Enum(*HOUSEHOLD_STATUSES, name="household_status", native_enum=False, create_constraint=True),
        default="active",
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The member's ticket (docs/tickets.md): the current serial and what it was signed with, so its text can be
    # rendered again; tickets with a serial below ticket_min_serial are revoked (the list travels in packs).
    ticket_serial: Mapped[int | None] = mapped_column(Integer)
    ticket_min_serial: Mapped[int] = mapped_column(Integer, default=0)
    ticket_key_id: Mapped[int | None] = mapped_column(Integer)
    ticket_issued_on: Mapped[date | None] = mapped_column(Date)
    # When ticket_min_serial last rose, in the network's order of such changes (``server.domain.tickets``): phones
    # download the revocations after the revision they hold (``GET /api/tickets/trust?since=``, docs/tickets.md).
    ticket_revision: Mapped[int | None] = mapped_column(BigInteger)
    manual_code: Mapped[str | None] = mapped_column(String(9), unique=True)
    # The member's personal page link (a bearer token the coordinator can copy, mail or print; rotatable).
    page_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Allowance cycles (docs/accounts.md): how many people the household counts, and its contribution band (a code
    # of the network's allowance rule; None: no band). Membership: the last day its fee covers (None: never paid).
    size: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    contribution_band: Mapped[str | None] = mapped_column(String(40))
    membership_paid_until: Mapped[date | None] = mapped_column(Date, index=True)

    tier: Mapped[Tier] = relationship(back_populates="households")
    point: Mapped["Point | None"] = relationship()  # home point, where they usually collect
    accounts: Mapped[list["Account"]] = relationship(back_populates="household")

    __table_args__ = (
        # The members list, the cards to print and the membership list page through households in this order.
        Index("ix_households_name", "last_name", "first_name", "id"),
        # The trust endpoint's pages, in revision order; each revision is handed out once.
        db.Index(
            "ix_households_ticket_revision",
            "ticket_revision",
            unique=True,
            postgresql_where=text("ticket_revision IS NOT NULL"),
            sqlite_where=text("ticket_revision IS NOT NULL"),
        ),
        # Who is to renew (``server.domain.membership.due_query``): each group of active households (never paid, ended,
        # ending soon) counted and paged by name from here.
        db.Index(
            "ix_households_membership_due",
            "membership_paid_until",
            "last_name",
            "first_name",
            "id",
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
        # A pack's revocations of the point's members: the few revoked of a point, not all its members.
        db.Index(
            "ix_households_revoked_by_point",
            "point_id",
            postgresql_where=text("ticket_min_serial > 0"),
            sqlite_where=text("ticket_min_serial > 0"),
        ),
    )

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def short_name(self) -> str:
        """First name and initial: all a device needs to greet a member (the pack's rule, ``sync.pack``)."""
        return pack.display_name(self.first_name, self.last_name)


# The cards to print: active members with a ticket not revoked, newest first then by name (``server/admin/tickets.py``):
# a page read from this index rather than every active household sorted, and their count from this index alone.
Index(
    "ix_households_cards",
    Household.ticket_issued_on.desc(),
    Household.last_name,
    Household.first_name,
    Household.id,
    postgresql_where=text("status = 'active' AND ticket_serial IS NOT NULL AND ticket_serial >= ticket_min_serial"),
    sqlite_where=text("status = 'active' AND ticket_serial IS NOT NULL AND ticket_serial >= ticket_min_serial"),
)


# Member search on PostgreSQL (``server/search_text.py``): a trigram index on each expression the search compares,
# so a search among 200,000 households reads the index, not the table. The ``pg_trgm`` extension lives in the
# ``public`` schema (the migration creates it there; see docs/architecture.md, "Member search"); SQLite has no such
# index and scans.
TRIGRAM_OPS = "public.gin_trgm_ops"
TRIGRAM_EXTENSION = DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
event.listen(Household.__table__, "before_create", TRIGRAM_EXTENSION.execute_if(dialect="postgresql"))


def _trigram_index(name: str, expression: str) -> None:
    """A GIN trigram index on ``expression``, written as PostgreSQL prints it back, so that Alembic's comparison of
    the models with the database (tests/test_migrations.py) finds them equal."""
    indexed = literal_column(expression)  # its key is its text: the key ``postgresql_ops`` looks up
    index = Index(name, indexed, postgresql_using="gin", postgresql_ops={expression: TRIGRAM_OPS})
    index.ddl_if(dialect="postgresql")
    index._set_parent(Household.__table__)  # an expression alone does not name its table


_FOLDED = f"translate(lower(({{}} || ' ') || {{}}), '{search_text.ACCENTED}', '{search_text.PLAIN}')"
_trigram_index("ix_households_search_first_last", _FOLDED.format("first_name", "last_name"))
_trigram_index("ix_households_search_last_first", _FOLDED.format("last_name", "first_name"))
_trigram_index("ix_households_search_email", "email")


user_points = Table(
    "user_points",
    db.Model.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("point_id", ForeignKey("points.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    """Someone who signs in: an admin (whole network), a coordinator or a volunteer (their points)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(Enum(*USER_ROLES, name="user_role", native_enum=False, create_constraint=True))
    active: Mapped[bool] = mapped_column(default=True)
    # The WebAuthn user handle: random, never the e-mail or the id (authenticators keep it with the passkey).
    webauthn_handle: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_hex(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    points: Mapped[list["Point"]] = relationship(secondary=user_points)
    passkeys: Mapped[list["Passkey"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Passkey.id"
    )

    @property
    def point_ids(self) -> set[int]:
        return {point.id for point in self.points}


class Passkey(db.Model):
    """A WebAuthn credential of a user (several per user: phone, laptop, security key)."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    transports: Mapped[list[str]] = mapped_column(JSON, default=list)
    backed_up: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="passkeys")


class SignInLink(db.Model):
    """A one-time link (sign-in, later invitation): only the token's SHA-256 is stored."""

    __tablename__ = "sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20), default="sign_in")  # sign_in | invitation
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class WebAuthnChallenge(db.Model):
    """A WebAuthn ceremony in progress: its challenge is kept server-side and used once, so no replay passes."""

    __tablename__ = "webauthn_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    ceremony: Mapped[str] = mapped_column(String(64), unique=True)  # random id the browser sends back
    purpose: Mapped[str] = mapped_column(String(20))  # registration | authentication
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
