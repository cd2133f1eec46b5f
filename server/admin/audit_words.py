"""The audit log in sentences: "Valérie Roux resolved the conflict “Order handed over twice” of the distribution of
4 December at Maison du Luzard: kept the first hand-over.", each name a link to its page.

An audit entry stores an action code, a target (``kind:id``) and JSON details for support; a person reads a
sentence. ``AuditWords`` reads the names behind the ids of one page of entries at once (a query per kind of thing),
then ``sentence`` writes each entry; the raw details stay one click away on the page, for support.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from server.admin.forms import network_timezone
from server.extensions import db
from server.formatting import money
from server.labels import (
    ACCOUNT_KIND_LABELS,
    CHEQUE_STATE_LABELS,
    CONFLICT_KIND_LABELS,
    PAYMENT_METHOD_LABELS,
    decision_labels,
)
from server.models import AuditEntry, Device, Distribution, Household, Point, Product, Tier, User

# Which model a target's kind names, and the page a name links to (None: no page of its own).
MODELS: dict[str, tuple[type, str | None]] = {
    "user": (User, "admin.user_edit"),
    "household": (Household, "admin.member_edit"),
    "distribution": (Distribution, "admin.distribution_log"),
    "device": (Device, "admin.devices"),
    "point": (Point, "admin.point_edit"),
    "tier": (Tier, "admin.tier_edit"),
    "product": (Product, "admin.product_edit"),
}
ID_FIELDS = {"point": "point", "distribution": "distribution"}  # details that name a thing by its id

FIELD_LABELS = {
    "name": _l("name"),
    "town": _l("town"),
    "share_percent": _l("share"),
    "starts_at": _l("start"),
    "ends_at": _l("end"),
    "status": _l("status"),
    "role": _l("role"),
    "email": _l("email"),
    "display_name": _l("name"),
    "points": _l("points"),
    "unit_price_cents": _l("unit price"),
    "code": _l("code"),
    "notes": _l("notes"),
    "tier": _l("tier"),
    "point": _l("point"),
    "membership_fee_cents": _l("membership fee"),
    "membership_required": _l("membership required"),
    "prepaid_floor_cents": _l("prepaid floor"),
    "show_tier_at_counter": _l("tier shown at the counter"),
    "cash_gap_threshold_cents": _l("cash gap to check"),
    "low_balance_cents": _l("balance to check"),
    "size": _l("household size"),
    "contribution_band": _l("contribution band"),
    "orders_close_at": _l("orders close"),
    "orders_close_days": _l("days before orders close"),
    "orders_close_time": _l("time orders close"),
}


def parse_target(target: str) -> tuple[str, int] | None:
    """``distribution:12`` (or the older ``distribution 12``) → ("distribution", 12)."""
    for separator in (":", " "):
        kind, _sep, rest = (target or "").partition(separator)
        if rest.isdigit() and kind in MODELS:
            return kind, int(rest)
    return None


@dataclass
class AuditWords:
    """The names one page of the audit log needs, read at once."""

    things: dict[tuple[str, int], Any]

    @classmethod
    def for_entries(cls, entries: Iterable[AuditEntry]) -> "AuditWords":
        wanted: dict[str, set[int]] = defaultdict(set)
        for entry in entries:
            parsed = parse_target(entry.target)
            if parsed:
                wanted[parsed[0]].add(parsed[1])
            details = entry.details if isinstance(entry.details, dict) else {}
            for key, kind in ID_FIELDS.items():
                if isinstance(details.get(key), int):
                    wanted[kind].add(details[key])
        things = {}
        for kind, ids in wanted.items():
            model = MODELS[kind][0]
            for row in db.session.scalars(select(model).where(model.id.in_(sorted(ids)))):
                things[kind, row.id] = row
        return cls(things)

    # Names, as links where the thing has a page.

    def link(self, kind: str, thing_id: int | None, text: str | None = None) -> Markup:
        thing = self.things.get((kind, thing_id)) if thing_id is not None else None
        if thing is None:
            return escape(text or _("an item that no longer exists"))
        name = text or self.name(kind, thing)
        endpoint = MODELS[kind][1]
        if endpoint is None:
            return escape(name)
        arguments = {} if kind == "device" else {f"{kind}_id": thing.id}
        return Markup('<a href="{}">{}</a>').format(url_for(endpoint, **arguments), name)

    @staticmethod
    def name(kind: str, thing: Any) -> str:
        if kind == "user":
            return thing.display_name or thing.email
        if kind == "household":
            return f"{thing.first_name} {thing.last_name}"
        if kind == "distribution":
            day = format_datetime(thing.starts_at, "d MMMM y")
            return _("the distribution of %(day)s at %(point)s", day=day, point=thing.point.name)
        if kind == "point":
            return thing.name
        if kind == "tier":
            return thing.name
        if kind == "product":
            return thing.name
        if kind == "device":
            return thing.name
        return str(thing.id)

    def target(self, entry: AuditEntry) -> Markup:
        parsed = parse_target(entry.target)
        return self.link(*parsed) if parsed else escape(_("an item that no longer exists"))

    def who(self, entry: AuditEntry) -> Markup:
        if entry.user is not None:
            return self.link_user(entry.user)
        if entry.remote_addr == "cli":
            return escape(_("The command line"))
        return escape(_("Someone not signed in"))

    def link_user(self, user: User) -> Markup:
        self.things.setdefault(("user", user.id), user)
        return self.link("user", user.id)

    # Sentences.

    def sentence(self, entry: AuditEntry) -> Markup:
        details = entry.details if isinstance(entry.details, dict) else {}
        write = SENTENCES.get(entry.action)
        values = {"who": self.who(entry), "target": self.target(entry)}
        if write is None:
            return fmt(_l("%(who)s: %(action)s."), who=values["who"], action=entry.action)
        return write(self, entry, details, values)

    def changes(self, details: dict) -> str:
        """``{"share_percent": [100, 70]}`` → "share: 100 → 70"."""
        changes = details.get("changes")
        if not isinstance(changes, dict):
            return ""
        parts = []
        for field, change in changes.items():
            label = str(FIELD_LABELS.get(field, field.replace("_", " ")))
            if isinstance(change, list | tuple) and len(change) == 2:
                parts.append(f"{label} {self.value(field, change[0])} → {self.value(field, change[1])}")
            else:
                parts.append(label)
        return ", ".join(parts)

    def value(self, field: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if field.endswith("_cents") and isinstance(value, int):
            return money(value)
        if field.endswith("_at") and isinstance(value, str):
            try:
                return format_datetime(datetime.fromisoformat(value).astimezone(network_timezone()), "d MMM y, HH:mm")
            except ValueError:
                return value
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return f"“{value}”" if isinstance(value, str) else str(value)


def fmt(message: Any, **values: Any) -> Markup:
    """A translated sentence with its values: links (``Markup``) kept, any other value escaped."""
    return escape(str(message)) % values


def plural(singular: str, plural_: str, num: int, **values: Any) -> Markup:
    """``ngettext`` for a sentence with links: the values are escaped here, the links kept."""
    safe = {key: value if isinstance(value, Markup) else escape(value) for key, value in values.items()}
    return Markup(ngettext(singular, plural_, num, **safe))


def _with_changes(text: Markup, words: AuditWords, details: dict) -> Markup:
    changes = words.changes(details)
    return fmt(_l("%(text)s: %(changes)s."), text=text, changes=changes) if changes else text + "."


Writer = Callable[[AuditWords, AuditEntry, dict, dict], Markup]


def _conflict(words: AuditWords, entry: AuditEntry, d: dict, v: dict) -> Markup:
    kind = str(CONFLICT_KIND_LABELS.get(d.get("kind", ""), d.get("kind", "")))
    labels = decision_labels(d.get("kind", ""))
    decision = str(labels.get(d.get("decision", ""), d.get("decision", "")))
    distribution = words.link("distribution", d.get("distribution"))
    text = fmt(
        _l("%(who)s resolved the conflict “%(kind)s” of %(distribution)s. Decision: %(decision)s."),
        who=v["who"],
        kind=kind,
        distribution=distribution,
        decision=decision,
    )
    if d.get("comment"):
        text += " " + fmt(_l("Comment: “%(comment)s”"), comment=d["comment"])
    return text


def _simple(message: Any) -> Writer:
    """A sentence naming who and the target (a lazy message with ``%(who)s`` and ``%(target)s``)."""
    return lambda words, entry, d, v: fmt(message, **v)


def _changed(message: Any) -> Writer:
    return lambda words, entry, d, v: _with_changes(fmt(message, **v), words, d)


def _import(words: AuditWords, entry: AuditEntry, d: dict, v: dict) -> Markup:
    created = ngettext("%(num)d order created", "%(num)d orders created", d.get("created", 0))
    replaced = ngettext("%(num)d replaced", "%(num)d replaced", d.get("replaced", 0))
    return fmt(
        _l("%(who)s imported the orders of %(target)s from “%(file)s”: %(created)s, %(replaced)s."),
        file=d.get("filename", ""),
        created=created,
        replaced=replaced,
        **v,
    )


def _tickets_missing(words: AuditWords, entry: AuditEntry, d: dict, v: dict) -> Markup:
    return plural(
        "%(who)s issued the %(num)d missing ticket.",
        "%(who)s issued the %(num)d missing tickets.",
        d.get("count", 0),
        who=v["who"],
    )


def _volunteers(words: AuditWords, entry: AuditEntry, d: dict, v: dict) -> Markup:
    return plural(
        "%(who)s chose the volunteers of %(target)s: %(num)d volunteer.",
        "%(who)s chose the volunteers of %(target)s: %(num)d volunteers.",
        len(d.get("volunteers") or []),
        **v,
    )


def _named(message: Any, field: str) -> Writer:
    return lambda words, entry, d, v: fmt(message, name=d.get(field, ""), **v)


def _money_action(message: Any) -> Writer:
    """A top-up or refund: its amount and method (``server.domain.account_actions``)."""

    def write(words: AuditWords, entry: AuditEntry, d: dict, v: dict) -> Markup:
        cents = d.get("amount_cents")
        method = str(PAYMENT_METHOD_LABELS.get(d.get("method", ""), d.get("method", ""))).lower()
        amount = money(cents) if isinstance(cents, int) else "?"
        return fmt(message, amount=amount, method=method, **v)

    return write


def _correction(words: AuditWords, entry: AuditEntry, d: dict, v: dict) -> Markup:
    cents = d.get("amount_cents")
    amount = (("+" if cents > 0 else "") + money(cents)) if isinstance(cents, int) else "?"
    account = str(ACCOUNT_KIND_LABELS.get(d.get("account", ""), d.get("account", ""))).lower()
    return fmt(
        _l("%(who)s corrected the %(account)s of %(target)s by %(amount)s: “%(reason)s”."),
        account=account,
        amount=amount,
        reason=d.get("reason", ""),
        **v,
    )


def _cheques_marked(words: AuditWords, entry: AuditEntry, d: dict, v: dict) -> Markup:
    ids = d.get("cheque_ids")
    state = CHEQUE_STATE_LABELS.get(d.get("state", ""), d.get("state", ""))
    return fmt(
        _l("%(who)s marked %(count)s cheques as “%(state)s” on %(on)s."),
        count=len(ids) if isinstance(ids, list) else "?",
        state=str(state),
        on=d.get("on", ""),
        **v,
    )


SENTENCES: dict[str, Writer] = {
    "producer.create": _named(_l("%(who)s created the producer “%(name)s”."), "name"),
    "producer.update": _changed(_l("%(who)s changed a producer")),
    "cheques.mark": _cheques_marked,
    "account.top_up": _money_action(
        _l("%(who)s credited %(amount)s to the prepaid balance of %(target)s (%(method)s).")
    ),
    "account.refund": _money_action(
        _l("%(who)s refunded %(amount)s from the prepaid balance of %(target)s (%(method)s).")
    ),
    "account.correct": _correction,
    "conflict.resolve": _conflict,
    "distribution.create": _simple(_l("%(who)s created %(target)s.")),
    "distribution.update": _changed(_l("%(who)s changed %(target)s")),
    "distribution.volunteers": _volunteers,
    "orders.import": _import,
    "device.enrolment_create": _named(_l("%(who)s prepared the enrolment of the phone “%(name)s”."), "name"),
    "device.enrol": _simple(_l("%(who)s enrolled the phone %(target)s.")),
    "device.revoke": _simple(_l("%(who)s revoked the phone %(target)s.")),
    "device.key_register": _simple(_l("The phone %(target)s registered its signing key.")),
    "shift.start": _simple(_l("%(who)s started a shift on the phone %(target)s.")),
    "shift.end": _simple(_l("%(who)s ended a shift on the phone %(target)s.")),
    "user.create": _simple(_l("%(who)s created the account of %(target)s.")),
    "user.invite": _simple(_l("%(who)s invited %(target)s.")),
    "user.update": _changed(_l("%(who)s changed the account of %(target)s")),
    "household.create": _simple(_l("%(who)s added the member %(target)s.")),
    "household.update": _simple(_l("%(who)s changed the details of the member %(target)s.")),
    "household.allowance": _changed(_l("%(who)s changed the allowance of the member %(target)s")),
    "network.settings": _changed(_l("%(who)s changed the network's settings")),
    "membership.settings": _changed(_l("%(who)s changed the membership settings")),
    "allowance_rule.update": _changed(_l("%(who)s changed the allowance rule")),
    "contribution_band.create": _named(_l("%(who)s created the contribution band “%(name)s”."), "code"),
    "contribution_band.update": _changed(_l("%(who)s changed a contribution band")),
    "contribution_band.delete": _named(_l("%(who)s deleted the contribution band “%(name)s”."), "code"),
    "tier.create": _simple(_l("%(who)s created the tier %(target)s.")),
    "tier.update": _changed(_l("%(who)s changed the tier %(target)s")),
    "tier.delete": _named(_l("%(who)s deleted the tier “%(name)s”."), "name"),
    "product.create": _simple(_l("%(who)s created the product %(target)s.")),
    "product.update": _changed(_l("%(who)s changed the product %(target)s")),
    "point.create": _named(_l("%(who)s created the point “%(name)s”."), "name"),
    "point.update": _changed(_l("%(who)s changed the point %(target)s")),
    "ticket.issue": _simple(_l("%(who)s issued a ticket for %(target)s.")),
    "ticket.issue_missing": _tickets_missing,
    "ticket.revoke": _simple(_l("%(who)s revoked the tickets of %(target)s.")),
    "member_page.rotate": _simple(_l("%(who)s gave %(target)s a new member page link.")),
    "ticket_key.create": _simple(_l("%(who)s created a new ticket signing key.")),
    "ticket_key.withdraw": _simple(_l("%(who)s withdrew a ticket signing key.")),
    "sign_in.passkey": _simple(_l("%(who)s signed in with a passkey.")),
    "sign_in.link": _simple(_l("%(who)s signed in with a sign-in link.")),
    "sign_in.refused": _simple(_l("A sign-in with a passkey was refused.")),
    "sign_in_link.create": _simple(_l("%(who)s created a sign-in link for %(target)s.")),
    "invitation.accept": _simple(_l("%(who)s accepted their invitation and registered a passkey.")),
    "invitation.refused": _simple(_l("An invitation for %(target)s was refused.")),
    "passkey.register": _named(_l("%(who)s registered the passkey “%(name)s”."), "name"),
    "passkey.rename": _simple(_l("%(who)s renamed a passkey of %(target)s.")),
    "passkey.delete": _named(_l("%(who)s deleted the passkey “%(name)s” of %(target)s."), "name"),
    "passkey.refused": _simple(_l("A passkey for %(target)s was refused.")),
    "passkey.sign_count_regression": _simple(
        _l("A passkey of %(target)s was used with an old counter: it may be a copy.")
    ),
    "push.subscription_removed": _simple(_l("%(who)s removed a notification subscription.")),
}
