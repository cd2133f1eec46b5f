"""The member page's sentences about a collected basket, in the member's language: the member *collects*
("récupérer"); amounts agree in number ("1,50 € payé", "10,50 € payés"); times are 24-hour. And where the
distribution takes place, each part said once."""

import re
import unicodedata
from datetime import datetime

from flask_babel import format_date, format_datetime, ngettext, pgettext
from flask_babel import gettext as _

from server.account_words import MovementWords, has_receipt, receipt_number
from server.domain.contributions import ContributionStatus
from server.formatting import money, signed_money
from server.labels import PAID_BY_PHRASES, PAYMENT_METHOD_LABELS
from server.members.collection import Collection, Fee, Paid
from server.models import AccountMovement, Point


def _day(moment: datetime) -> str:
    """ "3 décembre", kept on one line (a no-break space)."""
    return format_datetime(moment, "d MMMM").replace(" ", "\u00a0")


def _time(moment: datetime) -> str:
    return format_datetime(moment, "HH:mm")


def collected_sentence(collection: Collection) -> str | None:
    """ "Panier récupéré le 3 décembre à 18:05" (or "en partie", or refused); None before any hand-over."""
    if collection.at is None:
        return None
    when = {"day": _day(collection.at), "time": _time(collection.at)}
    if collection.outcome == "all":
        return _("Basket collected on %(day)s at %(time)s", **when)
    if collection.outcome == "partial":
        return _("Basket partly collected on %(day)s at %(time)s", **when)
    return _("Basket declined on %(day)s at %(time)s", **when)


def not_collected_sentence(ended_at: datetime) -> str:
    """ "Panier non récupéré le 4 décembre": a fact, no blame (the distribution ended with no hand-over)."""
    return _("Basket not collected on %(day)s", day=_day(ended_at))


def place_line(point: Point) -> str:
    """ "Le Buisson, Boulevard du Mandinet, 77185 Lognes": the point, its address, and its town unless the address
    already ends with it (most addresses are written with their postcode and town)."""
    parts = [point.name]
    if point.address and point.address.strip():
        parts.append(point.address.strip())
    if point.town and not _ends_with_word(point.address or "", point.town):
        parts.append(point.town)
    return ", ".join(parts)


def _plain(text: str) -> str:
    """Lower case, no accents, hyphens as spaces, single spaces: "Saint-Étienne " → "saint etienne"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def _ends_with_word(text: str, tail: str) -> bool:
    text, tail = _plain(text), _plain(tail)
    return bool(tail) and (text == tail or text.endswith(" " + tail))


def paid_sentence(paid: Paid) -> str:
    """ "10,50 € payés en espèces": the count that picks the plural is the whole euros (French: 1,50 € payé)."""
    amount, count = money(paid.cents), paid.cents // 100
    match paid.method:
        case "cash":
            return ngettext("%(amount)s paid in cash", "%(amount)s paid in cash", count, amount=amount)
        case "cheque":
            return ngettext("%(amount)s paid by cheque", "%(amount)s paid by cheque", count, amount=amount)
        case "card":
            return ngettext("%(amount)s paid by card", "%(amount)s paid by card", count, amount=amount)
        case "transfer":
            return ngettext(
                "%(amount)s paid by bank transfer", "%(amount)s paid by bank transfer", count, amount=amount
            )
        case "prepaid":
            return ngettext(
                "%(amount)s taken from your prepaid balance",
                "%(amount)s taken from your prepaid balance",
                count,
                amount=amount,
            )
        case "allowance":
            return ngettext(
                "%(amount)s taken from your solidarity allowance",
                "%(amount)s taken from your solidarity allowance",
                count,
                amount=amount,
            )
        case _:
            return ngettext(
                "%(amount)s paid in local currency", "%(amount)s paid in local currency", count, amount=amount
            )


def fee_sentence(fee: Fee) -> str:
    """ "Adhésion 2026–2027 : 5,00 € en espèces": a fee paid at the distribution, on its own line, apart from what
    was paid for the basket."""
    by = PAID_BY_PHRASES.get(fee.method, fee.method)
    if fee.purpose == "membership":
        return _("Membership %(season)s: %(amount)s %(by)s", season=fee.season, amount=money(fee.cents), by=by)
    return _("Contribution: %(amount)s %(by)s", amount=money(fee.cents), by=by)


def credited_sentence(credit: Paid) -> str:
    """ "20,00 € versés en espèces sur votre compte prépayé": a credit paid at the point (plurals as paid_sentence)."""
    amount, count = money(credit.cents), credit.cents // 100
    match credit.method:
        case "cash":
            return ngettext(
                "%(amount)s credited in cash to your prepaid balance",
                "%(amount)s credited in cash to your prepaid balance",
                count,
                amount=amount,
            )
        case "cheque":
            return ngettext(
                "%(amount)s credited by cheque to your prepaid balance",
                "%(amount)s credited by cheque to your prepaid balance",
                count,
                amount=amount,
            )
        case "card":
            return ngettext(
                "%(amount)s credited by card to your prepaid balance",
                "%(amount)s credited by card to your prepaid balance",
                count,
                amount=amount,
            )
        case "transfer":
            return ngettext(
                "%(amount)s credited by bank transfer to your prepaid balance",
                "%(amount)s credited by bank transfer to your prepaid balance",
                count,
                amount=amount,
            )
        case _:
            return ngettext(
                "%(amount)s credited in local currency to your prepaid balance",
                "%(amount)s credited in local currency to your prepaid balance",
                count,
                amount=amount,
            )


def kept_copy_sentence(rendered_at: datetime) -> str:
    """The banner the service worker reveals when it serves its copy of the page (``pwa/member/sw.js``)."""
    return _(
        "Copy saved on this phone, updated on %(day)s at %(time)s; offline.",
        day=_day(rendered_at),
        time=_time(rendered_at),
    )


def movement_line(words: MovementWords, movement: AccountMovement) -> str:
    """ "−41,60 € retrait du 4 décembre à Lognes", "+20,00 € versement en espèces, reçu n° 12": the amount, then
    what made it (its first letter lowered, as the middle of a sentence)."""
    what = words.what(movement)
    what = what[:1].lower() + what[1:]
    if has_receipt(movement):
        what = _("%(what)s, receipt no. %(number)s", what=what, number=receipt_number(movement))
    return f"{signed_money(movement.amount_cents)} {what}"


def contribution_sentence(status: ContributionStatus, *, detailed: bool = False) -> str:
    """ "Contribution de décembre : réglée le 4 décembre" or "… : à régler : 15,00 €" (the member page);
    ``detailed`` (the admin): with the year, and how much was paid and by what."""
    period = status.period
    pattern = "MMMM y" if detailed else "MMMM"
    if period.kind == "week":
        name = _("the week of %(day)s", day=format_date(period.starts_on, "d MMMM y" if detailed else "d MMMM"))
    else:
        name = format_date(period.starts_on, pattern)
    # French elides before a vowel: "Contribution d’avril", "d’août", "d’octobre".
    if name[:1].lower() in "aeiouéâîôû":
        head = pgettext("before a vowel", "Contribution for %(period)s", period=name)
    else:
        head = _("Contribution for %(period)s", period=name)
    if status.paid is None:
        return _("%(head)s: to pay: %(amount)s", head=head, amount=money(status.asked_cents))
    day = format_date(status.paid.paid_on, "d MMMM y" if detailed else "d MMMM")
    if not detailed:
        return _("%(head)s: paid on %(day)s", head=head, day=day)
    method = str(PAYMENT_METHOD_LABELS.get(status.paid.method, status.paid.method)).lower()
    return _(
        "%(head)s: paid on %(day)s (%(amount)s, %(method)s)",
        head=head,
        day=day,
        amount=money(status.paid.amount_cents),
        method=method,
    )
