"""Account movements in words, for the admin's statement, the member page and the exports: "Retrait du 4 décembre à
Lognes", "Extras achetés le 5 décembre à Noisiel", "Allocation de décembre", "Versement par chèque n° 123",
"Correction : …"; and who made each one (an admin, a phone, the scheduled credit). ``MovementWords.for_movements``
reads the names one page needs at once."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from server.extensions import db
from server.formatting import elide, line_text
from server.labels import PAYMENT_METHOD_LABELS
from server.models import (
    Account,
    AccountMovement,
    Contract,
    Device,
    Distribution,
    Order,
    OrderLine,
    Product,
    SyncedEvent,
    User,
)


def receipt_number(movement: AccountMovement) -> str:
    """A top-up's receipt number: its movement's id, which nothing else reuses."""
    return str(movement.id)


def has_receipt(movement: AccountMovement) -> bool:
    return movement.kind in ("top_up", "refund")


def _contract_names(movements: list[AccountMovement]) -> dict[tuple[int, int], str]:
    """(distribution id, account id) → the prepaid contracts' names on that account's order there, for the contract
    debits among ``movements`` (one query by their distributions)."""
    debits = [m for m in movements if m.kind == "contract_debit" and m.distribution_id]
    if not debits:
        return {}
    rows = db.session.execute(
        select(Order.distribution_id, Account.id, Contract.name)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Contract, Contract.id == OrderLine.contract_id)
        .join(Account, Account.household_id == Order.household_id)
        .where(
            Order.distribution_id.in_(sorted({m.distribution_id for m in debits})),
            Account.id.in_(sorted({m.account_id for m in debits})),
            Contract.payment == "prepaid",
        )
        .distinct()
        .order_by(Contract.name)
    ).tuples()
    names: dict[tuple[int, int], list[str]] = {}
    for distribution_id, account_id, name in rows:
        names.setdefault((distribution_id, account_id), []).append(name)
    return {key: ", ".join(found) for key, found in names.items()}


@dataclass
class MovementWords:
    distributions: dict[int, Distribution]
    users: dict[int, User]
    devices: dict[int, Device]
    # The subject events that are sales of extras (not an order's payment) → what was bought: "2 × Miel, Tomme (480 g)"
    sales: dict[str, str] = field(default_factory=dict)
    # (distribution id, account id) → the names of the contracts paid from the prepaid account a debit is for
    contracts: dict[tuple[int, int], str] | None = None

    @classmethod
    def for_movements(cls, movements: Iterable[AccountMovement]) -> "MovementWords":
        movements = list(movements)
        wanted = {
            "distributions": {m.distribution_id for m in movements if m.distribution_id},
            "users": {m.actor_id for m in movements if m.actor_id},
            "devices": {m.device_id for m in movements if m.device_id},
        }
        distributions = {
            d.id: d
            for d in db.session.scalars(
                select(Distribution)
                .options(joinedload(Distribution.point))
                .where(Distribution.id.in_(sorted(wanted["distributions"])))
            )
        }
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(sorted(wanted["users"]))))}
        devices = {d.id: d for d in db.session.scalars(select(Device).where(Device.id.in_(sorted(wanted["devices"]))))}
        # A sale of extras is worded as such: its subject event, looked up by its unique id within its distribution.
        paid = [m for m in movements if m.subject_event_id and m.distribution_id and m.kind in ("payment", "void")]
        rows = (
            db.session.execute(
                select(SyncedEvent.event_id, SyncedEvent.payload).where(
                    SyncedEvent.event_id.in_(sorted({m.subject_event_id for m in paid})),
                    SyncedEvent.distribution_id.in_(sorted({m.distribution_id for m in paid})),
                    SyncedEvent.type == "sale",
                )
            ).all()
            if paid
            else []
        )
        ids = {line["product_id"] for _id, payload in rows for line in payload.get("lines", ())}
        products = (
            {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(sorted(ids))))} if ids else {}
        )

        def bought(line: dict) -> str:
            product = products.get(line["product_id"])
            name = product.name if product is not None else "?"
            if line.get("grams"):
                return line_text(line["grams"], name, "kg")
            return line_text(line["quantity"], name)

        sales = {event_id: ", ".join(bought(line) for line in payload.get("lines", ())) for event_id, payload in rows}
        return cls(distributions, users, devices, sales, _contract_names(movements))

    def _where(self, movement: AccountMovement) -> dict[str, str] | None:
        distribution = self.distributions.get(movement.distribution_id) if movement.distribution_id else None
        if distribution is None:
            return None
        day = format_datetime(distribution.starts_at, "d MMMM").replace(" ", "\u00a0")
        return {"day": day, "town": distribution.point.town or distribution.point.name}

    def what(self, movement: AccountMovement) -> str:
        """What made the movement, in a short sentence starting with a capital."""
        where = self._where(movement)
        reference = movement.method_details or ""
        sale = movement.subject_event_id in self.sales
        items = self.sales.get(movement.subject_event_id or "", "")
        match movement.kind:
            case "payment" if sale:
                if where:
                    return elide(_("Extras bought on %(day)s at %(town)s: %(items)s", items=items, **where))
                return elide(_("Extras bought at a distribution: %(items)s", items=items))
            case "void" if sale:
                if where:
                    return elide(_("Extras bought on %(day)s at %(town)s undone: %(items)s", items=items, **where))
                return elide(_("Extras bought undone: %(items)s", items=items))
            case "payment":
                if where:
                    return _("Withdrawal of %(day)s at %(town)s", **where)
                return _("Withdrawal at a distribution")
            case "void":
                if where:
                    return _("Withdrawal of %(day)s at %(town)s undone", **where)
                return _("Withdrawal undone")
            case "resolution":
                if where:
                    return _("Settlement of a conflict of %(day)s at %(town)s", **where)
                return _("Settlement of a conflict")
            case "point_top_up":
                if where:
                    return _("Top-up at the point on %(day)s at %(town)s", **where)
                return _("Top-up at the point")
            case "top_up":
                if movement.method is None and movement.reason:  # brought in without its method (the demo)
                    return movement.reason
                return self.top_up_words(movement.method, reference)
            case "refund":
                text = {
                    "cash": _("Refund in cash"),
                    "cheque": _("Refund by cheque"),
                    "transfer": _("Refund by bank transfer"),
                    "card": _("Refund by card"),
                }.get(movement.method or "", _("Refund"))
                return _("%(text)s: %(reason)s", text=text, reason=movement.reason) if movement.reason else text
            case "correction":
                return _("Correction: %(reason)s", reason=movement.reason)
            case "cycle_credit":
                return elide(_("Allowance of %(month)s", month=self.month(movement.period)))
            case "cycle_expiry":
                return elide(_("Unspent allowance of %(month)s expired", month=self.month(movement.period)))
            case "shortage_credit":
                return self.shortage_words(movement, where)
            case "contract_debit":
                return self.contract_words(movement, where)
            case _:
                text = _("Opening balance")
                return _("%(text)s: %(reason)s", text=text, reason=movement.reason) if movement.reason else text

    def contract_words(self, movement: AccountMovement, where: dict[str, str] | None) -> str:
        """What a season contract paid from the prepaid account took for the basket handed over, or gave back when
        the hand-over was undone or changed (``server.domain.contract_debits``)."""
        key = (movement.distribution_id or 0, movement.account_id)
        name = (self.contracts or {}).get(key, "")
        if movement.amount_cents < 0:
            if where:
                return _("Basket “%(contract)s” of %(day)s at %(town)s, on the prepaid account", contract=name, **where)
            return _("Season contract basket, on the prepaid account")
        if where:
            return _("Basket “%(contract)s” of %(day)s at %(town)s: given back", contract=name, **where)
        return _("Season contract basket: given back")

    @staticmethod
    def shortage_words(movement: AccountMovement, where: dict[str, str] | None) -> str:
        """What a shortage (or a cheaper substitution, ``reason`` "substitution") gave back to the account that paid
        before it, or took back when it was undone."""
        if movement.reason == "substitution":
            if movement.amount_cents >= 0:
                if where:
                    return _("Product replaced on %(day)s at %(town)s: paid beforehand, difference given back", **where)
                return _("Product replaced: paid beforehand, difference given back")
            if where:
                return _("Product replaced on %(day)s at %(town)s: given back, then undone", **where)
            return _("Product replaced: given back, then undone")
        if movement.amount_cents >= 0:
            if where:
                return _("Product short on %(day)s at %(town)s: paid beforehand, given back", **where)
            return _("Product short: paid beforehand, given back")
        if where:
            return _("Product short on %(day)s at %(town)s: given back, then undone", **where)
        return _("Product short: given back, then undone")

    @staticmethod
    def top_up_words(method: str | None, reference: str) -> str:
        match method:
            case "cash":
                return _("Top-up in cash")
            case "cheque":
                return _("Top-up by cheque no. %(ref)s", ref=reference) if reference else _("Top-up by cheque")
            case "transfer":
                return (
                    _("Top-up by bank transfer, ref. %(ref)s", ref=reference)
                    if reference
                    else _("Top-up by bank transfer")
                )
            case "card":
                return _("Top-up by card, terminal ref. %(ref)s", ref=reference) if reference else _("Top-up by card")
        return _("Top-up")

    @staticmethod
    def month(period: str | None) -> str:
        """ "2026-12" → "décembre" (the period a cycle credit is for)."""
        try:
            year, month = (int(part) for part in (period or "").split("-"))
            return format_date(date(year, month, 1), "MMMM y")
        except ValueError:
            return period or ""

    def who(self, movement: AccountMovement) -> str:
        """Who made it: the admin's name, the phone's name, or the scheduled credit."""
        if movement.actor_id and movement.actor_id in self.users:
            user = self.users[movement.actor_id]
            return user.display_name or user.email
        if movement.device_id and movement.device_id in self.devices:
            return _("phone “%(name)s”", name=self.devices[movement.device_id].name)
        if movement.kind in ("cycle_credit", "cycle_expiry"):
            return _("scheduled credit")
        return "—"

    @staticmethod
    def method(movement: AccountMovement) -> str:
        return str(PAYMENT_METHOD_LABELS[movement.method]) if movement.method in PAYMENT_METHOD_LABELS else ""
