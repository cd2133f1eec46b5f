"""Allowance cycles (SSA, allocation solidaire): the network's rule, its contribution bands, and each period's run.

The rule is one row (id 1): how much each eligible household receives per period (a base per household plus an
amount per additional person, or a band's own amounts or percentage), and what happens to an unspent balance when
the period ends. ``allowance_cycles`` keeps, per period, what the scheduled command credited and expired (counted
as it posts, so the admin page never sums 200,000 movements). See ``docs/accounts.md``, "Allowance cycles".
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Enum, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UTCDateTime

ALLOWANCE_PERIODS = ("month", "week")
TOTAL = BigInteger().with_variant(Integer, "sqlite")  # a period's total over 200,000 households passes 2^31 cents
UNSPENT_RULES = ("keep", "cap", "expire")


class AllowanceRule(db.Model):
    """The network's allowance rule (a single row, id 1). Off until an admin turns it on."""

    __tablename__ = "allowance_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    period: Mapped[str] = mapped_column(
        Enum(*ALLOWANCE_PERIODS, name="allowance_period", native_enum=False, create_constraint=True),
        default="month",
        server_default="month",
    )
    base_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    per_person_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unspent: Mapped[str] = mapped_column(
        Enum(*UNSPENT_RULES, name="allowance_unspent", native_enum=False, create_constraint=True),
        default="keep",
        server_default="keep",
    )
    cap_cents: Mapped[int | None] = mapped_column(Integer)
    # The first period credited is the one that contains this day: nothing is credited for the periods before it.
    starts_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        db.CheckConstraint("base_cents >= 0 AND per_person_cents >= 0", name="amounts_positive"),
        db.CheckConstraint("cap_cents IS NULL OR cap_cents >= 0", name="cap_positive"),
    )

    @classmethod
    def current(cls) -> "AllowanceRule":
        """The rule row, created (off) on first use."""
        rule = db.session.get(cls, 1)
        if rule is None:
            rule = cls(id=1, enabled=False, period="month", base_cents=0, per_person_cents=0, unspent="keep")
            db.session.add(rule)
            db.session.flush()
        return rule


class ContributionBand(db.Model):
    """A contribution band (tranche de cotisation): what its households pay into the scheme each period, and what
    they receive, either its own amounts or the rule's amounts times ``allowance_percent``. Households name it by
    ``code`` (``households.contribution_band``)."""

    __tablename__ = "contribution_bands"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    contribution_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    base_cents: Mapped[int | None] = mapped_column(Integer)
    per_person_cents: Mapped[int | None] = mapped_column(Integer)
    allowance_percent: Mapped[int] = mapped_column(Integer, default=100, server_default="100")

    __table_args__ = (
        db.CheckConstraint("contribution_cents >= 0", name="contribution_positive"),
        db.CheckConstraint(
            "(base_cents IS NULL OR base_cents >= 0) AND (per_person_cents IS NULL OR per_person_cents >= 0)",
            name="band_amounts_positive",
        ),
        db.CheckConstraint("allowance_percent >= 0 AND allowance_percent <= 1000", name="percent_range"),
    )


class AllowanceCycle(db.Model):
    """One period's run of ``accounts credit-due``: what it credited and expired, added to as each batch commits
    (by the rows actually inserted, so two runs at once count each household once); ``completed_at`` once a run went
    through every eligible household."""

    __tablename__ = "allowance_cycles"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date)
    credited_households: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    credited_cents: Mapped[int] = mapped_column(TOTAL, default=0, server_default="0")
    expired_households: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expired_cents: Mapped[int] = mapped_column(TOTAL, default=0, server_default="0")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
