"""The closed lists of words the server, the devices and the database share.

Codes are stable identifiers stored in the database and sent over the wire; labels live in the UI's
translations, never here.
"""

from typing import Final

CURRENCY: Final = "EUR"

# Payment methods a network may enable (PRODUCT.md, "payment").
PAYMENT_METHODS: Final = (
    "cash",  # espèces
    "cheque",  # chèque
    "card",  # carte via an external terminal
    "transfer",  # virement
    "prepaid",  # compte prépayé
    "allowance",  # allocation solidaire / SSA
    "local_currency",  # monnaie locale
)

# The methods that bring money in, by which a member may credit their prepaid account at the point (a top-up,
# docs/accounts.md "Credit paid at the point"): every payment method but the accounts themselves.
TOP_UP_METHODS: Final = ("cash", "cheque", "card", "transfer", "local_currency")

# How a product is counted (docs/producers.md): by the piece (a basket, a box of eggs), by weight (its order line
# holds grams and its price is per kg; the volunteer weighs it at the hand-over), or by the litre.
SOLD_BY: Final = ("piece", "kg", "litre")

# A cheque's life (docs/producers.md): expected (a season's cheque not given yet, from a contract), received (at the
# point or by the treasurer), then handed to its payee producer or deposited at the network's bank.
CHEQUE_STATES: Final = ("expected", "received", "handed_over", "deposited")

DISTRIBUTION_STATUSES: Final = ("planned", "open", "closed")
HOUSEHOLD_STATUSES: Final = ("active", "suspended", "left")
ACCOUNT_KINDS: Final = ("prepaid", "allowance")
# What put a movement on an account (docs/accounts.md): a synced event (a payment, its void, a conflict's
# resolution, a credit paid at the point), an admin's action (a top-up, a refund, a correction), a scheduled credit or
# expiry of an allowance cycle, an opening balance brought from elsewhere, or what a shortage gives back to the accounts
# that paid an order before it (docs/point-adjustments.md), or what a season contract paid from the prepaid account
# took for what was handed over (docs/contracts.md).
MOVEMENT_KINDS: Final = (
    "payment",
    "void",
    "resolution",
    "point_top_up",
    "top_up",
    "refund",
    "correction",
    "cycle_credit",
    "cycle_expiry",
    "opening",
    "shortage_credit",
    "contract_debit",
)
USER_ROLES: Final = ("admin", "coordinator", "volunteer")
CONFLICT_STATUSES: Final = ("open", "resolved")

# Season contracts (docs/contracts.md): how often a contract delivers, how its baskets are paid, what an absence does
# with the basket, and where a subscription stands.
CONTRACT_FREQUENCIES: Final = ("every", "fortnightly", "chosen")  # every distribution, every two weeks, chosen dates
CONTRACT_PAYMENTS: Final = ("per_delivery", "cheques", "prepaid")  # at the point; in advance by cheques; prepaid
ABSENCE_KINDS: Final = ("skip", "given", "offered")  # not due; given to a named household; to the waiting list
SUBSCRIPTION_STATUSES: Final = ("active", "waiting")  # a subscriber, or on the contract's waiting list
