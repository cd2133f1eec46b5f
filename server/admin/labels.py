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

ACCOUNT_KIND_LABELS = {
    "prepaid": _l("Prepaid balance"),
    "allowance": _l("Solidarity allowance"),
}

LABELS = {
    "distribution_status": DISTRIBUTION_STATUS_LABELS,
    "household_status": HOUSEHOLD_STATUS_LABELS,
    "account_kind": ACCOUNT_KIND_LABELS,
}
