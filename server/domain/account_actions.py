"""What an admin or coordinator does with a member's money by hand: a top-up to the prepaid balance (cash, cheque,
transfer, card terminal), a refund from it, a correction on any account (``docs/accounts.md``, "Admin actions").

Each verb checks the actor, posts through ``server.domain.ledger`` (the one way money moves) and audits; callers
commit. Top-ups and refunds are for whoever manages the household's point (the money changes hands there); a
correction changes the books, so it is an administrator's. A top-up's movement id is its receipt number.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from server.audit import record
from server.domain import DomainError
from server.domain.ledger import account_for, post
from server.domain.points import require_admin, require_manager
from server.extensions import db
from server.models import Account, AccountMovement, Household, User
from sync.vocabulary import ACCOUNT_KINDS

TOP_UP_METHODS = ("cash", "cheque", "transfer", "card")
MAX_ACTION_CENTS = 10_000_00  # 10 000 €: anything larger is a typing slip
REFERENCE_MAX = 100
REASON_MAX = 200

NEEDS_REFERENCE = {
    "cheque": _l("Give the cheque number."),
    "transfer": _l("Give the transfer reference."),
    "card": _l("Give the card terminal reference."),
}


class AccountActionRefused(DomainError):
    """A top-up, refund or correction that cannot be made as typed; ``field`` names the form field."""


@dataclass(frozen=True)
class Posted:
    movement: AccountMovement
    balance_cents: int  # the account's balance right after it


def _amount(cents: int | None) -> int:
    if cents is None:
        raise AccountActionRefused(_l("Give an amount, such as 20,00."), field="amount")
    if cents <= 0:
        raise AccountActionRefused(_l("The amount must be more than 0,00 €."), field="amount")
    if cents > MAX_ACTION_CENTS:
        raise AccountActionRefused(_l("The amount is too large: at most 10 000,00 €."), field="amount")
    return cents


def _text(value: str | None, limit: int, field: str) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise AccountActionRefused(_l("This is too long: at most %(max)d characters.", max=limit), field=field)
    return text


def _locked(household: Household, kind: str) -> Account:
    """The household's account of ``kind``, locked until commit on PostgreSQL so two refunds cannot both pass the
    balance check (SQLite writes one transaction at a time)."""
    account = account_for(household.id, kind)
    db.session.execute(select(Account.id).where(Account.id == account.id).with_for_update())
    db.session.refresh(account, ["balance_cents"])
    return account


def _posted(movement_id: int | None) -> Posted:
    assert movement_id is not None  # admin actions carry no key: they are never skipped
    movement = db.session.get(AccountMovement, movement_id)
    account = db.session.get(Account, movement.account_id)
    db.session.refresh(account, ["balance_cents"])
    return Posted(movement, account.balance_cents)


def top_up(
    household: Household, amount_cents: int | None, method: str, reference: str | None, *, actor: User | None
) -> Posted:
    """Money the member gave (cash, cheque n°, transfer ref., card terminal ref.) credited to the prepaid balance."""
    require_manager(actor, household.point_id, field=None)
    cents = _amount(amount_cents)
    if method not in TOP_UP_METHODS:
        raise AccountActionRefused(_l("Choose how the member paid."), field="method")
    details = _text(reference, REFERENCE_MAX, "reference")
    if method in NEEDS_REFERENCE and not details:
        raise AccountActionRefused(NEEDS_REFERENCE[method], field="reference")
    posted = _posted(
        post(household.id, "prepaid", cents, "top_up", actor=actor, method=method, method_details=details or None)
    )
    record(
        "account.top_up",
        target=f"household:{household.id}",
        user=actor,
        movement=posted.movement.id,
        amount_cents=cents,
        method=method,
        reference=details,
    )
    return posted


def refund(
    household: Household, amount_cents: int | None, method: str, reason: str | None, *, actor: User | None
) -> Posted:
    """Money given back to the member from their prepaid balance; never more than the balance holds."""
    require_manager(actor, household.point_id, field=None)
    cents = _amount(amount_cents)
    if method not in TOP_UP_METHODS:
        raise AccountActionRefused(_l("Choose how the money was given back."), field="method")
    note = _text(reason, REASON_MAX, "reason")
    account = _locked(household, "prepaid")
    if cents > account.balance_cents:
        raise AccountActionRefused(
            _l("The prepaid balance holds only %(balance)s.", balance=_money(account.balance_cents)), field="amount"
        )
    posted = _posted(post(household.id, "prepaid", -cents, "refund", reason=note, actor=actor, method=method))
    record(
        "account.refund",
        target=f"household:{household.id}",
        user=actor,
        movement=posted.movement.id,
        amount_cents=cents,
        method=method,
        reason=note,
    )
    return posted


def correct(
    household: Household,
    account_kind: str,
    amount_cents: int | None,
    direction: str,
    reason: str | None,
    corrects_id: int | None = None,
    *,
    actor: User | None,
) -> Posted:
    """A correction on either account: ``direction`` "credit" adds, "debit" takes away; a reason is required, and
    the movement it corrects is named when there is one (it must be on the same account)."""
    require_admin(actor)
    if account_kind not in ACCOUNT_KINDS:
        raise AccountActionRefused(_l("Choose the account."), field="account")
    cents = _amount(amount_cents)
    if direction not in ("credit", "debit"):
        raise AccountActionRefused(_l("Choose whether to add or take away."), field="direction")
    note = _text(reason, REASON_MAX, "reason")
    if not note:
        raise AccountActionRefused(_l("Say why: the member and the accountant will read it."), field="reason")
    account = _locked(household, account_kind)
    corrected = None
    if corrects_id is not None:
        corrected = db.session.get(AccountMovement, corrects_id)
        if corrected is None or corrected.account_id != account.id:
            raise AccountActionRefused(_l("This movement is not on this account."), field="corrects")
    signed = cents if direction == "credit" else -cents
    if account_kind == "allowance" and account.balance_cents + signed < 0:
        raise AccountActionRefused(
            _l("An allowance never goes below zero: it holds %(balance)s.", balance=_money(account.balance_cents)),
            field="amount",
        )
    posted = _posted(
        post(household.id, account_kind, signed, "correction", reason=note, corrects=corrected, actor=actor)
    )
    record(
        "account.correct",
        target=f"household:{household.id}",
        user=actor,
        movement=posted.movement.id,
        account=account_kind,
        amount_cents=signed,
        reason=note,
        corrects=corrects_id,
    )
    return posted


def _money(cents: int) -> str:
    from server.formatting import money  # late: formatting needs a request's locale, the domain does not

    return money(cents)
