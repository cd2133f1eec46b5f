"""The orders CSV import as domain logic: which files are read, every refusal reported, all or nothing."""

import codecs
from pathlib import Path

import pytest
from sqlalchemy import func, select

import server.auth  # noqa: F401  (before server.audit, which the domain imports: server.audit ↔ server.auth cycle)
from server.domain.order_import import (
    MAX_ROWS,
    MESSAGES,
    ImportPlan,
    ImportRefused,
    RowError,
    apply_import,
    parse_orders_csv,
)
from server.extensions import db
from server.models import AuditEntry, Distribution, Order, Point
from tests.factories import Network, make_network, make_order

SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "orders-sample.csv"


@pytest.fixture
def net(app):
    with app.test_request_context():  # a request for the messages' language; the import itself needs none
        yield make_network()


def plan_of(data: bytes | str) -> ImportPlan:
    result = parse_orders_csv(data.encode() if isinstance(data, str) else data)
    assert isinstance(result, ImportPlan), [(e.line, e.column, e.reason, e.value) for e in result]
    return result


def errors_of(data: bytes | str) -> list[tuple[int, str, str]]:
    result = parse_orders_csv(data.encode() if isinstance(data, str) else data)
    assert isinstance(result, list), "the file was accepted"
    for error in result:
        assert isinstance(error, RowError) and error.message  # every reason has words for people
    return [(e.line, e.column, e.reason) for e in result]


def lines_of(plan: ImportPlan, net: Network) -> dict[int, list[tuple[str, int, int]]]:
    codes = {id_: code for code, id_ in net.products.items()}
    return {
        household: [(codes[p.product_id], p.quantity, p.unit_price_cents) for p in planned]
        for household, planned in plan.orders.items()
    }


# Files that are read -------------------------------------------------------------------------------------------


def test_french_excel_file_semicolons_bom_crlf_decimal_comma(net):
    text = (
        "Adhérent;Produit;Quantité;Prix unitaire (€)\r\n"
        f"{net.alice};LEG-M;1;\r\n"
        "\r\n"
        f"alice@example.org;OEUFS-6;2;2,40\r\n"
        f"BRUNO@example.org;pain-500;3;3.5\r\n"
        ";;;\r\n"
    )
    plan = plan_of(codecs.BOM_UTF8 + text.encode())
    assert plan.separator == ";" and plan.encoding == "utf-8"
    assert lines_of(plan, net) == {
        net.alice: [("LEG-M", 1, 1500), ("OEUFS-6", 2, 240)],
        net.bruno: [("PAIN-500", 3, 350)],
    }
    assert plan.line_count == 3


def test_comma_file_english_headers_without_price_column(net):
    plan = plan_of(f"member,product,quantity\n{net.chloe},LEG-S,1\n{net.chloe},OEUFS-6,2\n")
    assert plan.separator == ","
    assert lines_of(plan, net) == {net.chloe: [("LEG-S", 1, 1000), ("OEUFS-6", 2, 270)]}


def test_quoted_decimal_comma_and_ignored_columns(net):
    text = (
        'nom,member,product,quantity,unit_price,note\n"Martin, Alice",alice@example.org,LEG-S,2,"9,50","à la porte"\n'
    )
    assert lines_of(plan_of(text), net) == {net.alice: [("LEG-S", 2, 950)]}


def test_windows_1252_file(net):
    text = f"adhérent;produit;quantité\r\n{net.alice};LEG-S;1\r\n"
    plan = plan_of(text.encode("cp1252"))
    assert plan.encoding == "cp1252"
    assert lines_of(plan, net) == {net.alice: [("LEG-S", 1, 1000)]}


def test_utf16_tab_separated_file(net):
    """What Excel's "Unicode text" export writes."""
    plan = plan_of(f"member\tproduct\tquantity\r\n{net.bruno}\tLEG-M\t2\r\n".encode("utf-16"))
    assert plan.separator == "\t"
    assert lines_of(plan, net) == {net.bruno: [("LEG-M", 2, 1500)]}


def test_excel_sep_line(net):
    plan = plan_of(f"sep=,\nmember,product,quantity\n{net.alice},LEG-S,1\n")
    assert plan.separator == ","
    assert errors_of("sep=;\nmember;product;quantity\n999;LEG-S;1\n") == [(3, "member", "unknown_member")]


def test_file_is_fingerprinted(net):
    data = f"member;product;quantity\n{net.alice};LEG-S;1\n".encode()
    assert len(plan_of(data).sha256) == 64


# Files that are refused ----------------------------------------------------------------------------------------

HEADER = "member;product;quantity;unit_price\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{alice};LEG-S;1;\n999999;LEG-S;1;\n", [(3, "member", "unknown_member")]),
        ("99999999999999999999;LEG-S;1;\n", [(2, "member", "unknown_member")]),  # beyond any INTEGER id
        ("nobody@example.org;LEG-S;1;\n", [(2, "member", "unknown_member")]),
        ("Alice Martin;LEG-S;1;\n", [(2, "member", "unknown_member")]),
        ("dina@example.org;LEG-S;1;\n", [(2, "member", "member_not_active")]),
        ("{alice};LEG-XL;1;\n", [(2, "product", "unknown_product")]),
        ("{alice};MIEL;1;\n", [(2, "product", "inactive_product")]),
        ("{alice};LEG-S;0;\n", [(2, "quantity", "bad_quantity")]),
        ("{alice};LEG-S;-1;\n", [(2, "quantity", "bad_quantity")]),
        ("{alice};LEG-S;1,5;\n", [(2, "quantity", "bad_quantity")]),
        ("{alice};LEG-S;deux;\n", [(2, "quantity", "bad_quantity")]),
        ("{alice};LEG-S;²;\n", [(2, "quantity", "bad_quantity")]),
        ("{alice};LEG-S;100;\n", [(2, "quantity", "quantity_too_large")]),
        ("{alice};LEG-S;1;abc\n", [(2, "unit_price", "bad_price")]),
        ("{alice};LEG-S;1;-2,00\n", [(2, "unit_price", "bad_price")]),
        ("{alice};LEG-S;1;12,505\n", [(2, "unit_price", "bad_price")]),
        ("{alice};LEG-S;1;20000\n", [(2, "unit_price", "price_too_large")]),
        (";LEG-S;;\n", [(2, "member", "missing_value"), (2, "quantity", "missing_value")]),
        ("{alice}\n", [(2, "product", "missing_value"), (2, "quantity", "missing_value")]),
        ("{alice};LEG-S;1;\nalice@example.org;LEG-S;2;\n", [(3, "product", "duplicate_line")]),
        ("{alice};LEG-S;1;;extra\n", [(2, "", "extra_values")]),
        ("{alice};LEG-S;1;;;;\n", []),  # empty trailing cells are fine
        # Numbers beyond Python's 4,300-digit int limit, and long ones under it, never reach int() unchecked
        ("{alice};LEG-S;" + "9" * 5000 + ";\n", [(2, "quantity", "value_too_long")]),
        ("{alice};LEG-S;" + "9" * 999 + ";\n", [(2, "quantity", "quantity_too_large")]),
        ("{alice};LEG-S;" + "0" * 998 + "2;\n", []),
        ("9" * 5000 + ";LEG-S;1;\n", [(2, "member", "value_too_long")]),
        ("9" * 999 + ";LEG-S;1;\n", [(2, "member", "unknown_member")]),
        ("{alice};LEG-S;1;" + "9" * 5000 + "\n", [(2, "unit_price", "value_too_long")]),
    ],
)
def test_bad_rows(net, body, expected):
    data = HEADER + body.format(alice=net.alice)
    if expected:
        assert errors_of(data) == expected
    else:
        plan_of(data)


def test_every_bad_row_is_reported_with_spreadsheet_line_numbers(net):
    text = (
        "\n"  # line 1 is blank: the header is on line 2
        "adherent;produit;quantite\n"
        f"{net.alice};LEG-S;1\n"
        f'{net.bruno};"LEG\nM";1\n'  # a quoted line break stays in one spreadsheet row (line 4)
        "\n"
        "999;LEG-S;1\n"  # line 6
        f"{net.chloe};MIEL;200\n"  # line 7: two problems
    )
    assert errors_of(text) == [
        (4, "produit", "unknown_product"),
        (6, "adherent", "unknown_member"),
        (7, "produit", "inactive_product"),
        (7, "quantite", "quantity_too_large"),
    ]


def test_error_keeps_the_value_and_the_header_as_written(net):
    (error,) = parse_orders_csv(f"Adhérent;Produit;Quantité\n{net.alice};LEG-S;beaucoup\n".encode())
    assert (error.line, error.column, error.value, error.reason) == (2, "Quantité", "beaucoup", "bad_quantity")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", [(0, "", "empty_file")]),
        (b"\r\n\r\n  \n", [(0, "", "empty_file")]),
        (codecs.BOM_UTF8, [(0, "", "empty_file")]),
        (b"member;product;quantity\n", [(1, "", "no_rows")]),
        (b"member;product\n1;LEG-S\n", [(1, "quantity", "missing_column")]),
        (b"prenom;ville\nAlice;Noisiel\n", [(1, c, "missing_column") for c in ("member", "product", "quantity")]),
        (b"nom;prenom\nMartin;Alice\n", [(1, c, "missing_column") for c in ("product", "quantity")]),  # a name
        (b"member;adherent;product;quantity\n1;1;LEG-S;1\n", [(1, "adherent", "duplicate_column")]),
        (b'member;product;quantity\n1;"LEG-S;1\n', [(2, "", "bad_csv")]),
        (b"\x00\x01\x02\xff\xfe garbage \x00", [(0, "", "not_text")]),
        (b"member;product;quantity\n1;LEG-S;1\x1b[0m\n", [(0, "", "not_text")]),
        (b"\x81\x8d\x8f\x90\x9d", [(0, "", "not_text")]),  # neither UTF-8 nor Windows-1252
        (b"PK\x03\x04\x14\x00\x06\x00", [(0, "", "spreadsheet_file")]),  # .xlsx / .ods
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", [(0, "", "spreadsheet_file")]),  # old .xls
    ],
)
def test_bad_files(net, data, expected):
    assert errors_of(data) == expected


def test_a_cell_longer_than_the_csv_modules_limit_is_a_row_error(net):
    long = "X" * 200_000  # Python's csv refuses fields over 131,072 characters by default
    data = HEADER + f"{net.alice};LEG-S;1;\n{net.alice};{long};1;\n{net.bruno};LEG-S;1;{long}\n"
    assert errors_of(data) == [(3, "product", "value_too_long"), (4, "unit_price", "value_too_long")]
    (error, _other) = parse_orders_csv(data.encode())
    assert len(error.value) <= 60 and "1000" in error.message


def test_a_long_cell_in_an_ignored_column_is_ignored(net):
    plan = plan_of(f"member;name;product;quantity\n{net.alice};{'Martin ' * 30_000};LEG-S;1\n")
    assert plan.line_count == 1


def test_an_unclosed_quote_in_a_large_file_is_still_reported_where_it_opens(net):
    data = HEADER + f'{net.alice};"LEG-S;1;\n' + f"{net.bruno};LEG-S;1;\n" * 20_000
    assert errors_of(data) == [(2, "", "bad_csv")]


def test_too_many_rows(net):
    data = HEADER + "1;LEG-S;1;\n" * (MAX_ROWS + 1)
    assert errors_of(data) == [(0, "", "too_many_rows")]


def test_the_largest_file_allowed_is_checked_in_full(net):
    data = HEADER + "".join(f"{net.alice};LEG-S;1;\n" for _ in range(MAX_ROWS))
    errors = errors_of(data)
    assert len(errors) == MAX_ROWS - 1 and {reason for *_, reason in errors} == {"duplicate_line"}


def test_every_reason_has_a_message(app):
    with app.test_request_context():
        for reason, message in MESSAGES.items():
            assert message(max=1, column="quantity", french="quantité", status="left", first=2, detail="x"), reason


# Applying a plan -----------------------------------------------------------------------------------------------


def order_lines(distribution_id: int) -> dict[int, list[tuple[int, int, int]]]:
    orders = db.session.scalars(select(Order).where(Order.distribution_id == distribution_id)).all()
    return {
        o.household_id: [(line.product_id, line.quantity, line.unit_price_cents) for line in o.lines] for o in orders
    }


def order_ids(distribution_id: int) -> dict[int, int]:
    query = select(Order.household_id, Order.id).where(Order.distribution_id == distribution_id)
    return {household_id: order_id for household_id, order_id in db.session.execute(query)}


def test_apply_creates_orders_and_audits(app, net):
    p = net.products
    plan = plan_of(f"member;product;quantity\n{net.alice};LEG-M;1\n{net.bruno};LEG-S;2\n{net.bruno};OEUFS-6;1\n")
    distribution = db.session.get(Distribution, net.distribution)
    summary = apply_import(distribution, plan, filename="commandes.csv")
    db.session.commit()
    assert (summary.created, summary.replaced, summary.lines) == (2, 0, 3)
    assert order_lines(net.distribution) == {
        net.alice: [(p["LEG-M"], 1, 1500)],
        net.bruno: [(p["LEG-S"], 2, 1000), (p["OEUFS-6"], 1, 270)],
    }
    bruno = db.session.scalar(select(Order).where(Order.household_id == net.bruno))
    assert (bruno.full_cents, bruno.due_cents) == (2270, 1589)  # 70 %, line by line, half up: 1400 + 189
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "orders.import"))
    assert entry.target == f"distribution:{net.distribution}"
    assert entry.details["created"] == 2 and entry.details["lines"] == 3
    assert entry.details["filename"] == "commandes.csv" and entry.details["sha256"] == plan.sha256


def test_apply_replaces_lines_of_members_in_the_file_only(app, net):
    p = net.products
    alice = make_order(net.distribution, net.alice, {p["LEG-S"]: (1, 900), p["PAIN-500"]: (1, 350)})
    chloe = make_order(net.distribution, net.chloe, {p["LEG-M"]: (1, 1500)})
    make_order(net.closed_distribution, net.alice, {p["LEG-S"]: (5, 1000)})
    plan = plan_of(f"member;product;quantity;unit_price\n{net.alice};LEG-S;2;\n{net.bruno};LEG-M;1;14\n")
    summary = apply_import(db.session.get(Distribution, net.distribution), plan)
    db.session.commit()
    assert (summary.created, summary.replaced, summary.lines) == (1, 1, 2)
    assert order_lines(net.distribution) == {
        net.alice: [(p["LEG-S"], 2, 1000)],  # same product as before: the old line went, at the current price
        net.bruno: [(p["LEG-M"], 1, 1400)],
        net.chloe: [(p["LEG-M"], 1, 1500)],  # not in the file: kept as it was
    }
    ids = order_ids(net.distribution)
    assert (ids[net.alice], ids[net.chloe]) == (alice, chloe)  # a replaced order keeps its id
    assert order_lines(net.closed_distribution) == {net.alice: [(p["LEG-S"], 5, 1000)]}  # another distribution


def test_objects_loaded_before_the_import_show_the_new_lines(app, net):
    p = net.products
    alice_order = make_order(net.distribution, net.alice, {p["LEG-S"]: (1, 1000)})
    distribution = db.session.get(Distribution, net.distribution)
    order = db.session.get(Order, alice_order)
    assert len(order.lines) == 1 and len(distribution.orders) == 1
    apply_import(distribution, plan_of(f"member;product;quantity\n{net.alice};LEG-M;2\n{net.bruno};LEG-S;1\n"))
    assert [(line.product.code, line.quantity) for line in order.lines] == [("LEG-M", 2)]
    assert order.full_cents == 3000
    assert len(distribution.orders) == 2
    assert all(o.created_at is not None for o in distribution.orders)


def test_apply_flushes_but_never_commits(app, net):
    plan = plan_of(f"member;product;quantity\n{net.alice};LEG-M;1\n")
    apply_import(db.session.get(Distribution, net.distribution), plan)
    assert db.session.scalar(select(func.count(Order.id))) == 1  # flushed: visible in this transaction
    db.session.rollback()
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_apply_refuses_a_closed_distribution(app, net):
    plan = plan_of(f"member;product;quantity\n{net.alice};LEG-M;1\n")
    with pytest.raises(ImportRefused) as refused:
        apply_import(db.session.get(Distribution, net.closed_distribution), plan)
    assert refused.value.reason == "distribution_closed"
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_reimporting_the_same_file_changes_nothing_but_counts_replacements(app, net):
    data = f"member;product;quantity\n{net.alice};LEG-M;1\n{net.alice};OEUFS-6;2\n"
    distribution = db.session.get(Distribution, net.distribution)
    apply_import(distribution, plan_of(data))
    db.session.commit()
    before = order_lines(net.distribution)
    summary = apply_import(distribution, plan_of(data))
    db.session.commit()
    assert (summary.created, summary.replaced) == (0, 1)
    assert [line[1:] for line in order_lines(net.distribution)[net.alice]] == [line[1:] for line in before[net.alice]]


def test_the_documented_sample_imports_into_the_demo_network(app):
    """docs/orders-sample.csv names Noisiel members of the demo network (seeded, so ids and e-mails are stable)."""
    from server.demo.loader import load_demo

    with app.test_request_context():
        load_demo()
        distribution = db.session.scalar(
            select(Distribution)
            .join(Distribution.point)
            .where(Point.town == "Noisiel", Distribution.status == "planned")
            .order_by(Distribution.starts_at)
        )
        plan = plan_of(SAMPLE.read_bytes())
        summary = apply_import(distribution, plan, filename=SAMPLE.name)
        db.session.commit()
    assert (len(plan.orders), summary.lines) == (12, 27)
