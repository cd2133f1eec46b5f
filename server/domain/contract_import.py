"""Importing a season contract's subscriptions from a CSV file: one row per subscription line, all or nothing.

The file is read as the orders import reads its own (``server.domain.order_import``: separators, encodings, BOM,
the exports' headers as aliases, members and products by number, e-mail, code or unambiguous name, an export's
total and heading rows skipped). Each row names a member, a product and a quantity per delivery; optionally the
partner household of a shared basket, who takes the first delivery, the status (waiting list), the price per
delivery. CAMAP's subscriptions export may come with it: its ``user2Name`` gives each subscriber's partner.

``parse_subscriptions_csv`` checks the whole file (and the export) and returns a ``SubscriptionsPlan`` or every
problem found; ``apply_subscriptions_import`` offers the products the file names, creates or updates the
subscriptions of the members it names (the others stay as they are), writes one audit entry and generates the
contract's orders once (``server.domain.contract_orders``). Importing the same file again changes nothing.
The format is described for people in ``docs/contracts-import.md``.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.audit import record
from server.domain.contract_orders import Generated, regenerate_contract
from server.domain.contracts import MAX_GRAMS, MAX_QUANTITY, set_contract_product
from server.domain.order_import import (
    _WHOLE,
    MAX_CELL_CHARS,
    RowError,
    SkippedRow,
    Table,
    _cell,
    _check_member,
    _check_product,
    _error,
    _Members,
    _product_column,
    _Products,
    _Row,
    _shown,
    _skipped,
    read_table,
)
from server.domain.order_import import (
    COLUMNS as ORDER_COLUMNS,
)
from server.domain.order_import import (
    MESSAGES as ORDER_MESSAGES,
)
from server.domain.order_import_matching import MembersByName, words
from server.domain.points import require_manager
from server.extensions import db
from server.models import Contract, Household, Product, Subscription, SubscriptionQuantity, User
from server.money_input import parse_cents
from sync.pricing import parse_grams

MAX_PRICE_CENTS = 1_000_000  # what a contract's price per delivery may be (``set_contract_product``)

# Canonical column → accepted header names, normalised. Members and products are named as in the orders import;
# CAMAP's ``user2Name`` is the partner of a shared basket. Line totals (OFN's "Item (€)") are not read.
COLUMNS: dict[str, tuple[str, ...]] = {
    **{name: ORDER_COLUMNS[name] for name in ("member", "email", "name", "product", "code", "product_name")},
    "variant": ORDER_COLUMNS["variant"],
    "quantity": ORDER_COLUMNS["quantity"],
    "unit_price": (*ORDER_COLUMNS["unit_price"], "price_per_delivery", "prix_par_livraison"),
    "partner": ("partner", "partenaire", "shared_with", "partage_avec", "panier_partage", "user2name", "coabonne"),
    "partner_starts": ("partner_starts", "partenaire_commence", "partner_first", "partenaire_d_abord"),
    "status": ("status", "statut"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "member": ("member", "email", "name"),
    "product": ("product", "code", "product_name"),
    "quantity": ("quantity",),
}
# CAMAP's subscriptions export (``/contractAdmin/exportSubscriptions``): one row per subscription, all catalogues.
EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "email": ("useremail", "email", "e_mail"),
    "name": ("username", "nom", "name"),
    "partner": ("user2name",),
    "contract_name": ("catalogname", "catalog_name", "catalogue", "contrat", "contract"),
    "producer_name": ("vendorname", "vendor_name", "fournisseur", "producteur", "producer"),
}
EXPORT_REQUIRED: dict[str, tuple[str, ...]] = {"member": ("email", "name"), "contract": ("contract_name",)}
FRENCH = {"member": "nom", "product": "produit", "quantity": "quantité", "contract": "catalogName"}

WAITING_WORDS = ("waiting", "waiting list", "attente", "en attente", "liste d attente", "liste attente")
ACTIVE_WORDS = ("active", "actif", "active subscriber", "subscribed", "abonne", "abonnement", "souscrit")
YES_WORDS = ("1", "oui", "yes", "vrai", "true", "o", "y", "x")
NO_WORDS = ("", "0", "non", "no", "faux", "false", "n")

MESSAGES: dict[str, Callable[..., str]] = {
    **ORDER_MESSAGES,
    "no_rows": lambda **p: _("The file has a header but no subscription lines."),
    "too_many_rows": lambda **p: _("The file has more than %(max)d lines: split it.", **p),
    "not_text": lambda **p: _("This is not a text file: export the subscriptions as CSV, in UTF-8 if you can choose."),
    "bad_weight": lambda **p: _(
        "This product is sold by weight: give its weight per delivery, about, from 1 g to 99 kg (500, 500 g or 0,5 kg)."
    ),
    "other_producer": lambda **p: _(
        "This product is another producer's (%(producer)s): a contract delivers its own producer's products.", **p
    ),
    "other_point": lambda **p: _("This member's home point is not the contract's point."),
    "bad_quantity": lambda **p: _("The quantity per delivery must be a whole number from 1 to %(max)d.", **p),
    "bad_price": lambda **p: _("Not a price in euros, such as 15,00 or 15.00 (at most 10 000 €)."),
    "conflicting_price": lambda **p: _("Line %(first)d gives this product another price per delivery.", **p),
    "bad_status": lambda **p: _("Write “active” or “waiting” (or leave it empty: active)."),
    "bad_yes_no": lambda **p: _("Write “oui” or “non”."),
    "partner_is_member": lambda **p: _("A shared basket is shared with another household."),
    "conflicting_value": lambda **p: _("Line %(first)d says otherwise for this member: one value per member.", **p),
    "no_contract_rows": lambda **p: _(
        "No row of the subscriptions export is for this contract: give the contract CAMAP's catalogue name "
        "(catalogName), or its producer CAMAP's name (vendorName)."
    ),
    "several_catalogues": lambda **p: _(
        "The subscriptions export has several catalogues of this producer (%(names)s): give the contract the "
        "name of its catalogue.",
        **p,
    ),
    "no_lines": lambda **p: _(
        "CAMAP subscribes this member to the contract, but the lines file has no line for them: add their lines."
    ),
}
REASONS = tuple(MESSAGES)


@dataclass(frozen=True)
class Problem(RowError):
    """A problem of this import: its reasons and words are this module's (shared ones keep the orders import's)."""

    @property
    def message(self) -> str:
        return MESSAGES[self.reason](**self.params)


def _problem(error: RowError) -> Problem:
    return Problem(error.line, error.column, error.value, error.reason, error.params)


@dataclass
class PlannedSubscription:
    """A member's subscription as the file says it: product id → quantity per delivery, and what else it says."""

    line: int
    household_id: int
    quantities: dict[int, int] = field(default_factory=dict)
    partner_id: int | None = None
    partner_said: bool = False  # the file says who the partner is (an empty cell: nobody)
    partner_starts: bool | None = None  # None: not said
    status: str | None = None  # None: not said (a new subscription is active, an existing one keeps its status)


@dataclass
class SubscriptionsPlan:
    """A checked file: household id → its subscription; product id → the price per delivery it gives, if any."""

    subscriptions: dict[int, PlannedSubscription]
    prices: dict[int, int | None]
    encoding: str
    separator: str
    sha256: str
    skipped: list[SkippedRow] = field(default_factory=list)
    partners_from_export: int = 0

    @property
    def line_count(self) -> int:
        return sum(len(s.quantities) for s in self.subscriptions.values())


@dataclass(frozen=True)
class SubscriptionsSummary:
    created: int
    updated: int
    unchanged: int
    products_added: int
    prices_changed: int
    lines: int
    skipped: int = 0


# Reading a file --------------------------------------------------------------------------------------------------


def _table(
    data: bytes,
    columns: dict[str, tuple[str, ...]],
    required: dict[str, tuple[str, ...]],
    french: dict[str, str] | None = None,
) -> Table | list[Problem]:
    """The rows of a CSV file below its header (the orders import's reader), or its problems in this import's words."""
    table = read_table(data, columns, required, french or FRENCH)
    return [_problem(error) for error in table] if isinstance(table, list) else table


def _parsed(table: Table) -> list[tuple[int, list[str], _Row]]:
    labels = {column: table.header[index].strip() for column, index in table.columns.items()}
    return [
        (line, cells, _Row(line, {c: _cell(cells, i) for c, i in table.columns.items()}, labels))
        for line, cells in table.rows
    ]


# Checking a file ---------------------------------------------------------------------------------------------------


def parse_subscriptions_csv(
    data: bytes, contract: Contract, *, actor: User | None = None, export: bytes | None = None
) -> SubscriptionsPlan | list[RowError]:
    """Read and check a whole subscriptions file (and CAMAP's subscriptions export, if given) against the database."""
    table = _table(data, COLUMNS, REQUIRED)
    if isinstance(table, list):
        return table
    kept: list[tuple[int, list[str], _Row]] = []
    skipped = list(table.above)
    read = set(table.columns.values())
    for line, cells, row in _parsed(table):
        skip = _skipped(row, cells, read)
        if skip is None:
            kept.append((line, cells, row))
        else:
            skipped.append(skip)
    if not kept:
        return [Problem(table.header_line, "", "", "no_rows")]
    lookups = _Lookups(
        contract,
        actor,
        [row for _, _, row in kept],
    )
    problems: list[RowError] = []
    plan = SubscriptionsPlan(
        subscriptions={},
        prices={},
        encoding=table.encoding,
        separator=table.separator,
        sha256=hashlib.sha256(data).hexdigest(),
        skipped=skipped,
    )
    seen: dict[tuple[int, int], int] = {}
    price_lines: dict[int, int] = {}
    for line, cells, row in kept:
        if len(cells) > len(table.header) and any(c.strip() for c in cells[len(table.header) :]):
            extra = table.separator.join(cells[len(table.header) :])
            problems.append(Problem(line, "", _shown(extra), "extra_values"))
            continue
        too_long = [c for c, value in row.cells.items() if len(value) > MAX_CELL_CHARS and row.used(c)]
        if too_long:
            problems += [_problem(_error(row, c, "value_too_long", max=MAX_CELL_CHARS)) for c in too_long]
            continue
        found: list[RowError] = []
        household = lookups.member(row, found)
        product = _check_product(row, lookups.products, found)
        if product is not None and product.producer_id not in (None, contract.producer_id):
            found.append(_error(row, _product_column(row), "other_producer", producer=product.producer.name))
            product = None
        quantity = _quantity(row, found, product)
        price = _price(row, found)
        partner = lookups.partner(row, household, found)
        starts = _yes_no(row, "partner_starts", found)
        status = _status(row, found)
        if household is not None and product is not None:
            first = seen.setdefault((household.id, product.id), line)
            if first != line:
                found.append(_error(row, _product_column(row), "duplicate_line", first=first))
        if product is not None and price is not None:
            first = price_lines.setdefault(product.id, line)
            if plan.prices.get(product.id, price) != price:
                found.append(_error(row, "unit_price", "conflicting_price", first=first))
        if found or household is None or product is None or quantity is None:
            problems += [_problem(error) for error in found]
            continue
        if price is not None:
            plan.prices[product.id] = price
        else:
            plan.prices.setdefault(product.id, None)
        planned = plan.subscriptions.setdefault(household.id, PlannedSubscription(line, household.id))
        planned.quantities[product.id] = quantity
        if "partner" in row.cells:
            planned.partner_said = True  # the file says who shares the basket: an empty cell, nobody
        said = (
            ("partner", "partner_id", partner.id if partner else None),
            ("partner_starts", "partner_starts", starts),
        )
        for column, attribute, value in (*said, ("status", "status", status)):
            if value is None:
                continue
            if getattr(planned, attribute) not in (None, value):
                problems.append(_problem(_error(row, column, "conflicting_value", first=planned.line)))
            setattr(planned, attribute, value)
    if export is not None and not problems:
        problems += _merge_export(export, contract, actor, plan)
    return problems or plan


def _quantity(row: _Row, errors: list[RowError], product: Product | None = None) -> int | None:
    """Pieces per delivery; for a product sold by weight, its estimated weight in grams, typed as on the forms
    ("500", "500 g", "0,5 kg": ``sync.pricing.parse_grams``)."""
    value = row.value("quantity")
    if not value:
        errors.append(_error(row, "quantity", "missing_value"))
        return None
    if product is not None and product.sold_by == "kg":
        grams = parse_grams(value)
        if grams is None or grams > MAX_GRAMS:
            errors.append(_error(row, "quantity", "bad_weight"))
            return None
        return grams
    whole = _WHOLE.match(value)
    if whole is None or not 1 <= int(whole.group(1)) <= MAX_QUANTITY:
        errors.append(_error(row, "quantity", "bad_quantity", max=MAX_QUANTITY))
        return None
    return int(whole.group(1))


def _price(row: _Row, errors: list[RowError]) -> int | None:
    value = row.value("unit_price")
    if not value:
        return None
    try:
        cents = parse_cents(value)
    except ValueError:
        cents = -1
    if not 0 <= cents <= MAX_PRICE_CENTS:
        errors.append(_error(row, "unit_price", "bad_price"))
        return None
    return cents


def _status(row: _Row, errors: list[RowError]) -> str | None:
    if not row.value("status"):
        return None
    said = words(row.cells["status"])
    if said in WAITING_WORDS:
        return "waiting"
    if said in ACTIVE_WORDS:
        return "active"
    errors.append(_error(row, "status", "bad_status"))
    return None


def _yes_no(row: _Row, column: str, errors: list[RowError]) -> bool | None:
    if column not in row.cells or not row.cells[column]:
        return None
    said = words(row.cells[column])
    if said in YES_WORDS:
        return True
    if said in NO_WORDS:
        return False
    errors.append(_error(row, column, "bad_yes_no"))
    return None


_NUMBER_OR_EMAIL = re.compile(r"^[0-9]+$|@")


class _Lookups:
    """What a file names, found in a few queries: members and partners by number or e-mail (an admin's anywhere, a
    coordinator's among their points) or by name (among the contract point's active households), products."""

    def __init__(self, contract: Contract, actor: User | None, rows: list[_Row], names: list[str] | None = None):
        self.contract = contract
        scope = None if actor is None or actor.role == "admin" else actor.point_ids
        partners = [row.value("partner") for row in rows if row.value("partner")]
        numbered = [row.value(row.member_column) for row in rows if row.member_column != "name"]
        numbered += [p for p in partners if _NUMBER_OR_EMAIL.search(p)]
        named = [row.value("name") for row in rows if row.member_column == "name"] + list(names or [])
        named += [p for p in partners if not _NUMBER_OR_EMAIL.search(p)]
        self.members = _Members(numbered, scope)
        self.names = MembersByName([n for n in named if len(n) <= MAX_CELL_CHARS], {contract.point_id})
        self.products = _Products()

    def member(self, row: _Row, errors: list[RowError]) -> Household | None:
        household = _check_member(row, self.members, self.names, errors)
        if household is not None and household.point_id != self.contract.point_id:
            errors.append(_error(row, row.member_column, "other_point"))
            return None
        return household

    def partner(self, row: _Row, household: Household | None, errors: list[RowError]) -> Household | None:
        value = row.value("partner")
        if not value:
            return None
        if _NUMBER_OR_EMAIL.search(value):
            partner = self.members.find(value)
            by: dict[str, Any] = {}
        else:
            found = self.names.find(value)
            if len(found) > 1:
                errors.append(_error(row, "partner", "ambiguous_member", count=len(found)))
                return None
            partner = found[0] if found else None
            by = {"by": "name"}
        if partner is None:
            errors.append(
                _error(row, "partner", "unknown_member", **by, **({"scoped": True} if self.members.scoped else {}))
            )
            return None
        if partner.status != "active":
            errors.append(_error(row, "partner", "member_not_active", status=partner.status))
            return None
        if partner.point_id != self.contract.point_id:
            errors.append(_error(row, "partner", "other_point"))
            return None
        if household is not None and partner.id == household.id:
            errors.append(_error(row, "partner", "partner_is_member"))
            return None
        return partner


def _merge_export(export: bytes, contract: Contract, actor: User | None, plan: SubscriptionsPlan) -> list[RowError]:
    """Take each subscriber's partner from CAMAP's subscriptions export: its rows of this contract (its catalogue
    named as the contract, else the only catalogue of its producer), each a member of the lines file."""
    table = _table(export, EXPORT_COLUMNS, EXPORT_REQUIRED)
    if isinstance(table, list):
        return [_in_export(problem) for problem in table]
    rows = [row for _, _, row in _parsed(table)]
    mine = [row for row in rows if words(row.value("contract_name")) == words(contract.name)]
    if not mine and "producer_name" in table.columns:
        of_producer = [row for row in rows if words(row.value("producer_name")) == words(contract.producer.name)]
        catalogues = sorted({row.value("contract_name") for row in of_producer})
        if len(catalogues) > 1:
            names = ", ".join(f"« {name} »" for name in catalogues)
            return [Problem(0, "", contract.name, "several_catalogues", {"names": names})]
        mine = of_producer
    if not mine:
        return [Problem(0, "", _shown(contract.name), "no_contract_rows")]
    lookups = _Lookups(contract, actor, mine)
    problems: list[RowError] = []
    for row in mine:
        found: list[RowError] = []
        household = lookups.member(row, found)
        partner = lookups.partner(row, household, found)
        if household is not None and not found:
            planned = plan.subscriptions.get(household.id)
            if planned is None:
                found.append(_error(row, row.member_column, "no_lines"))
            elif planned.partner_said and planned.partner_id != (partner.id if partner else None):
                found.append(_error(row, "partner", "conflicting_value", first=planned.line))
            else:
                planned.partner_id = partner.id if partner else None
                planned.partner_said = True
                plan.partners_from_export += partner is not None
        problems += [_in_export(error) for error in found]
    return problems


def _in_export(error: RowError) -> Problem:
    """A problem of the subscriptions export: its column says which file it is in."""
    column = f"{error.column} ({_('subscriptions export')})" if error.column else _("subscriptions export")
    return Problem(error.line, column, error.value, error.reason, error.params)


# Applying a plan ---------------------------------------------------------------------------------------------------


def apply_subscriptions_import(
    contract: Contract, plan: SubscriptionsPlan, *, actor: User | None = None, filename: str = ""
) -> tuple[SubscriptionsSummary, Generated]:
    """Offer the file's products, create or update the subscriptions of the members it names, generate once.

    ``plan`` must come from ``parse_subscriptions_csv`` for this contract and actor. A member's subscription gets
    exactly the file's quantities; what the file does not say (no partner or status column) stays as it was.
    Members not in the file keep their subscriptions: an import never removes one.
    """
    require_manager(actor, contract.point_id, field=None)
    offered = {p.product_id: p for p in contract.products}
    added = repriced = 0
    for product_id, price in sorted(plan.prices.items()):
        current = offered.get(product_id)
        product = db.session.get(Product, product_id)
        if current is None:
            cents = price if price is not None else product.unit_price_cents
            set_contract_product(contract, product, cents, actor=actor, regenerate=False)
            added += 1
        elif price is not None and price != current.unit_price_cents:
            set_contract_product(contract, product, price, current.default_quantity, actor=actor, regenerate=False)
            repriced += 1
    offered_ids = {p.product_id: p.id for p in contract.products}
    existing = {
        s.household_id: s
        for s in db.session.scalars(
            select(Subscription)
            .options(selectinload(Subscription.quantities))
            .where(Subscription.contract_id == contract.id)
        )
    }
    created = updated = 0
    for household_id, planned in plan.subscriptions.items():
        quantities = {offered_ids[product_id]: q for product_id, q in planned.quantities.items()}
        subscription = existing.get(household_id)
        if subscription is None:
            subscription = Subscription(
                contract_id=contract.id,
                household_id=household_id,
                status=planned.status or "active",
                partner_id=planned.partner_id,
                partner_starts=bool(planned.partner_starts),
            )
            subscription.quantities = [
                SubscriptionQuantity(contract_product_id=offered_id, quantity=quantity)
                for offered_id, quantity in sorted(quantities.items())
            ]
            db.session.add(subscription)
            created += 1
        elif _update(subscription, planned, quantities):
            updated += 1
    db.session.flush()
    summary = SubscriptionsSummary(
        created=created,
        updated=updated,
        unchanged=len(plan.subscriptions) - created - updated,
        products_added=added,
        prices_changed=repriced,
        lines=plan.line_count,
        skipped=len(plan.skipped),
    )
    record(
        "contract.import",
        target=f"contract:{contract.id}",
        user=actor,
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        products_added=added,
        prices_changed=repriced,
        lines=summary.lines,
        partners_from_export=plan.partners_from_export,
        filename=filename,
        sha256=plan.sha256,
        encoding=plan.encoding,
    )
    return summary, regenerate_contract(contract)


def _update(subscription: Subscription, planned: PlannedSubscription, quantities: dict[int, int]) -> bool:
    """Make an existing subscription what the file says; whether anything changed."""
    changed = False
    if {q.contract_product_id: q.quantity for q in subscription.quantities} != quantities:
        kept = {q.contract_product_id: q for q in subscription.quantities}
        made = []
        for offered_id, quantity in sorted(quantities.items()):
            line = kept.get(offered_id) or SubscriptionQuantity(contract_product_id=offered_id)
            line.quantity = quantity
            made.append(line)
        subscription.quantities = made
        changed = True
    wanted = {
        "partner_id": planned.partner_id if planned.partner_said else subscription.partner_id,
        "partner_starts": subscription.partner_starts if planned.partner_starts is None else planned.partner_starts,
        "status": planned.status or subscription.status,
    }
    for name, value in wanted.items():
        if getattr(subscription, name) != value:
            setattr(subscription, name, value)
            changed = True
    return changed
