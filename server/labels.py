"""People's words for the codes stored in the database, in one place (codes are in ``sync.vocabulary``)."""

from flask_babel import lazy_gettext as _l

DISTRIBUTION_STATUS_LABELS = {
    "planned": _l("Planned"),
    "open": _l("Open"),
    "closed": _l("Closed"),
}

HOUSEHOLD_STATUS_LABELS = {
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "left": _l("Left the network"),
}

SOLD_BY_LABELS = {
    "piece": _l("By the piece"),
    "kg": _l("By weight (per kg)"),
    "litre": _l("By the litre"),
}

CHEQUE_STATE_LABELS = {
    "expected": _l("Expected"),
    "received": _l("Received"),
    "handed_over": _l("Handed to the producer"),
    "deposited": _l("Deposited at the bank"),
}

ACCOUNT_KIND_LABELS = {
    "prepaid": _l("Prepaid balance"),
    "allowance": _l("Solidarity allowance"),
}

PAYMENT_METHOD_LABELS = {
    "cash": _l("Cash"),
    "cheque": _l("Cheque"),
    "card": _l("Card"),
    "transfer": _l("Bank transfer"),
    "prepaid": _l("Prepaid balance"),
    "allowance": _l("Solidarity allowance"),
    "local_currency": _l("Local currency"),
}

EVENT_TYPE_LABELS = {
    "handover": _l("Hand-over"),
    "payment": _l("Payment"),
    "void": _l("Undo"),
    "cash_count": _l("Cash count"),
    "scan_refused": _l("Ticket refused"),
    "note": _l("Note"),
    "conflict_resolved": _l("Conflict resolved"),
    "top_up": _l("Top-up"),
    "sale": _l("Sale of extras"),
    "shortage": _l("Shortage"),
    "substitution": _l("Replaced"),
}

# How money was handed over for a credit paid at the point, as the sentence of a top-up says it ("Top-up of 20,00 €
# in cash to the prepaid account of …"), and what its method_details are.
TOP_UP_METHOD_WORDS = {
    "cash": _l("in cash"),
    "cheque": _l("by cheque"),
    "card": _l("by card"),
    "transfer": _l("by bank transfer"),
    "local_currency": _l("in local currency"),
}
METHOD_DETAILS_LABELS = {
    "cheque": _l("Cheque number"),
    "card": _l("Card terminal reference"),
    "transfer": _l("Transfer reference"),
    "local_currency": _l("Method details"),
    "cash": _l("Method details"),
}

ORDER_STATUS_LABELS = {
    "collected": _l("Collected"),
    "partially_collected": _l("Partially collected"),
    "not_collected": _l("Not collected"),
}

# An order's pick-up on its page and in a household's pick-ups (``server.members.collection`` ``Collection.pickup``).
PICKUP_STATUS_LABELS = {
    "collected": _l("Collected"),
    "partial": _l("Partially collected"),
    "refused": _l("Refused"),
    "not_collected": _l("Not collected"),
    "pending": _l("Not collected yet"),
}

HANDOVER_OUTCOME_LABELS = {
    "all": _l("Everything"),
    "partial": _l("Part of it"),
    "refused": _l("Refused"),
}

CASH_COUNT_KIND_LABELS = {
    "opening": _l("Opening float"),
    "closing": _l("Closing count"),
}

SCAN_REFUSAL_LABELS = {
    "malformed": _l("not a ticket"),
    "truncated": _l("incomplete ticket"),
    "too_long": _l("not a ticket (too long)"),
    "unsupported_version": _l("ticket of an unknown version"),
    "unknown_key": _l("ticket signed with an unknown key"),
    "bad_signature": _l("forged or altered ticket"),
    "revoked": _l("revoked ticket"),
    "unknown_member": _l("member not in this distribution"),
    "not_expected": _l("member with nothing to collect"),
}

CONFLICT_KIND_LABELS = {
    "double_handover": _l("Order handed over twice"),
    "overpayment": _l("Paid more than due"),
    "revoked_ticket": _l("Handed over despite a revoked ticket"),
    "unknown_order": _l("Order not in this distribution"),
    "unknown_member": _l("Member not in this distribution"),
    "household_mismatch": _l("Payment for another member's order"),
    "unknown_void": _l("Undo of an unknown event"),
    "late_event": _l("Recorded long after the distribution"),
    "clock_skew": _l("Phone clock far off"),
    "chain_break": _l("Events missing or altered"),
    "id_reuse": _l("One event sent with two contents"),
    "account_overdrawn": _l("Paid beyond what the account held"),
    "oversold": _l("Extras sold beyond the stock"),
    "allowance_ineligible": _l("Allowance spent on products it may not pay for"),
}

CONFLICT_STATUS_LABELS = {
    "open": _l("To resolve"),
    "resolved": _l("Resolved"),
}

RESOLUTION_ACTION_LABELS = {
    "accept": _l("Accept: the events stand"),
    "void_event": _l("Void the first event"),
    "adjust": _l("Corrected outside the log (refund, account entry)"),
    "dismiss": _l("Dismiss: not a real problem"),
}

# A double hand-over (and the overpayment it made) is settled by one of its own decisions
# (``server.domain.conflicts.DOUBLE_HANDOVER_DECISIONS``).
DOUBLE_HANDOVER_DECISION_LABELS = {
    "keep_first": _l("Keep the first hand-over: undo the second one and the payment recorded with it"),
    "accept": _l("Both were real: two baskets were handed over"),
    "adjust": _l("Corrected outside the log (refund, account entry)"),
    "dismiss": _l("Dismiss: not a real problem"),
}

# A payment beyond what its account held (``server.domain.ledger_events``) is settled by one of its own decisions
# (``server.domain.conflicts.OVERDRAWN_DECISIONS``).
ACCOUNT_OVERDRAWN_DECISION_LABELS = {
    "accept": _l("Keep the payment: the household owes what the account lacked (until the next credit)"),
    "void_event": _l("Cancel the whole payment, any part paid otherwise included: what it paid for is to pay again"),
    "adjust": _l("Settled outside the log (money put on the account)"),
}


def decision_labels(kind: str) -> dict:
    """The words of the decisions a conflict of this kind offers."""
    if kind == "double_handover":
        return DOUBLE_HANDOVER_DECISION_LABELS
    if kind == "account_overdrawn":
        return ACCOUNT_OVERDRAWN_DECISION_LABELS
    return RESOLUTION_ACTION_LABELS


PUSH_KIND_LABELS = {
    "member_reminder": _l("Member: pick-up tomorrow"),
    "member_uncollected": _l("Member: basket not collected"),
    "volunteer_reminder": _l("Volunteer: distribution tomorrow"),
    "pack_changed": _l("Volunteer: distribution updated"),
    "conflict": _l("Conflict to resolve"),
    "device_unsynced": _l("Phone not synced"),
}

PAYMENT_PURPOSE_LABELS = {
    "order": _l("Order"),
    "membership": _l("Membership"),
    "contribution": _l("Contribution"),
    "sale": _l("Sale of extras"),  # a sale's payment in the payments export (docs/extras.md)
}

# How a fee was paid, after its amount ("15,00 € en espèces"): the log's membership lines.
PAID_BY_PHRASES = {
    "cash": _l("in cash"),
    "cheque": _l("by cheque"),
    "card": _l("by card"),
    "transfer": _l("by bank transfer"),
    "prepaid": _l("from the prepaid balance"),
    "allowance": _l("from the solidarity allowance"),
    "local_currency": _l("in local currency"),
}

PUSH_STATUS_LABELS = {
    "sending": _l("being sent"),
    "sent": _l("sent"),
    "failed": _l("push service failed"),
}

LABELS = {
    "distribution_status": DISTRIBUTION_STATUS_LABELS,
    "household_status": HOUSEHOLD_STATUS_LABELS,
    "sold_by": SOLD_BY_LABELS,
    "cheque_state": CHEQUE_STATE_LABELS,
    "account_kind": ACCOUNT_KIND_LABELS,
    "payment_method": PAYMENT_METHOD_LABELS,
    "payment_purpose": PAYMENT_PURPOSE_LABELS,
    "paid_by": PAID_BY_PHRASES,
    "event_type": EVENT_TYPE_LABELS,
    "order_status": ORDER_STATUS_LABELS,
    "pickup_status": PICKUP_STATUS_LABELS,
    "handover_outcome": HANDOVER_OUTCOME_LABELS,
    "cash_count_kind": CASH_COUNT_KIND_LABELS,
    "scan_refusal": SCAN_REFUSAL_LABELS,
    "conflict_kind": CONFLICT_KIND_LABELS,
    "conflict_status": CONFLICT_STATUS_LABELS,
    "resolution_action": RESOLUTION_ACTION_LABELS,
    "push_kind": PUSH_KIND_LABELS,
    "push_status": PUSH_STATUS_LABELS,
}
