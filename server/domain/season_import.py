"""Importing a point's season contracts from a CSV file: one row per contract product, all or nothing.

Each row names a contract (its terms: producer, first and last days, frequency, payment, cheques, absences allowed)
and one product it delivers at its price per delivery. The rows of one contract repeat its terms, which must agree.
A contract of the point with the same name is updated (``update_contract``), another created (``create_contract``);
its products are offered with ``set_contract_product``; each contract's orders are generated once at the end. The
same file again changes nothing. Read by the orders import's reader (``server.domain.contract_import``'s table);
described in ``docs/contracts-import.md``, "A season's contracts".
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from server.audit import record
from server.domain.contract_import import MESSAGES as SUBSCRIPTION_MESSAGES
from server.domain.contract_import import Problem, _parsed, _price, _quantity, _table
from server.domain.contract_orders import Generated, regenerate_contract
from server.domain.contracts import create_contract, set_contract_product, update_contract
from server.domain.order_import import COLUMNS as ORDER_COLUMNS
from server.domain.order_import import (
    MAX_CELL_CHARS,
    RowError,
    _check_product,
    _error,
    _product_column,
    _Products,
    _Row,
)
from server.domain.order_import_matching import words
from server.domain.points import require_manager
from server.extensions import db
from server.models import Contract, Point, Producer, Product, User

COLUMNS: dict[str, tuple[str, ...]] = {
    "contract": ("contract", "contrat", "nom_du_contrat", "catalogname", "catalogue"),
    "producer": ("producer", "producteur", "vendorname", "fournisseur"),
    "starts_on": ("starts_on", "debut", "date_de_debut", "premier_jour", "startdate", "start_date"),
    "ends_on": ("ends_on", "fin", "date_de_fin", "dernier_jour", "enddate", "end_date"),
    "frequency": ("frequency", "frequence", "livraisons"),
    "payment": ("payment", "paiement", "reglement"),
    "cheque_count": ("cheque_count", "cheques", "nombre_de_cheques"),
    "absence_cap": ("absence_cap", "absences", "absences_permises"),
    **{name: ORDER_COLUMNS[name] for name in ("product", "code", "product_name", "variant")},
    "unit_price": (*ORDER_COLUMNS["unit_price"], "price_per_delivery", "prix_par_livraison"),
    "quantity": ("default_quantity", "quantite_par_defaut", *ORDER_COLUMNS["quantity"]),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "contract": ("contract",),
    "producer": ("producer",),
    "starts_on": ("starts_on",),
    "ends_on": ("ends_on",),
    "product": ("product", "code", "product_name"),
    "unit_price": ("unit_price",),
}
FRENCH = {
    "contract": "contrat",
    "producer": "producteur",
    "starts_on": "début",
    "ends_on": "fin",
    "product": "produit",
    "unit_price": "prix_par_livraison",
}
TERMS = ("producer", "starts_on", "ends_on", "frequency", "payment", "cheque_count", "absence_cap")
FREQUENCIES = {
    "every": ("every", "weekly", "chaque distribution", "chaque semaine", "toutes les semaines", "hebdomadaire"),
    "fortnightly": ("fortnightly", "toutes les deux semaines", "une semaine sur deux", "quinzaine", "bimensuel"),
}
PAYMENTS = {
    "per_delivery": ("per delivery", "per_delivery", "a la livraison", "a chaque livraison", "au point"),
    "cheques": ("cheques", "cheque", "par cheques", "d avance"),
    "prepaid": ("prepaid", "prepaye", "compte prepaye"),
}

MESSAGES: dict[str, Callable[..., str]] = {
    **SUBSCRIPTION_MESSAGES,
    "no_rows": lambda **p: _("The file has a header but no contract lines."),
    "unknown_producer": lambda **p: _("No producer has this name."),
    "bad_date": lambda **p: _("Not a date: write 2026-03-17 or 17/03/2026."),
    "ends_before_start": lambda **p: _("The season must end on or after its first day."),
    "bad_frequency": lambda **p: _("Write “chaque semaine” or “une semaine sur deux” (chosen dates: on the page)."),
    "bad_payment": lambda **p: _("Write “à la livraison”, “chèques” or “prépayé”."),
    "bad_count": lambda **p: _("Give a whole number from 0 to 99."),
    "no_cheque_count": lambda **p: _("Say in how many cheques the season is paid."),
    "conflicting_terms": lambda **p: _("Line %(first)d gives this contract other terms: one value per contract.", **p),
}
REASONS = tuple(MESSAGES)


@dataclass(frozen=True)
class SeasonProblem(Problem):
    @property
    def message(self) -> str:
        return MESSAGES[self.reason](**self.params)


@dataclass
class PlannedContract:
    line: int
    name: str
    terms: dict[str, Any]
    products: dict[int, tuple[int, int]] = field(default_factory=dict)  # product id → (price, default quantity)


@dataclass
class SeasonPlan:
    contracts: dict[str, PlannedContract]  # by the name's words
    encoding: str
    sha256: str


@dataclass(frozen=True)
class SeasonSummary:
    created: int
    updated: int
    unchanged: int
    products: int


def parse_season_csv(data: bytes, point: Point) -> SeasonPlan | list[RowError]:
    """Read and check a whole contracts file for ``point``: a plan, or every problem found."""
    table = _table(data, COLUMNS, REQUIRED, FRENCH)
    if isinstance(table, list):
        return [_season(problem) for problem in table]
    producers = {words(p.name): p for p in db.session.scalars(select(Producer))}
    products = _Products()
    plan = SeasonPlan({}, table.encoding, hashlib.sha256(data).hexdigest())
    problems: list[RowError] = []
    seen: dict[tuple[str, int], int] = {}
    for line, _cells, row in _parsed(table):
        too_long = [c for c, value in row.cells.items() if len(value) > MAX_CELL_CHARS]
        if too_long:
            problems += [_season(_error(row, c, "value_too_long", max=MAX_CELL_CHARS)) for c in too_long]
            continue
        found: list[RowError] = []
        name = row.value("contract")
        if not name:
            found.append(_error(row, "contract", "missing_value"))
        terms = _terms(row, producers, found)
        product = _check_product(row, products, found)
        price = _price(row, found)
        if row.value("unit_price") == "":
            found.append(_error(row, "unit_price", "missing_value"))
        # The default quantity per delivery: 1 piece when left empty; a weight must be given.
        weighed = product is not None and product.sold_by == "kg"
        quantity = _quantity(row, found, product) if row.value("quantity") or weighed else 1
        if found or product is None or price is None or quantity is None:
            problems += [_season(error) for error in found]
            continue
        if product.producer_id not in (None, terms["producer_id"]):
            problems.append(
                _season(_error(row, _product_column(row), "other_producer", producer=product.producer.name))
            )
            continue
        key = words(name)
        planned = plan.contracts.setdefault(key, PlannedContract(line, name, terms))
        if planned.terms != terms:
            problems.append(_season(_error(row, "contract", "conflicting_terms", first=planned.line)))
            continue
        first = seen.setdefault((key, product.id), line)
        if first != line:
            problems.append(_season(_error(row, _product_column(row), "duplicate_line", first=first)))
            continue
        planned.products[product.id] = (price, quantity)
    if not plan.contracts and not problems:
        problems.append(SeasonProblem(table.header_line, "", "", "no_rows"))
    return problems or plan


def _season(error: RowError) -> SeasonProblem:
    return SeasonProblem(error.line, error.column, error.value, error.reason, error.params)


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _date(row: _Row, column: str, errors: list[RowError]) -> date | None:
    value = row.value(column)
    if not value:
        errors.append(_error(row, column, "missing_value"))
        return None
    iso, french = _ISO.match(value), _FRENCH_DATE.match(value)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if french:
            return date(int(french[3]), int(french[2]), int(french[1]))
    except ValueError:
        pass
    errors.append(_error(row, column, "bad_date"))
    return None


def _choice(row: _Row, column: str, choices: dict[str, tuple[str, ...]], default: str, reason: str, errors) -> str:
    said = words(row.value(column))
    if not said:
        return default
    for code, names in choices.items():
        if said in names:
            return code
    errors.append(_error(row, column, reason))
    return default


def _count(row: _Row, column: str, errors: list[RowError]) -> int:
    value = row.value(column)
    if not value:
        return 0
    if not (value.isascii() and value.isdigit()) or int(value) > 99:
        errors.append(_error(row, column, "bad_count"))
        return 0
    return int(value)


def _terms(row: _Row, producers: dict[str, Producer], errors: list[RowError]) -> dict[str, Any]:
    producer = producers.get(words(row.value("producer")))
    if not row.value("producer"):
        errors.append(_error(row, "producer", "missing_value"))
    elif producer is None:
        errors.append(_error(row, "producer", "unknown_producer"))
    starts_on, ends_on = _date(row, "starts_on", errors), _date(row, "ends_on", errors)
    if starts_on and ends_on and ends_on < starts_on:
        errors.append(_error(row, "ends_on", "ends_before_start"))
    payment = _choice(row, "payment", PAYMENTS, "per_delivery", "bad_payment", errors)
    cheques = _count(row, "cheque_count", errors)
    if payment == "cheques" and not cheques and "cheque_count" not in {e.column for e in errors}:
        errors.append(_error(row, "payment", "no_cheque_count"))
    return {
        "producer_id": producer.id if producer else None,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "frequency": _choice(row, "frequency", FREQUENCIES, "every", "bad_frequency", errors),
        "payment": payment,
        "cheque_count": cheques,
        "absence_cap": _count(row, "absence_cap", errors),
    }


def apply_season_import(
    point: Point, plan: SeasonPlan, *, actor: User | None = None, filename: str = ""
) -> tuple[SeasonSummary, Generated]:
    """Create or update the plan's contracts at ``point``, offer their products, generate each one's orders once."""
    require_manager(actor, point.id, field=None)
    existing = {words(c.name): c for c in db.session.scalars(select(Contract).where(Contract.point_id == point.id))}
    created = updated = offered = 0
    touched: list[Contract] = []
    for key, planned in plan.contracts.items():
        contract = existing.get(key)
        changed = False
        if contract is None:
            contract = create_contract(point, {"name": planned.name, **planned.terms}, actor=actor)
            created += 1
        else:
            before = {name: getattr(contract, name) for name in planned.terms}
            changed = before != planned.terms
            if changed:
                update_contract(contract, planned.terms, actor=actor)  # its orders: regenerated below, once
        current = {p.product_id: (p.unit_price_cents, p.default_quantity) for p in contract.products}
        for product_id, (price, quantity) in sorted(planned.products.items()):
            if current.get(product_id) != (price, quantity):
                product = db.session.get(Product, product_id)
                set_contract_product(contract, product, price, quantity, actor=actor, regenerate=False)
                offered += 1
                changed = True
        updated += changed and key in existing
        if changed or key not in existing:
            touched.append(contract)
    done = Generated()
    for contract in touched:
        done.add(regenerate_contract(contract))
    summary = SeasonSummary(created, updated, len(plan.contracts) - created - updated, offered)
    record(
        "contract.season_import",
        target=f"point:{point.id}",
        user=actor,
        created=created,
        updated=updated,
        unchanged=summary.unchanged,
        products=offered,
        filename=filename,
        sha256=plan.sha256,
    )
    return summary, done
