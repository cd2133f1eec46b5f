"""What an event does to a household's accounts, as a pure function the server's posting and the phone share.

``account_effects`` gives, for one event on its own, the cents it moves on each account kind (negative: taken out).
Whether the event still counts (a void, a conflict's resolution) is the poster's business: this says only what the
event itself moves. See ``docs/accounts.md``.
"""

from sync.events import Event


def account_effects(event: Event) -> dict[str, int]:
    """Account kind → cents the event moves (only the kinds it touches)."""
    if event.type in ("payment", "sale"):  # a sale's payment is split as a payment's is
        payment = event.payload
        moved = {"prepaid": -payment.from_prepaid_cents, "allowance": -payment.from_allowance_cents}
        return {kind: cents for kind, cents in moved.items() if cents}
    if event.type == "top_up":
        return _top_up_effects(event)
    return {}


def _top_up_effects(event: Event) -> dict[str, int]:
    """A credit paid at the point puts its whole amount on the account it names (the prepaid one)."""
    top_up = event.payload
    return {top_up.account: top_up.amount_cents}


def effect_household(event: Event, order_households: dict[int, int]) -> int | None:
    """The household whose accounts the event moves: named in the payload, or the household of its order."""
    payload = event.payload
    household_id = getattr(payload, "household_id", None)
    if household_id is not None:
        return household_id
    order_id = getattr(payload, "order_id", None)
    return order_households.get(order_id) if order_id is not None else None
