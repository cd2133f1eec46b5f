"""The distribution log: what happened at a distribution, read from its synced events (``docs/distribution-log.md``).

Pages for staff, scoped like the other admin pages (another point's distribution or conflict is a 404): the log of
one distribution (summary, conflicts with a resolve form, members not collected, timeline) and the resolve action.
Beside it: ``history.py`` (a point's weeks), ``exports.py`` (CSV), ``sign_off.py`` (the paper sheet). Figures come
from the one projection (``sync.projection``) through ``server.domain.distribution_log``; a resolution is written
by ``server.domain.conflicts.resolve_conflict``.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, format_timedelta, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from server.admin import bp
from server.admin.forms import CHOOSE, network_timezone
from server.admin.log_filters import timeline_filters
from server.admin.views import actor, id_arg
from server.auth.access import require_points, staff_required
from server.clock import utcnow
from server.domain import DomainError
from server.domain.conflicts import COMMENT_MAX, KEEP_FIRST, decisions_for, resolve_conflict, undone_by_keep_first
from server.domain.contract_debits import debited_cents
from server.domain.distribution_log import DistributionLog, LogEntry, Member, load_log
from server.domain.events import check_conflicts, stored_conflicts
from server.domain.membership import fee_lines, fee_season
from server.extensions import db
from server.formatting import elide, line_text, money, unit_price, weight
from server.labels import (
    ACCOUNT_KIND_LABELS,
    CASH_COUNT_KIND_LABELS,
    CONFLICT_KIND_LABELS,
    DOUBLE_HANDOVER_DECISION_LABELS,
    EVENT_TYPE_LABELS,
    HANDOVER_OUTCOME_LABELS,
    METHOD_DETAILS_LABELS,
    PAID_BY_PHRASES,
    PAYMENT_METHOD_LABELS,
    PAYMENT_PURPOSE_LABELS,
    RESOLUTION_ACTION_LABELS,
    SCAN_REFUSAL_LABELS,
    TOP_UP_METHOD_WORDS,
    decision_labels,
)
from server.models import Conflict, Distribution, Household
from sync.events import (
    SERVER_DEVICE_ID,
    CashCountEvent,
    ConflictResolvedEvent,
    HandoverEvent,
    NoteEvent,
    PaymentEvent,
    SaleEvent,
    ScanRefusedEvent,
    ShortageEvent,
    SubstitutionEvent,
    TopUp,
    TopUpEvent,
    VoidEvent,
)
from sync.projection import NOT_COLLECTED, CashBox
from sync.shortages import Short
from sync.substitutions import Swap

NOTE_SHOWN = 300  # characters of a note in the timeline's one line
SEPARATOR = " · "


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


# A sale's conflicts: their decisions name the sale (``Words.sale_decisions``).
SALE_CONFLICTS = ("oversold", "allowance_ineligible")


class ResolveConflictForm(FlaskForm):
    """The decision on one conflict: the choices are its kind's (a double hand-over has its own)."""

    action = SelectField(
        _l("Decision"),
        [DataRequired(CHOOSE)],  # nothing preselected: the placeholder "Choose…" is not a decision
        choices=[SelectChoice(code, label) for code, label in RESOLUTION_ACTION_LABELS.items()],
        invalid_choice_message=CHOOSE,
    )
    comment = TextAreaField(
        _l("Comment"),
        [DataRequired(_l("Say in a comment what was decided and why.")), Length(max=COMMENT_MAX)],
        filters=[_strip],
    )


def decision_form(conflict: Conflict, words: "Words | None" = None, **kwargs: Any) -> ResolveConflictForm:
    """The decision's choices after a "Choose…" placeholder; with ``words``, "keep the first" says what happens to
    the money of the payment it undoes (``Words.keep_first``)."""
    form = ResolveConflictForm(**kwargs)
    labels = dict(decision_labels(conflict.kind))
    if words is not None and conflict.kind == "double_handover":
        labels[KEEP_FIRST] = words.keep_first(conflict)
    if words is not None and conflict.kind == "account_overdrawn":
        labels.update(words.overdrawn_decisions(conflict))
    if words is not None and conflict.kind in SALE_CONFLICTS:
        labels.update(words.sale_decisions(conflict))
    choices = [SelectChoice(code, str(labels[code])) for code in decisions_for(conflict.kind, conflict.details)]
    form.action.choices = [SelectChoice("", _("Choose…")), *choices]
    return form


def _distribution(distribution_id: int) -> Distribution:
    distribution = db.get_or_404(Distribution, distribution_id)
    require_points([distribution.point_id])
    return distribution


def name_key(household: Household | Member | None) -> tuple[str, str, int]:
    """Sort by last name, then first name, as people sort them: case and accents aside (Émile with the E)."""
    if household is None:
        return ("", "", 0)

    def plain(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()

    return (plain(household.last_name), plain(household.first_name), household.id)


# Words: what an event or a conflict says, in one line a person reads.


class Words:
    """Names and readable lines for one log (times in the network's timezone, money as the ``money`` filter)."""

    def __init__(self, log: DistributionLog):
        self.log = log
        self.day = log.distribution.starts_at.astimezone(network_timezone()).date()
        # The lines each order gives as another product (the day's substitutions): a hand-over names what it gave.
        self.swaps = {state.order_id: state.swaps for state in log.state.orders if state.swaps}
        self.devices_by_pk = {device.id: device for device in log.devices.values()}

    def when(self, value: datetime) -> str:
        """A time of the distribution's day as ``17:32:05``; another day gets its date."""
        if value.astimezone(network_timezone()).date() == self.day:
            return format_datetime(value, "HH:mm:ss")
        return format_datetime(value, "d MMM y, HH:mm:ss")

    def device(self, public_id: str) -> str:
        if public_id == SERVER_DEVICE_ID:
            return _("Server")
        device = self.log.devices.get(public_id)
        return device.name if device is not None else public_id

    def relayed_by(self, entry: LogEntry) -> str:
        """The phone that carried an event to the server for the phone that recorded it (store and forward): ""
        when the recorder sent it itself."""
        pk = entry.row.relayed_by_pk
        if pk is None:
            return ""
        device = self.devices_by_pk.get(pk)
        if device is None:
            return _("brought by another phone")
        return _("brought by %(device)s", device=device.name)

    def person(self, user_id: int | None) -> str:
        user = self.log.users.get(user_id) if user_id is not None else None
        if user is None:
            return "" if user_id is None else _("user %(id)d", id=user_id)
        return user.display_name or user.email

    def member(self, household_id: int | None) -> str:
        household = self.log.households.get(household_id) if household_id is not None else None
        if household is None:
            return _("unknown member %(id)d", id=household_id or 0)
        return household.display_name

    def order(self, order_id: int | None) -> str:
        order = self.log.orders.get(order_id) if order_id is not None else None
        if order is None:
            return _("order %(id)d, not in this distribution", id=order_id or 0)
        return self.member(order.household_id)

    def product(self, product_id: int) -> str:
        product = self.log.products.get(product_id)
        return product.name if product is not None else _("product %(id)d", id=product_id)

    def line(self, product_id: int, quantity: int) -> str:
        product = self.log.products.get(product_id)
        return line_text(quantity, self.product(product_id), product.sold_by if product is not None else "piece")

    def sold_by_weight(self, product_id: int) -> bool:
        product = self.log.products.get(product_id)
        return product is not None and product.sold_by == "kg"

    def lines(self, pairs: Iterable[tuple[int, int]], swaps: Iterable[Swap] = ()) -> str:
        """Lines as taken: a line given as another product (``swaps``) names the product given."""
        given = {swap.product_id: swap.by_product_id for swap in swaps}
        return ", ".join(self.line(given.get(product_id, product_id), quantity) for product_id, quantity in pairs)

    def replaced(self, product_id: int, by_product_id: int, unit_price_cents: int, quantity: int = 0) -> str:
        """A substitution: "Comté → Brie at 22,00 €/kg", with what was given at a hand-over: "Comté → Brie (480 g)
        at 22,00 €/kg"."""
        product = self.log.products.get(product_id) or self.log.products.get(by_product_id)
        sold_by = product.sold_by if product is not None else "piece"
        return _(
            "%(product)s → %(by)s at %(price)s",
            product=self.product(product_id),
            by=self.line(by_product_id, quantity) if quantity else self.product(by_product_id),
            price=unit_price(unit_price_cents, sold_by),
        )

    def swap(self, swap: Swap) -> str:
        """What a substitution made of an order's line: "Replaced: Comté → Brie at 22,00 €/kg"."""
        return _("Replaced: %(what)s", what=self.replaced(swap.product_id, swap.by_product_id, swap.unit_price_cents))

    def delivered(self, product_id: int, quantity: int) -> str:
        """What a shortage says was delivered: "none delivered", "3 delivered", "1 kg delivered"."""
        if not quantity:
            return _("none delivered")
        product = self.log.products.get(product_id)
        amount = weight(quantity) if product is not None and product.sold_by == "kg" else str(quantity)
        return _("%(quantity)s delivered for the orders not handed over yet", quantity=amount)

    def shortage(self, short: Short) -> str:
        """What a shortage left an order: "Shortage: Œufs, 0 of 2"."""
        product = self.log.products.get(short.product_id)
        kg = product is not None and product.sold_by == "kg"
        receives, ordered = (weight(short.receives), weight(short.ordered)) if kg else (short.receives, short.ordered)
        return _(
            "Shortage: %(product)s, %(receives)s of %(ordered)s",
            product=self.product(short.product_id),
            receives=receives,
            ordered=ordered,
        )

    def event_ref(self, event_id: str) -> str:
        """Another event, named by its time, device and type."""
        entry = self.log.by_id.get(event_id)
        if entry is None:
            return _("an event not in this log (%(id)s)", id=event_id)
        event = entry.event
        return f"{EVENT_TYPE_LABELS[event.type]} {self.when(event.device_time)} ({self.device(event.device_id)})"

    def summary(self, entry: LogEntry) -> str:
        event, parts = entry.event, []
        payload = event.payload
        if isinstance(event, HandoverEvent):
            parts = [self.order(payload.order_id), str(HANDOVER_OUTCOME_LABELS[payload.outcome])]
            swaps = self.swaps.get(payload.order_id, ())
            if payload.lines:
                weights = payload.weights()
                parts.append(
                    self.lines(
                        (
                            (line.product_id, weights.get(line.product_id, line.quantity_received))
                            for line in payload.lines
                        ),
                        swaps,
                    )
                )
            elif payload.weighed:
                parts.append(_("weighed: %(lines)s", lines=self.lines(payload.weights().items(), swaps)))
            for item in payload.substituted:
                what = self.replaced(item.product_id, item.by_product_id, item.unit_price_cents, item.quantity)
                parts.append(_("replaced: %(what)s", what=what))
            if payload.substitution_note:
                parts.append(_("Substitution: %(note)s", note=payload.substitution_note))
        elif isinstance(event, PaymentEvent):
            parts = [self.payer(payload, event), money(payload.amount_cents), *self.payment_parts(payload)]
        elif isinstance(event, VoidEvent):
            parts = [_("Undoes %(event)s", event=self.event_ref(payload.event_id))]
            if payload.reason:
                parts.append(_("Reason: %(reason)s", reason=payload.reason))
        elif isinstance(event, CashCountEvent):
            parts = [str(CASH_COUNT_KIND_LABELS[payload.kind]), money(payload.total_cents)]
            if payload.denominations:
                counted = sorted(((int(v), n) for v, n in payload.denominations.items() if n), reverse=True)
                parts.append(", ".join(f"{count} × {money(value)}" for value, count in counted))
        elif isinstance(event, ScanRefusedEvent):
            parts = [str(SCAN_REFUSAL_LABELS[payload.reason])]
            if payload.member_id is not None:
                parts.append(self.member(payload.member_id))
        elif isinstance(event, NoteEvent):
            text = " ".join(payload.text.split())
            parts = [text if len(text) <= NOTE_SHOWN else text[: NOTE_SHOWN - 1] + "…"]
        elif isinstance(event, TopUpEvent):
            parts = self.top_up(payload)
        elif isinstance(event, SaleEvent):
            parts = [
                self.buyer(payload.household_id),
                self.lines((line.product_id, line.sold) for line in payload.lines),
            ]
            parts += [money(payload.amount_cents), *self.payment_parts(payload)]
        elif isinstance(event, ShortageEvent):
            parts = [self.product(payload.product_id), self.delivered(payload.product_id, payload.delivered)]
        elif isinstance(event, SubstitutionEvent):
            what = self.replaced(payload.product_id, payload.by_product_id, payload.unit_price_cents)
            parts = [_("%(what)s for the orders not handed over yet", what=what)]
        elif isinstance(event, ConflictResolvedEvent):
            parts = [self.resolution(payload), payload.comment]
        return SEPARATOR.join(parts)

    def resolution(self, payload) -> str:
        """A decision in the timeline: what it undoes, or, on a sale's conflict, the sale it keeps or cancels."""
        kind, _sep, rest = payload.conflict_key.partition(":")
        if payload.action == "void_event" and payload.event_id:
            sale = self.sale_of(payload.event_id)
            if sale is not None:
                return _("Cancels the sale of extras: %(sale)s", sale=self.sale_summary(sale))
            return _("Undoes %(event)s", event=self.event_ref(payload.event_id))
        if payload.action == "accept" and kind == "oversold" and rest.partition(":")[0].isdigit():
            product = self.product(int(rest.partition(":")[0]))
            return _("Keeps the sales of %(product)s beyond the stock", product=product)
        if payload.action == "accept" and kind == "allowance_ineligible":
            sale = self.sale_of(rest)
            if sale is not None:
                return _("Keeps the sale of extras paid from the allowance: %(sale)s", sale=self.sale_summary(sale))
        return str(RESOLUTION_ACTION_LABELS[payload.action])

    def sale_of(self, event_id: str):
        """The sale an event id names in this log, if it is one."""
        entry = self.log.by_id.get(event_id)
        return entry.event.payload if entry is not None and isinstance(entry.event, SaleEvent) else None

    def sale_summary(self, sale) -> str:
        """ "Awa D.: 2 × Miel de fleurs, 9,10 €": who bought, what, for how much."""
        return _(
            "%(buyer)s: %(lines)s, %(amount)s",
            buyer=self.buyer(sale.household_id),
            lines=self.lines((line.product_id, line.sold) for line in sale.lines),
            amount=money(sale.amount_cents),
        )

    def sale_decisions(self, conflict: Conflict) -> dict[str, str]:
        """A sale's conflict's "keep" and "cancel" naming the sale (the first the conflict names, the one a void
        undoes), its items and what happens to the money and the stock."""
        sale = self.sale_of(conflict.event_ids[0] if conflict.event_ids else "")
        if sale is None:
            return {}
        d = conflict.details or {}
        summary = self.sale_summary(sale)
        if conflict.kind == "oversold" and self.sold_by_weight(d.get("product_id", 0)):
            keep = _(
                "Keep the sales: %(sold)s of %(product)s were handed over for a stock of %(stock)s (the stock was "
                "wrong)",
                sold=weight(d.get("sold", 0)),
                product=self.product(d.get("product_id", 0)),
                stock=weight(d.get("stock", 0)),
            )
        elif conflict.kind == "oversold":
            keep = _(
                "Keep the sales: %(sold)d × %(product)s were handed over for a stock of %(stock)d (the stock was "
                "wrong)",
                sold=d.get("sold", 0),
                product=self.product(d.get("product_id", 0)),
                stock=d.get("stock", 0),
            )
        else:
            keep = _(
                "Keep the sale (%(sale)s): the allowance pays %(excess)s for products it may not pay for",
                sale=summary,
                excess=money(d.get("excess_cents", 0)),
            )
        if sale.rest_cents:
            cancel = _(
                "Cancel the sale (%(sale)s): the extras were not handed over, what it took from the accounts goes "
                "back, %(rest)s %(by)s to give back",
                sale=summary,
                rest=money(sale.rest_cents),
                by=PAID_BY_PHRASES.get(sale.method, sale.method),
            )
        else:
            cancel = _(
                "Cancel the sale (%(sale)s): the extras were not handed over, what it took from the accounts goes back",
                sale=summary,
            )
        return {"accept": keep, "void_event": cancel}

    def buyer(self, household_id: int | None) -> str:
        """Who bought extras: a member, or an anonymous buyer."""
        return self.member(household_id) if household_id is not None else _("Anonymous buyer")

    def payer(self, payment, event: PaymentEvent | None = None) -> str:
        if payment.order_id is not None:
            return self.order(payment.order_id)
        if payment.purpose != "order":
            return self.purpose(payment, event)
        return _("%(member)s (account)", member=self.member(payment.household_id))

    def purpose(self, payment, event: PaymentEvent | None) -> str:
        """A membership fee (of the season of the day it was paid) or a contribution, and whose: "Adhésion
        2026–2027 de Awa D."."""
        member = self.member(payment.household_id)
        if payment.purpose == "membership" and event is not None:
            season = fee_season(event, network_timezone())
            return elide(_("Membership %(season)s of %(member)s", season=season, member=member))
        return elide(_("%(purpose)s of %(member)s", purpose=PAYMENT_PURPOSE_LABELS[payment.purpose], member=member))

    def payment_parts(self, payment) -> list[str]:
        """How a payment was settled: by its method, from the accounts, and the solidarity share beside it."""
        shares = [
            (payment.method, payment.rest_cents),
            ("prepaid", payment.from_prepaid_cents),
            ("allowance", payment.from_allowance_cents),
        ]
        shares = [(method, cents) for method, cents in shares if cents]
        parts = []
        for method, cents in shares:
            text = str(PAYMENT_METHOD_LABELS[method])
            if len(shares) > 1:
                text = _("%(account)s: %(amount)s", account=text, amount=money(cents))
            if method == payment.method and payment.method_details:
                text = f"{text} ({payment.method_details})"
            parts.append(text)
        payee = self.log.producers.get(getattr(payment, "payee_producer_id", None) or 0)
        if payee is not None:  # one cheque per producer: whom this one is made out to
            parts.append(_("payable to %(payee)s", payee=payee.payee))
        if payment.solidarity_cents:
            parts.append(_("Solidarity share: %(amount)s", amount=money(payment.solidarity_cents)))
        return parts

    def top_up(self, top_up: TopUp) -> list[str]:
        """ "Versement de 20,00 € en espèces sur le compte prépayé d'Awa Diallo", then the cheque's number or the
        reference, if any."""
        sentence = elide(
            _(
                "Top-up of %(amount)s %(method)s to the prepaid account of %(member)s",
                amount=money(top_up.amount_cents),
                method=TOP_UP_METHOD_WORDS[top_up.method],
                member=self.member(top_up.household_id),
            )
        )
        if not top_up.method_details:
            return [sentence]
        label = METHOD_DETAILS_LABELS[top_up.method]
        return [sentence, _("%(label)s: %(details)s", label=label, details=top_up.method_details)]

    def conflict_details(self, conflict: Conflict) -> list[str]:
        """What a conflict is about, in sentences (the events involved are listed beside them)."""
        d, kind = conflict.details or {}, conflict.kind
        if kind == "double_handover":
            return self.double_handover(conflict)
        if kind == "overpayment":
            return [
                _(
                    "Order of %(member)s: %(paid)s paid for %(due)s due, %(excess)s too much.",
                    member=self.order(d.get("order_id")),
                    paid=money(d.get("paid_cents", 0)),
                    due=money(d.get("due_cents", 0)),
                    excess=money(d.get("excess_cents", 0)),
                )
            ]
        if kind == "revoked_ticket":
            return [
                _(
                    "%(member)s was handed their order although their ticket was refused as revoked.",
                    member=self.member(d.get("member_id")),
                )
            ]
        if kind == "unknown_order":
            return [_("Order %(order)s is not one of this distribution's orders.", order=d.get("order_id"))]
        if kind == "unknown_member":
            return [_("Member %(member)s has no order at this distribution.", member=d.get("household_id"))]
        if kind == "household_mismatch":
            return [
                _(
                    "The payment names the order of %(owner)s but the member %(member)s.",
                    owner=self.order(d.get("order_id")),
                    member=self.member(d.get("household_id")),
                )
            ]
        if kind == "unknown_void":
            return [_("The undone event %(event)s is not in this log.", event=d.get("target_event_id", ""))]
        if kind == "late_event":
            late = timedelta(seconds=d.get("late_by_seconds", 0))
            return [_("Recorded %(delay)s after the distribution closed.", delay=format_timedelta(late))]
        if kind == "clock_skew":
            return [self.skew(item) for item in d.get("events", [])]
        if kind == "chain_break":
            return [self.chain_break(d)]
        if kind == "id_reuse":
            return [_("An event was sent again with a different content; the first one received is kept.")]
        if kind == "account_overdrawn":
            return self.overdrawn(d)
        if kind == "oversold" and self.sold_by_weight(d.get("product_id", 0)):
            return [
                _(
                    "%(product)s: %(sold)s sold by the phones for a stock of %(stock)s, %(excess)s too much.",
                    product=self.product(d.get("product_id", 0)),
                    sold=weight(d.get("sold", 0)),
                    stock=weight(d.get("stock", 0)),
                    excess=weight(d.get("excess", 0)),
                )
            ]
        if kind == "oversold":
            return [
                _(
                    "%(product)s: %(sold)d sold by the phones for a stock of %(stock)d, %(excess)d too many.",
                    product=self.product(d.get("product_id", 0)),
                    sold=d.get("sold", 0),
                    stock=d.get("stock", 0),
                    excess=d.get("excess", 0),
                )
            ]
        if kind == "allowance_ineligible":
            return [
                _(
                    "%(member)s paid %(taken)s from the allowance, but only %(eligible)s was for products it may pay "
                    "for: %(excess)s too much.",
                    member=self.order(d["order_id"]) if d.get("order_id") else self.buyer(d.get("household_id")),
                    taken=money(d.get("allowance_cents", 0)),
                    eligible=money(d.get("eligible_cents", 0)),
                    excess=money(d.get("excess_cents", 0)),
                )
            ]
        return [f"{key}: {value}" for key, value in sorted(d.items())]

    def overdrawn(self, d: dict) -> list[str]:
        """A payment beyond what its account held: who, how much, how far below."""
        account = ACCOUNT_KIND_LABELS.get(d.get("account", ""), d.get("account", ""))
        if d.get("contract"):  # a season contract paid from the prepaid account (``server.domain.contract_debits``)
            return [
                _(
                    "%(member)s's season contract basket took %(debit)s from the prepaid account: %(short)s more "
                    "than the account held.",
                    member=self.member(d.get("household_id")),
                    debit=money(d.get("debit_cents", 0)),
                    short=money(d.get("short_cents", 0)),
                ),
                _(
                    "Balance after this basket: %(balance)s (lowest allowed: %(floor)s).",
                    balance=money(d.get("balance_cents", 0)),
                    floor=money(d.get("floor_cents", 0)),
                ),
            ]
        return [
            _(
                "%(member)s paid %(debit)s — %(account)s: %(short)s more than the account held.",
                member=self.member(d.get("household_id")),
                debit=money(d.get("debit_cents", 0)),
                account=account,
                short=money(d.get("short_cents", 0)),
            ),
            _(
                "Balance after this payment: %(balance)s (lowest allowed: %(floor)s).",
                balance=money(d.get("balance_cents", 0)),
                floor=money(d.get("floor_cents", 0)),
            ),
        ]

    def overdrawn_decisions(self, conflict: Conflict) -> dict[str, str]:
        """An overdraft's "keep" and "cancel" with their amounts: keeping leaves the household owing what the
        account lacked; cancelling voids the *whole* payment, the part paid otherwise (cash, cheque…) included,
        which is then to give back, and what it paid for is due again."""
        d = conflict.details or {}
        account = d.get("account", "")
        short = money(d.get("short_cents", 0))
        if d.get("contract"):
            return {
                "accept": _(
                    "Keep the debit: the household owes %(short)s on the prepaid account (balance below what is "
                    "allowed until a top-up)",
                    short=short,
                )
            }
        if account == "prepaid":
            keep = _(
                "Keep the payment: the household owes %(short)s on the prepaid account (balance below what is "
                "allowed until a top-up)",
                short=short,
            )
        else:
            keep = _(
                "Keep the payment: the household owes %(short)s on the solidarity allowance (negative balance "
                "until the next credit)",
                short=short,
            )
        labels = {"accept": keep}
        entry = self.log.by_id.get(conflict.event_ids[0] if conflict.event_ids else "")
        payment = entry.event.payload if entry is not None and isinstance(entry.event, PaymentEvent) else None
        if payment is None:
            return labels
        amount = money(payment.amount_cents)
        if payment.rest_cents:
            cancel = _(
                "Cancel the whole payment of %(amount)s (including %(rest)s %(by)s to give back)",
                amount=amount,
                rest=money(payment.rest_cents),
                by=PAID_BY_PHRASES.get(payment.method, payment.method),
            )
        else:
            cancel = _("Cancel the payment of %(amount)s (the money goes back on the account)", amount=amount)
        if payment.purpose == "order":
            due = _("the basket is to pay again")
        elif payment.purpose == "membership":
            due = _("the membership fee is to pay again")
        else:
            due = _("it is to pay again")
        labels["void_event"] = _("%(cancel)s: %(due)s", cancel=cancel, due=due)
        return labels

    def by(self, event_id: str) -> str:
        """Who recorded an event and when: "Phone 2 at 17:32:05"."""
        entry = self.log.by_id.get(event_id)
        if entry is None:
            return _("an event not in this log")
        return _(
            "%(device)s at %(time)s", device=self.device(entry.event.device_id), time=self.when(entry.event.device_time)
        )

    def keep_first(self, conflict: Conflict) -> str:
        """The "keep the first" choice with its consequence for the money: the undone payment's amount, and what
        was paid other than from the member's accounts is to give back to them (or to count as kept)."""
        d = conflict.details or {}
        payments = [self.log.by_id[i].event.payload for i in d.get("second_payments", []) if i in self.log.by_id]
        if not payments:
            return _("Keep the first hand-over: undo the second one (no payment was recorded with it)")
        amount = money(sum(payment.amount_cents for payment in payments))
        refund = sum(payment.rest_cents for payment in payments)
        if not refund:
            return _("Keep the first hand-over: undo the second one and its payment of %(amount)s", amount=amount)
        if refund == sum(payment.amount_cents for payment in payments):
            return _(
                "Keep the first hand-over: undo the second one and its payment of %(amount)s, to give back to "
                "%(member)s",
                amount=amount,
                member=self.order(d.get("order_id")),
            )
        return _(
            "Keep the first hand-over: undo the second one and its payment of %(amount)s, %(refund)s of it to give "
            "back to %(member)s",
            amount=amount,
            refund=money(refund),
            member=self.order(d.get("order_id")),
        )

    def double_handover(self, conflict: Conflict) -> list[str]:
        """A double hand-over and the overpayment it made, and what keeping the first hand-over would undo."""
        d = conflict.details or {}
        lines = [_("The order of %(member)s was handed over twice.", member=self.order(d.get("order_id")))]
        first, second = (d.get("handovers") or [*conflict.event_ids[:2], "", ""])[:2]
        lines.append(_("First by %(first)s, then by %(second)s.", first=self.by(first), second=self.by(second)))
        if "excess_cents" in d:
            lines.append(
                _(
                    "%(paid)s was paid for %(due)s due: %(excess)s too much.",
                    paid=money(d["paid_cents"]),
                    due=money(d["due_cents"]),
                    excess=money(d["excess_cents"]),
                )
            )
        payments = [self.log.by_id[i].event for i in d.get("second_payments", []) if i in self.log.by_id]
        if payments:
            amount = money(sum(event.payload.amount_cents for event in payments))
            lines.append(
                ngettext(
                    "Keeping the first hand-over undoes the second one and the payment recorded with it (%(amount)s).",
                    "Keeping the first hand-over undoes the second one and the %(num)d payments recorded with it "
                    "(%(amount)s).",
                    len(payments),
                    amount=amount,
                )
            )
        else:
            lines.append(_("Keeping the first hand-over undoes the second one; no payment was recorded with it."))
        return lines

    def skew(self, item: dict[str, Any]) -> str:
        values = {"event": self.event_ref(item.get("event_id", "")), "offset": self.duration(item.get("seconds", 0))}
        if item.get("reason") == "ahead":
            return _("%(event)s: the phone's clock was %(offset)s ahead.", **values)
        if item.get("reason") == "backwards":
            return _("%(event)s: the phone's clock went back by %(offset)s.", **values)
        return _("%(event)s: dated %(offset)s before the distribution opened.", **values)

    def chain_break(self, d: dict[str, Any]) -> str:
        device, seq = self.device(d.get("device_id", "")), d.get("seq", 0)
        if d.get("break") == "gap":
            first, last = d.get("missing") or (seq, seq)
            return _("Events %(first)s to %(last)s of %(device)s never arrived.", first=first, last=last, device=device)
        if d.get("break") == "duplicate_seq":
            return _("%(device)s sent two different events numbered %(seq)s.", device=device, seq=seq)
        return _(
            "Event %(seq)s of %(device)s does not follow the one before it: altered or replaced.",
            seq=seq,
            device=device,
        )

    @staticmethod
    def duration(seconds: int) -> str:
        return format_timedelta(timedelta(seconds=seconds), threshold=1.1)


@dataclass(frozen=True)
class TimelineRow:
    id: str
    time: str
    received: str
    device: str
    volunteer: str
    type: str
    summary: str
    voided: bool
    after_count: bool = False  # recorded after this phone's closing count
    order_id: int | None = None  # the order of this distribution the event is about (its page is linked)
    relayed_by: str = ""  # "brought by Phone C": another phone carried it to the server (store and forward)


def timeline_row(entry: LogEntry, words: Words, after_count: bool = False) -> TimelineRow:
    """One event as the timeline shows it (the log's and an order's page)."""
    event = entry.event
    order_id = getattr(event.payload, "order_id", None)
    return TimelineRow(
        id=event.id,
        time=words.when(event.device_time),
        received=format_datetime(entry.row.received_at, "d MMM, HH:mm"),
        device=words.device(event.device_id),
        volunteer=words.person(event.volunteer_id),
        type=str(EVENT_TYPE_LABELS[event.type]),
        summary=words.summary(entry),
        voided=entry.voided,
        after_count=after_count,
        order_id=order_id if order_id in words.log.orders else None,
        relayed_by=words.relayed_by(entry),
    )


@dataclass(frozen=True)
class ConflictView:
    conflict: Conflict
    kind: str
    events: list[tuple[str, str, str | None]]  # (event id, how it reads, its link in the timeline if there)
    details: list[str]
    resolved_by: str
    action: str


# The log page and the resolve action.


TIMELINE_PAGE = 200  # events per page of the timeline


@dataclass(frozen=True)
class TimelinePage:
    """One page of the timeline, with what ``admin/_pagination.html`` reads."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def start(self) -> int:
        return (self.page - 1) * self.per_page

    def of(self, index: int) -> int:
        """The page that shows the entry at ``index``."""
        return index // self.per_page + 1


def render_log(
    distribution: Distribution,
    *,
    failed: tuple[int, FlaskForm] | None = None,
    refused: str = "",
    page: int = 1,
    log: DistributionLog | None = None,
) -> str:
    """The log page; ``failed`` is a resolve form sent with errors (conflict id, form), ``refused`` why a decision
    was not taken, ``page`` the timeline's page (of the events the query string's filters keep). It only reads: the
    events once, projected once (the summary and figures count every event, the timeline shows one page), and the
    conflicts as stored when the events arrived or a decision was made."""
    log = log or load_log(distribution)
    conflicts = stored_conflicts(distribution.id)
    words = Words(log)
    filters = timeline_filters(log.entries, words.device, words.person)
    kept = [entry for entry in log.entries if filters.keeps(entry)] if filters.active else log.entries
    shown = TimelinePage(page=1, per_page=TIMELINE_PAGE, total=len(kept))
    shown = replace(shown, page=min(max(page, 1), shown.pages))
    after_count = {event_id for box in log.state.cash for event_id in box.after_count_events}
    timeline = [
        timeline_row(entry, words, entry.event.id in after_count)
        for entry in kept[shown.start : shown.start + shown.per_page]
    ]
    position = {entry.event.id: index for index, entry in enumerate(kept)}
    everywhere = position if not filters.active else {e.event.id: index for index, e in enumerate(log.entries)}

    def event_link(event_id: str) -> str | None:
        """Where the timeline shows an event: on this page, on another one, or (filtered out) in the whole log."""
        if event_id in position:
            on = shown.of(position[event_id])
            if on == shown.page:
                return f"#event-{event_id}"
            return url_for(
                ".distribution_log",
                distribution_id=distribution.id,
                page=on,
                _anchor=f"event-{event_id}",
                **filters.args,
            )
        if event_id in everywhere:
            on = shown.of(everywhere[event_id])
            return url_for(".distribution_log", distribution_id=distribution.id, page=on, _anchor=f"event-{event_id}")
        return None

    views = [
        ConflictView(
            conflict=conflict,
            kind=str(CONFLICT_KIND_LABELS.get(conflict.kind, conflict.kind)),
            events=[(event_id, words.event_ref(event_id), event_link(event_id)) for event_id in conflict.event_ids],
            details=words.conflict_details(conflict),
            resolved_by=words.person(conflict.resolved_by_id),
            action=_resolution_action(words, conflict),
        )
        for conflict in sorted(conflicts, key=lambda c: (c.status != "open", c.detected_at, c.key))
    ]
    forms = {
        view.conflict.id: decision_form(view.conflict, words, formdata=None)
        for view in views
        if view.conflict.status == "open"
    }
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    not_collected = [(state, words.member(state.household_id)) for state in log.order_states(NOT_COLLECTED)]
    not_collected.sort(key=lambda pair: name_key(log.households.get(pair[0].household_id)))
    counted = [
        CashView(box, words.device(box.device_id), _after_count(box, words, event_link))
        for box in log.state.cash
        if box.counted
    ]
    not_counted = [(box, words.device(box.device_id)) for box in log.state.cash if not box.counted]
    totals = log.state.totals
    return render_template(
        "admin/distribution_log.html",
        distribution=distribution,
        totals=totals,
        methods=[(method, cents) for method, cents in totals.by_method if cents],
        top_up_methods=[(method, cents) for method, cents in totals.top_ups_by_method if cents],
        cash_top_ups=sum(box.cash_top_ups_cents for box in log.state.cash),
        contract_debits=debited_cents(distribution.id),
        membership_fees=fee_lines([entry.event for entry in log.live(PaymentEvent)], network_timezone()),
        counted_boxes=counted,
        not_counted_boxes=not_counted,
        ended=utcnow() >= distribution.ends_at,
        refusals=log.state.scan_refusals,
        timeline=timeline,
        timeline_page=shown,
        filters=filters,
        event_total=len(log.entries),
        not_collected=not_collected,
        conflicts=views,
        open_count=sum(1 for view in views if view.conflict.status == "open"),
        forms=forms,
        refused=refused,
    )


@dataclass(frozen=True)
class CashView:
    """A counted cash box, with what its phone recorded after the count (links into the timeline)."""

    box: CashBox
    name: str
    after_count: tuple[list[tuple[str, list[tuple[str, str | None]]]], int]  # ``_after_count``: by member, and more


AFTER_COUNT_MEMBERS = 3  # members named in the after-count line; the rest are "and N others"


def _after_count(box: CashBox, words: Words, event_link) -> tuple[list[tuple[str, list[tuple[str, str | None]]]], int]:
    """What was recorded after a phone's count, by member, each named once with their events ("Remise 18:02", a
    link to it in the timeline): the first ``AFTER_COUNT_MEMBERS`` members, and how many more there are."""
    by_member: dict[str, list[tuple[str, str | None]]] = {}
    for event_id in box.after_count_events:
        entry = words.log.by_id.get(event_id)
        if entry is None:
            by_member.setdefault("", []).append((words.event_ref(event_id), None))
            continue
        member = words.log.household_of(entry.event)
        text = f"{EVENT_TYPE_LABELS[entry.event.type]} {words.when(entry.event.device_time)}"
        by_member.setdefault(member.display_name if member is not None else "", []).append((text, event_link(event_id)))
    members = list(by_member.items())
    return members[:AFTER_COUNT_MEMBERS], max(0, len(members) - AFTER_COUNT_MEMBERS)


def _resolution_action(words: Words, conflict: Conflict) -> str:
    """The decision in words: a double hand-over's own words when it was one of its decisions, a sale's conflict's
    naming the sale."""
    entry = words.log.by_id.get(conflict.resolution_event_id or "")
    if entry is None or not isinstance(entry.event, ConflictResolvedEvent):
        return ""
    payload = entry.event.payload
    if conflict.kind == "double_handover":
        if payload.action == "void_event" and payload.event_id == undone_by_keep_first(conflict)[0]:
            return str(DOUBLE_HANDOVER_DECISION_LABELS[KEEP_FIRST])
        if payload.action != "void_event":
            return str(DOUBLE_HANDOVER_DECISION_LABELS[payload.action])
    if conflict.kind in SALE_CONFLICTS and payload.event_id in (None, *conflict.event_ids[:1]):
        sale_words = words.sale_decisions(conflict)
        if payload.action in sale_words:
            return str(sale_words[payload.action])
    return str(decision_labels(conflict.kind).get(payload.action, RESOLUTION_ACTION_LABELS[payload.action]))


@bp.get("/distributions/<id:distribution_id>/log")
@staff_required
def distribution_log(distribution_id: int):
    """The log; with ``event=<id>`` (a link from an order's page), the page of the timeline that shows that event,
    within the filters asked for if they keep it, else in the whole log."""
    distribution = _distribution(distribution_id)
    log = load_log(distribution)
    wanted = request.args.get("event", "")
    if wanted:
        return redirect(_event_url(log, wanted))
    return render_log(distribution, page=id_arg("page") or 1, log=log)


def _event_url(log: DistributionLog, event_id: str) -> str:
    """The timeline's page that shows ``event_id`` (an unknown id: the first page of the timeline)."""
    words = Words(log)
    filters = timeline_filters(log.entries, words.device, words.person)
    args = filters.args
    kept = [entry.event.id for entry in log.entries if filters.keeps(entry)]
    if event_id not in kept:
        kept, args = [entry.event.id for entry in log.entries], {}
    target = url_for(".distribution_log", distribution_id=log.distribution.id, **args)
    if event_id not in kept:
        return f"{target}#timeline"
    page = kept.index(event_id) // TIMELINE_PAGE + 1
    return url_for(
        ".distribution_log", distribution_id=log.distribution.id, page=page, _anchor=f"event-{event_id}", **args
    )


@bp.post("/distributions/<id:distribution_id>/conflicts/check")
@staff_required
def conflicts_check(distribution_id: int):
    """Look for the distribution's conflicts now, rather than at the next scheduled check."""
    distribution = _distribution(distribution_id)
    check_conflicts(distribution)
    db.session.commit()
    return redirect(url_for(".distribution_log", distribution_id=distribution.id, _anchor="conflicts"))


@bp.post("/distributions/<id:distribution_id>/conflicts/<id:conflict_id>/resolve")
@staff_required
def conflict_resolve(distribution_id: int, conflict_id: int):
    distribution = _distribution(distribution_id)
    conflict = db.session.get(Conflict, conflict_id)
    if conflict is None or conflict.distribution_id != distribution.id:
        abort(404)
    form = decision_form(conflict)
    if not form.validate_on_submit():
        return render_log(distribution, failed=(conflict.id, form), refused=_("The decision was not recorded.")), 400
    try:
        resolve_conflict(conflict, form.action.data, form.comment.data, actor())
        db.session.commit()
    except DomainError as refusal:
        db.session.rollback()
        field = getattr(form, refusal.field, None) if refusal.field else None
        if field is not None:
            field.errors = [*field.errors, str(refusal)]
        return render_log(distribution, failed=(conflict_id, form), refused=str(refusal)), 409
    flash(_("Conflict resolved: the decision is recorded in the log."), "success")
    return redirect(url_for(".distribution_log", distribution_id=distribution.id, _anchor=f"conflict-{conflict_id}"))
