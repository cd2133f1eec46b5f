"""What a season contract paid from the prepaid account takes from it (``docs/contracts.md``, "How a contract is
paid"): its lines are due 0 at the point (``paid_in_advance``), and the account is debited, after the day, what the
member received of them costs at their tier, by the point's own rule.

The rule is the point's, line by line: the same order with those lines priced as at the point goes through
``sync.projection.line_outcomes`` (a partial hand-over, a weighed line, a shortage, a substitution, a refusal or
nobody coming), and the debit is what those lines would have been due. Pure functions, no storage.
"""

from collections.abc import Collection, Iterable
from dataclasses import replace

from sync.events import Event
from sync.pricing import line_due_cents
from sync.projection import Order, line_outcomes


def at_point(order: Order, product_ids: Collection[int]) -> Order:
    """``order`` with its lines of ``product_ids`` priced as at the point (no longer paid in advance)."""
    lines = tuple(
        replace(
            line,
            paid_in_advance=False,
            due_cents=line_due_cents(
                line.quantity, line.unit_price_cents or 0, line.share_percent or 0, line.sold_by, False
            ),
        )
        if line.product_id in product_ids and line.unit_price_cents is not None
        else line
        for line in order.lines
    )
    return replace(order, lines=lines, total_due_cents=sum(line.due_cents for line in lines))


def debit_cents(
    order: Order, product_ids: Collection[int], events: Iterable[Event], others: Iterable[Order] = ()
) -> int:
    """What the prepaid account owes for ``order``'s lines of ``product_ids`` after the distribution's ``events``:
    what the member received of them, at their tier (0 when nothing was handed over, or the basket was refused).
    ``others``: the orders a shortage of those products is shared among (``sync.projection.line_outcomes``)."""
    outcomes = line_outcomes(at_point(order, product_ids), events, others)
    return sum(outcome.due_cents for outcome in outcomes if outcome.product_id in product_ids)
