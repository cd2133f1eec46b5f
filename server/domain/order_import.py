"""Importing a distribution's orders from a CSV file: one row per order line, all or nothing.

The file is Comptoir's own format or an export of CAMAP/Cagette or Open Food Network as it comes out: their headers
are aliases of ours, their members and products may be named rather than numbered and coded
(``server.domain.order_import_matching``), their total and heading rows are skipped and listed in the plan.

``parse_orders_csv`` reads and checks the whole file against the database and returns either an ``ImportPlan`` or
the list of every problem found (``RowError``, each with a stable ``reason`` code). ``apply_import`` then creates or
replaces the orders of the members named in the plan, flushes and writes one audit entry; the caller commits.
The format is described for people in ``docs/orders-import.md``.

Who (``actor``: see ``server.domain.points``): an admin imports into any distribution and may name any member; a
coordinator imports into the distributions of the points they manage and may name only the members whose home point
is one of theirs. Anyone else in a coordinator's file is an ``unknown_member``, as if they did not exist: a
coordinator does not learn who the other points' members are. A member who collects away from their home point is
imported by an admin.
"""

import codecs
import csv
import hashlib
import io
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update

from server.audit import record
from server.domain import DomainError
from server.domain.contract_orders import generate_distribution
from server.domain.order_import_matching import (
    MAX_GRAMS,
    MembersByName,
    ProductNames,
    counted_grams,
    parse_grams,
    words,
)
from server.domain.points import require_manager
from server.extensions import db
from server.models import Distribution, Household, Order, OrderLine, Product, Tier, User
from server.money_input import parse_cents
from server.urls import MAX_ID

MAX_ROWS = 20_000
MAX_QUANTITY = 99
MAX_UNIT_PRICE_CENTS = 1_000_000  # 10 000 €: anything above is a typing slip, not a product

IN_CHUNK = 1_000  # values per SQL ``IN (…)``, well under SQLite's parameter limit
SHOWN_VALUE_CHARS = 60
# No member number, e-mail (254 at most), product code, quantity or price is longer: a longer cell is a paste gone
# wrong, reported as such rather than as an unknown member. It also keeps every number far below Python's
# 4,300-digit limit on reading integers.
MAX_CELL_CHARS = 1_000

# Canonical column → the header names accepted for it, normalised (lower case, no accents, ``_`` for spaces). The
# exports of CAMAP/Cagette and Open Food Network are read as they come (docs/orders-import.md): their headers are
# here in English and in French, and the columns that would mislead are left out (CAMAP's ``userId`` is CAMAP's
# number, not Comptoir's; OFN's "Item (€)" and CAMAP's ``total`` are line totals, not unit prices).
COLUMNS: dict[str, tuple[str, ...]] = {
    "member": ("member", "adherent", "household", "foyer"),
    "email": ("email", "e_mail", "courriel", "useremail", "customer_email", "e_mail_acheteur"),
    "name": ("name", "nom", "username", "customer", "client", "customer_name", "nom_acheteur"),
    "product": ("product", "produit", "product_code", "code_produit"),
    "code": ("ref", "reference", "sku", "reference_produit"),
    "product_name": ("productname", "product_name", "nom_produit", "pname"),
    "variant": ("variant", "variante"),
    "quantity": ("quantity", "quantite", "qty", "qte"),
    "unit_price": ("unit_price", "prix_unitaire", "price", "prix", "prix_ttc"),
}
# Each of these needs one of its columns: a member is named by number, e-mail or name; a product by code or name.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "member": ("member", "email", "name"),
    "product": ("product", "code", "product_name"),
    "quantity": ("quantity",),
}
MEMBER_COLUMNS = REQUIRED_COLUMNS["member"]
PRODUCT_COLUMNS = ("product", "code", "product_name", "variant")
SEPARATORS = (";", ",", "\t")

# Every reason a file or a row is refused: stable codes for tests and machines, messages for people.
MESSAGES: dict[str, Callable[..., str]] = {
    "empty_file": lambda **p: _("The file is empty."),
    "no_rows": lambda **p: _("The file has a header but no order lines."),
    "too_many_rows": lambda **p: _("The file has more than %(max)d order lines: split it.", **p),
    "spreadsheet_file": lambda **p: _(
        "This is a spreadsheet, not a CSV file: save it as CSV (comma or semicolon separated) and import that."
    ),
    "not_text": lambda **p: _("This is not a text file: export the orders as CSV, in UTF-8 if you can choose."),
    "bad_csv": lambda **p: _('The CSV is malformed from this line on: often a quote (") opened and never closed.'),
    "missing_column": lambda **p: _("The header has no “%(column)s” column (it may also be called “%(french)s”).", **p),
    "duplicate_column": lambda **p: _("Two columns of the header mean “%(column)s”: keep only one.", **p),
    "extra_values": lambda **p: _(
        "This line has more values than the header has columns. With a comma separator, write prices with a dot "
        '(12.50) or between quotes ("12,50").'
    ),
    "missing_value": lambda **p: _("This value is required."),
    "unknown_member": lambda **p: (
        (
            _("No active member of your points has this name.")
            if p.get("scoped")
            else _("No active member has this name.")
        )
        if p.get("by") == "name"
        else _("No member of your points has this number or e-mail.")
        if p.get("scoped")
        else _("No member has this number or e-mail.")
    ),
    "ambiguous_member": lambda **p: _(
        "%(count)d active members have this name: write their number or e-mail instead.", count=p.get("count", 2)
    ),
    "member_not_active": lambda **p: (
        _("This member has left the network.") if p.get("status") == "left" else _("This member is suspended.")
    ),
    "unknown_product": lambda **p: (
        _("No product has this code or name.") if p.get("by") == "name" else _("No product has this code.")
    ),
    "ambiguous_product": lambda **p: _(
        "%(count)d products have this name: write the product code instead.", count=p.get("count", 2)
    ),
    "inactive_product": lambda **p: _("This product is no longer offered (inactive)."),
    "bad_quantity": lambda **p: _("The quantity must be a whole number of at least 1."),
    "quantity_too_large": lambda **p: _("The quantity must be at most %(max)d.", **p),
    "bad_weight": lambda **p: _(
        "This product is sold by weight: write kilograms (0,450) or a weight with its unit (450 g, 0,45 kg)."
    ),
    "weight_too_large": lambda **p: _("The weight must be at most %(max)d kg.", **p),
    "bad_price": lambda **p: _("Not a price in euros, such as 12,50 or 12.50."),
    "price_too_large": lambda **p: _("The unit price must be at most %(max)s €.", **p),
    "duplicate_line": lambda **p: _("The same member and product are already on line %(first)d.", **p),
    "value_too_long": lambda **p: _("This value is too long: at most %(max)d characters.", **p),
}
REASONS = tuple(MESSAGES)
# Rows an export writes that are no order line, skipped and listed by line in the result.
SKIPPED_REASONS = ("total_row", "heading_row")
CLOSED = _l("This distribution is closed: its orders can no longer be changed.")
FRENCH_COLUMN_NAMES = {
    "member": "adhérent",
    "email": "e-mail",
    "name": "nom",
    "code": "référence",
    "product_name": "nom_produit",
    "variant": "variante",
    "product": "produit",
    "quantity": "quantité",
    "unit_price": "prix_unitaire",
}


@dataclass(frozen=True)
class RowError:
    """One problem: the line as a spreadsheet numbers it (header = 1; 0 for the whole file), its column, its value."""

    line: int
    column: str
    value: str
    reason: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return MESSAGES[self.reason](**self.params)


@dataclass(frozen=True)
class SkippedRow:
    """A row that is no order line (an export's total or heading), left out of the import and shown to people."""

    line: int
    reason: str  # one of SKIPPED_REASONS
    value: str


@dataclass(frozen=True)
class PlannedLine:
    line: int
    product_id: int
    quantity: int
    unit_price_cents: int


@dataclass
class ImportPlan:
    """A checked file: household id → its lines, in file order; nothing in it still needs checking."""

    orders: dict[int, list[PlannedLine]]
    encoding: str
    separator: str
    sha256: str
    skipped: list[SkippedRow] = field(default_factory=list)

    @property
    def line_count(self) -> int:
        return sum(len(lines) for lines in self.orders.values())


@dataclass(frozen=True)
class ImportSummary:
    created: int
    replaced: int
    lines: int
    skipped: int = 0


class ImportRefused(DomainError):
    """The import cannot happen at all (the distribution is closed); ``reason`` is a stable code."""

    def __init__(self, reason: str, message: Any):
        super().__init__(message)
        self.reason = reason


# Reading the file ----------------------------------------------------------------------------------------------


def parse_orders_csv(data: bytes, *, actor: User | None = None) -> ImportPlan | list[RowError]:
    """Read and check a whole orders file against the database: a plan, or every problem found.

    A coordinator's file may name only the members whose home point is one of theirs.
    """
    table = read_table(data)
    if isinstance(table, list):
        return table
    point_ids = None if actor is None or actor.role == "admin" else actor.point_ids
    sha256 = hashlib.sha256(data).hexdigest()
    return _check_rows(
        table.header_line,
        table.rows,
        table.header,
        table.columns,
        table.encoding,
        table.separator,
        sha256,
        point_ids,
        table.above,
    )


HEADER_SEARCH = 10  # rows an export may write above its header (OFN's "metadata rows": title, dates, printed at)


@dataclass
class Table:
    """A CSV file as read: its encoding and separator, its header (line, cells, canonical column → index), the rows
    below it, and the rows above it an export wrote (a title, dates), skipped."""

    encoding: str
    separator: str
    header_line: int
    header: list[str]
    columns: dict[str, int]
    rows: list[tuple[int, list[str]]]
    above: list[SkippedRow]


def read_table(
    data: bytes,
    columns: dict[str, tuple[str, ...]] = COLUMNS,
    required: dict[str, tuple[str, ...]] = REQUIRED_COLUMNS,
    french: dict[str, str] = FRENCH_COLUMN_NAMES,
) -> Table | list[RowError]:
    """The file's rows below its header, or the file's problems: decoded (``_decode``), split (``_records``), the
    header found among the first rows as the first that names every ``required`` column (alternatives in a tuple),
    each column once. The one reader of the orders, subscriptions and contracts imports."""
    decoded = _decode(data)
    if isinstance(decoded, RowError):
        return [decoded]
    encoding, content = decoded
    separator, records = _records(content)
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, cells in records:
            if any(cell.strip() for cell in cells):
                rows.append((number, cells))
            if len(rows) > MAX_ROWS + 1:  # the header and MAX_ROWS lines
                return [RowError(0, "", "", "too_many_rows", {"max": MAX_ROWS})]
    except csv.Error as exc:
        return [RowError(records.last_number + 1, "", "", "bad_csv", {"detail": str(exc)})]
    if not rows:
        return [RowError(0, "", "", "empty_file")]
    aliases = {alias: column for column, names in columns.items() for alias in names}

    def missing(line: int, cells: list[str]) -> list[RowError]:
        present = {aliases.get(_normalise(label)) for label in cells}
        return [
            RowError(line, column, "", "missing_column", {"column": column, "french": french[column]})
            for column, alternatives in required.items()
            if not present.intersection(alternatives)
        ]

    start = next((i for i, (line, cells) in enumerate(rows[:HEADER_SEARCH]) if not missing(line, cells)), 0)
    header_line, header = rows[start]
    found: dict[str, int] = {}
    problems: list[RowError] = []
    for index, label in enumerate(header):
        column = aliases.get(_normalise(label))
        if column is None:
            continue  # unknown columns are ignored (a name column helps people)
        if column in found:
            problems.append(RowError(header_line, label.strip(), label.strip(), "duplicate_column", {"column": column}))
        else:
            found[column] = index
    problems += missing(header_line, header)
    if problems:
        return problems
    if len(rows) == start + 1:
        return [RowError(header_line, "", "", "no_rows")]
    above = [
        SkippedRow(line, "heading_row", _shown(next(c for c in cells if c.strip()).strip()))
        for line, cells in rows[:start]
    ]
    return Table(encoding, separator, header_line, header, found, rows[start + 1 :], above)


def _decode(data: bytes) -> tuple[str, str] | RowError:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 (what French Excel writes); never binary."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .xlsx/.ods (zip) and old .xls
        return RowError(0, "", "", "spreadsheet_file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        attempts = ("utf-16",)
    elif b"\x00" in data:
        return RowError(0, "", "", "not_text")
    else:
        attempts = ("utf-8-sig", "cp1252")
    for encoding in attempts:
        try:
            content = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(content):
            return ("utf-8" if encoding == "utf-8-sig" else encoding), content
        break
    return RowError(0, "", "", "not_text")


_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _looks_like_text(content: str) -> bool:
    """No control characters but tab, line breaks and form feed: what any text export contains."""
    return _CONTROL.search(content) is None


_FIELD_LIMIT = threading.Lock()


def _allow_fields_of(size: int) -> None:
    """Let the csv module read a field as long as the whole file. Its default limit (128 KiB) would report a long
    cell as malformed CSV; the limit is a process-wide setting, so it is only ever raised, under a lock."""
    with _FIELD_LIMIT:
        if csv.field_size_limit() < size:
            csv.field_size_limit(size)


class _Records:
    """CSV records numbered as a spreadsheet numbers its rows (a quoted line break stays in one row)."""

    def __init__(self, content: str, separator: str, first_number: int):
        _allow_fields_of(len(content) + 1)
        self._reader = csv.reader(io.StringIO(content, newline=""), delimiter=separator, strict=True)
        self.last_number = first_number - 1

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for cells in self._reader:
            self.last_number += 1
            yield self.last_number, cells


_SEP_LINE = re.compile(r"^sep=(.)\r?\n?", re.IGNORECASE)


def _records(content: str) -> tuple[str, _Records]:
    """Pick the separator: an Excel ``sep=;`` first line if any, else the most frequent of ``; , tab`` in the header."""
    first_number = 1
    match = _SEP_LINE.match(content)
    if match and match.group(1) in SEPARATORS:
        separator = match.group(1)
        content = content[match.end() :]
        first_number = 2
    else:
        header = next((line for line in io.StringIO(content) if line.strip()), "")
        separator = max(SEPARATORS, key=header.count) if any(s in header for s in SEPARATORS) else ","
    return separator, _Records(content, separator, first_number)


def _normalise(name: str) -> str:
    """ "Quantité", "Prix unitaire (€)" → "quantite", "prix_unitaire"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


# Checking the rows ---------------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    cells: dict[str, str]
    labels: dict[str, str]

    def value(self, column: str) -> str:
        return self.cells.get(column, "")

    @property
    def member_column(self) -> str:
        """The column that names this row's member: its number or e-mail, else its e-mail, else its name."""
        given = [column for column in MEMBER_COLUMNS if column in self.cells]
        return next((column for column in given if self.cells[column]), given[0])

    def used(self, column: str) -> bool:
        """Whether the row's check reads this column (a name beside a member number is only there for people)."""
        return column not in MEMBER_COLUMNS or column == self.member_column


def _check_rows(
    header_line: int,
    rows: list[tuple[int, list[str]]],
    header: list[str],
    columns: dict[str, int],
    encoding: str,
    separator: str,
    sha256: str,
    point_ids: set[int] | None,
    above: list[SkippedRow],
) -> ImportPlan | list[RowError]:
    """Check every row below the header; ``above`` are the rows an export wrote above it, skipped."""
    labels = {column: header[index].strip() for column, index in columns.items()}
    parsed = [
        _Row(line, {column: _cell(cells, index) for column, index in columns.items()}, labels) for line, cells in rows
    ]
    skipped = list(above)
    kept: list[tuple[tuple[int, list[str]], _Row]] = []
    for (line, cells), row in zip(rows, parsed, strict=True):
        skip = _skipped(row, cells, set(columns.values()))
        if skip is None:
            kept.append(((line, cells), row))
        else:
            skipped.append(skip)
    if not kept:
        return [RowError(header_line, "", "", "no_rows")]
    members = _Members([row.value(row.member_column) for _, row in kept if row.member_column != "name"], point_ids)
    names = MembersByName(
        [
            row.cells["name"]
            for _, row in kept
            if row.member_column == "name" and len(row.cells["name"]) <= MAX_CELL_CHARS
        ],
        point_ids,
    )
    products = _Products()
    errors: list[RowError] = []
    orders: dict[int, list[PlannedLine]] = {}
    seen: dict[tuple[int, int], int] = {}
    for (line, cells), row in kept:
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            errors.append(RowError(line, "", _shown(separator.join(cells[len(header) :])), "extra_values"))
            continue
        too_long = [c for c, value in row.cells.items() if len(value) > MAX_CELL_CHARS and row.used(c)]
        if too_long:
            errors.extend(_error(row, column, "value_too_long", max=MAX_CELL_CHARS) for column in too_long)
            continue
        row_errors: list[RowError] = []
        household = _check_member(row, members, names, row_errors)
        product = _check_product(row, products, row_errors)
        quantity = _check_quantity(row, product, row_errors)
        price = _check_price(row, product, row_errors)
        if household is not None and product is not None:
            first = seen.setdefault((household.id, product.id), line)
            if first != line:
                row_errors.append(_error(row, _product_column(row), "duplicate_line", first=first))
        if row_errors:
            errors.extend(row_errors)
        elif household is not None and product is not None and quantity is not None and price is not None:
            orders.setdefault(household.id, []).append(PlannedLine(line, product.id, quantity, price))
    if errors:
        return errors
    return ImportPlan(orders=orders, encoding=encoding, separator=separator, sha256=sha256, skipped=skipped)


_TOTAL_WORDS = ("total", "totaux", "sous total", "subtotal", "grand total")


def _skipped(row: _Row, cells: list[str], read: set[int]) -> SkippedRow | None:
    """An export's total row (no product, a cell saying "TOTAL") or heading row (one cell, in a column not read).

    Open Food Network's reports write both around each customer's lines when they are kept in a spreadsheet.
    """
    if any(row.value(column) for column in PRODUCT_COLUMNS):
        return None
    filled = [(index, cell.strip()) for index, cell in enumerate(cells) if cell.strip()]
    for _index, cell in filled:
        said = words(cell)
        if any(said == word or said.startswith(word + " ") for word in _TOTAL_WORDS):
            return SkippedRow(row.line, "total_row", _shown(cell))
    if len(filled) == 1 and filled[0][0] not in read:
        return SkippedRow(row.line, "heading_row", _shown(filled[0][1]))
    return None


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def _shown(value: str) -> str:
    return value if len(value) <= SHOWN_VALUE_CHARS else value[: SHOWN_VALUE_CHARS - 1] + "…"


def _error(row: _Row, column: str, reason: str, **params: Any) -> RowError:
    return RowError(row.line, row.labels[column], _shown(row.cells[column]), reason, params)


def _required(row: _Row, column: str, errors: list[RowError]) -> str | None:
    value = row.cells[column]
    if not value:
        errors.append(_error(row, column, "missing_value"))
        return None
    return value


def _check_member(row: _Row, members: "_Members", names: MembersByName, errors: list[RowError]) -> Household | None:
    column = row.member_column
    value = _required(row, column, errors)
    if value is None:
        return None
    params: dict[str, Any] = {"scoped": True} if members.scoped else {}
    if column == "name":
        found = names.find(value)
        if len(found) > 1:
            errors.append(_error(row, column, "ambiguous_member", count=len(found)))
            return None
        household = found[0] if found else None
        params["by"] = "name"
    else:  # an e-mail column holds e-mails only: digits there are no household number
        household = members.find(value) if column == "member" or "@" in value else None
    if household is None:
        errors.append(_error(row, column, "unknown_member", **params))
        return None
    if household.status != "active":
        errors.append(_error(row, column, "member_not_active", status=household.status))
        return None
    return household


def _product_column(row: _Row) -> str:
    """The column that names this row's product, for its messages: the first given of product, name and code."""
    given = [column for column in ("product", "product_name", "code") if column in row.cells]
    return next((column for column in given if row.cells[column]), given[0])


def _check_product(row: _Row, products: "_Products", errors: list[RowError]) -> Product | None:
    """By code (``ref``, ``sku`` or the product column), else by an unambiguous name (and OFN variant)."""
    column = _product_column(row)
    if _required(row, column, errors) is None:
        return None
    product = products.find(row.value("code")) or products.find(row.value("product"))
    by_name = product is None and (
        bool(row.value("product_name")) or bool(row.value("variant")) or not _looks_like_code(row.value("product"))
    )
    if product is None:
        name = row.value("product_name") or row.value("product")
        found = products.names.find(name, row.value("variant")) if name else []
        if len(found) > 1:
            errors.append(_error(row, column, "ambiguous_product", count=len(found)))
            return None
        product = found[0] if found else None
    if product is None:
        errors.append(_error(row, column, "unknown_product", **({"by": "name"} if by_name else {})))
        return None
    if not product.active:
        errors.append(_error(row, column, "inactive_product"))
        return None
    return product


_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _looks_like_code(value: str) -> bool:
    """A product code as networks write them ("PANIER-M"): one word, no spaces; else the cell is read as a name."""
    return bool(_CODE.match(value))


def _check_quantity(row: _Row, product: Product | None, errors: list[RowError]) -> int | None:
    """A whole number of pieces (or litres); for a product sold by weight, grams from kilograms or a unit."""
    value = _required(row, "quantity", errors)
    if value is None:
        return None
    if product is not None and product.sold_by == "kg":
        grams = counted_grams(value, row.value("variant"))
        if grams is None:
            grams = parse_grams(value)
        if grams is None or grams < 1:
            errors.append(_error(row, "quantity", "bad_weight"))
            return None
        if grams > MAX_GRAMS:
            errors.append(_error(row, "quantity", "weight_too_large", max=MAX_GRAMS // 1000))
            return None
        return grams
    whole = _WHOLE.match(value)
    if whole is None or int(whole.group(1)) < 1:
        errors.append(_error(row, "quantity", "bad_quantity"))
        return None
    if int(whole.group(1)) > MAX_QUANTITY:  # at most MAX_CELL_CHARS digits: int() reads them
        errors.append(_error(row, "quantity", "quantity_too_large", max=MAX_QUANTITY))
        return None
    return int(whole.group(1))


# A whole number, also as exports write a count kept as a decimal number: "2", "2,0", "2.00".
_WHOLE = re.compile(r"^([0-9]+)(?:[.,]0+)?$", re.ASCII)


def _check_price(row: _Row, product: Product | None, errors: list[RowError]) -> int | None:
    """The file's unit price, or the product's current price when the column or the cell is empty."""
    value = row.cells.get("unit_price", "")
    if not value:
        return product.unit_price_cents if product is not None else None
    try:
        cents = parse_cents(value)
    except ValueError:
        errors.append(_error(row, "unit_price", "bad_price"))
        return None
    if cents > MAX_UNIT_PRICE_CENTS:
        errors.append(_error(row, "unit_price", "price_too_large", max=MAX_UNIT_PRICE_CENTS // 100))
        return None
    return cents


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


class _Members:
    """The households a file names, loaded in a few queries: by id number, or by e-mail ignoring case.

    With ``point_ids`` (a coordinator's points), only the households whose home point is one of them are found.
    """

    def __init__(self, values: Iterable[str], point_ids: set[int] | None = None):
        ids = sorted({number for v in values if (number := _member_number(v)) is not None})
        emails = sorted({v.casefold() for v in values if "@" in v and len(v) <= MAX_CELL_CHARS})
        self.scoped = point_ids is not None
        self.by_id: dict[int, Household] = {}
        self.by_email: dict[str, list[Household]] = {}
        households = select(Household)
        if point_ids is not None:
            households = households.where(Household.point_id.in_(sorted(point_ids)))
        for chunk in _chunks(ids):
            for household in db.session.scalars(households.where(Household.id.in_(chunk))):
                self.by_id[household.id] = household
        for chunk in _chunks(emails):
            query = households.where(func.lower(Household.email).in_(chunk))
            for household in db.session.scalars(query):
                self.by_email.setdefault((household.email or "").casefold(), []).append(household)

    def find(self, value: str) -> Household | None:
        if value.isascii() and value.isdigit():
            number = _member_number(value)
            return self.by_id.get(number) if number is not None else None
        matches = self.by_email.get(value.casefold(), [])
        exact = [h for h in matches if h.email == value]
        if len(exact) == 1:
            return exact[0]
        return matches[0] if len(matches) == 1 else None


def _member_number(value: str) -> int | None:
    """The household id a cell of digits names, None if it cannot be one (zero, or beyond any INTEGER id)."""
    digits = value.lstrip("0")
    if not (value.isascii() and value.isdigit()) or not digits or len(digits) > len(str(MAX_ID)):
        return None
    return int(digits) if int(digits) <= MAX_ID else None


class _Products:
    """Every product by code (a network has tens to hundreds): exact code first, then ignoring case; and by name."""

    def __init__(self) -> None:
        self.by_code: dict[str, Product] = {}
        self.by_folded: dict[str, list[Product]] = {}
        products = db.session.scalars(select(Product)).all()
        for product in products:
            self.by_code[product.code] = product
            self.by_folded.setdefault(product.code.casefold(), []).append(product)
        self.names = ProductNames(products)

    def find(self, code: str) -> Product | None:
        if not code:
            return None
        if code in self.by_code:
            return self.by_code[code]
        matches = self.by_folded.get(code.casefold(), [])
        return matches[0] if len(matches) == 1 else None


# Applying a plan -----------------------------------------------------------------------------------------------


def apply_import(
    distribution: Distribution, plan: ImportPlan, *, actor: User | None = None, filename: str = ""
) -> ImportSummary:
    """Create or replace the order of each member in the plan; other members' orders stay as they are.

    ``plan`` must come from ``parse_orders_csv`` with the same ``actor`` (which kept a coordinator to their members).

    A replaced order keeps its id (devices and events may already refer to it); only its lines change, and the
    season contracts' lines are generated again (``server.domain.contract_orders``: a product the file names wins).
    Rows are written with bulk statements (a network-wide file is thousands of orders), then the session forgets
    what it held about these orders so it reads them back as they now are.
    """
    require_manager(actor, distribution.point_id, field=None)
    if distribution.status == "closed":
        raise ImportRefused("distribution_closed", CLOSED)
    order_ids = _existing_order_ids(distribution, list(plan.orders))
    for chunk in _chunks(list(order_ids.values())):
        db.session.execute(delete(OrderLine).where(OrderLine.order_id.in_(chunk)))
    shares = _tier_shares(list(plan.orders))
    _reprice(order_ids, shares)
    new = [household_id for household_id in plan.orders if household_id not in order_ids]
    if new:
        rows = [
            {"distribution_id": distribution.id, "household_id": household_id, "share_percent": shares[household_id]}
            for household_id in new
        ]
        created_ids = db.session.scalars(insert(Order).returning(Order.id, sort_by_parameter_order=True), rows)
        order_ids.update(zip(new, created_ids, strict=True))
    lines = [
        {
            "order_id": order_ids[household_id],
            "product_id": line.product_id,
            "quantity": line.quantity,
            "unit_price_cents": line.unit_price_cents,
        }
        for household_id, planned in plan.orders.items()
        for line in planned
    ]
    db.session.execute(insert(OrderLine), lines)
    _forget_orders(distribution, set(order_ids.values()))
    generate_distribution(distribution)  # the season contracts' lines come back, except a product the file names
    summary = ImportSummary(
        created=len(new), replaced=len(plan.orders) - len(new), lines=len(lines), skipped=len(plan.skipped)
    )
    record(
        "orders.import",
        target=f"distribution:{distribution.id}",
        user=actor,
        created=summary.created,
        replaced=summary.replaced,
        lines=summary.lines,
        skipped=summary.skipped,
        filename=filename,
        sha256=plan.sha256,
        encoding=plan.encoding,
    )
    db.session.flush()
    return summary


def _tier_shares(household_ids: list[int]) -> dict[int, int]:
    """Each household's current tier share, which a created or re-taken order is priced at."""
    shares: dict[int, int] = {}
    for chunk in _chunks(household_ids):
        query = select(Household.id, Tier.share_percent).join(Household.tier).where(Household.id.in_(chunk))
        shares.update({household_id: share for household_id, share in db.session.execute(query)})
    return shares


def _reprice(order_ids: dict[int, int], shares: dict[int, int]) -> None:
    """Set the share of re-taken orders to their household's current tier, one statement per share and chunk."""
    by_share: dict[int, list[int]] = {}
    for household_id, order_id in order_ids.items():
        by_share.setdefault(shares[household_id], []).append(order_id)
    for share, ids in by_share.items():
        for chunk in _chunks(ids):
            db.session.execute(update(Order).where(Order.id.in_(chunk)).values(share_percent=share))


def _existing_order_ids(distribution: Distribution, household_ids: list[int]) -> dict[int, int]:
    """Household id → id of its order for this distribution, for the households that already have one."""
    found: dict[int, int] = {}
    for chunk in _chunks(household_ids):
        query = select(Order.household_id, Order.id).where(
            Order.distribution_id == distribution.id, Order.household_id.in_(chunk)
        )
        found.update((household_id, order_id) for household_id, order_id in db.session.execute(query))
    return found


def _forget_orders(distribution: Distribution, order_ids: set[int]) -> None:
    """Expire what the session may hold about the orders the bulk statements changed."""
    db.session.expire(distribution, ["orders"])
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Order) and obj.id in order_ids:
            db.session.expire(obj, ["lines"])
