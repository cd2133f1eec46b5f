"""A receipt: a top-up (or refund) movement shown as the member keeps it, with the prepaid balance right after it.
The admin's page and the member's page (``/m/<token>/receipts/<n>``) show the same one; its number is the movement's
id (``server.account_words.receipt_number``)."""

from typing import Any

from server.account_words import MovementWords, has_receipt, receipt_number
from server.extensions import db
from server.models import Account, AccountMovement, Household, NetworkSettings
from server.statements import with_balances


def receipt_context(household: Household, movement_id: int) -> dict[str, Any] | None:
    """What a receipt shows: the top-up (or refund) movement of this household, its words and the balance after."""
    movement = db.session.get(AccountMovement, movement_id)
    if movement is None or not has_receipt(movement):
        return None
    account = db.session.get(Account, movement.account_id)
    if account.household_id != household.id:
        return None
    (row,) = with_balances(account, [movement])
    words = MovementWords.for_movements([movement])
    return {
        "household": household,
        "movement": movement,
        "number": receipt_number(movement),
        "what": words.what(movement),
        "who": words.who(movement),
        "method": words.method(movement),
        "balance_after_cents": row.balance_after_cents,
        "network": NetworkSettings.current().name,
    }
