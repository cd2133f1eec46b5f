"""The orders import reads CAMAP/Cagette and Open Food Network exports as they come (docs/orders-import.md)."""

from pathlib import Path

import pytest
from sqlalchemy import select

import server.auth  # noqa: F401  (before server.audit, which the domain imports: server.audit ↔ server.auth cycle)
from server.domain.order_import import ImportPlan, RowError, apply_import, parse_orders_csv
from server.domain.order_import_matching import parse_grams
from server.extensions import db
from server.models import Distribution, Household, Order, Point, Product, Tier
from tests.factories import make_network

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture
def net(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):  # the messages read here are the English ones
        yield make_network()


def plan_of(data: bytes | str) -> ImportPlan:
    result = parse_orders_csv(data.encode() if isinstance(data, str) else data)
    assert isinstance(result, ImportPlan), [(e.line, e.column, e.reason, e.value) for e in result]
    return result


def errors_of(data: bytes | str) -> list[RowError]:
    result = parse_orders_csv(data.encode() if isinstance(data, str) else data)
    assert isinstance(result, list), "the file was accepted"
    assert all(error.message for error in result)  # every reason has words for people
    return result


def reasons(errors: list[RowError]) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.reason) for e in errors]


def codes_of(plan: ImportPlan) -> dict[int, list[tuple[str, int, int]]]:
    codes = {p.id: p.code for p in db.session.scalars(select(Product))}
    return {
        household: [(codes[line.product_id], line.quantity, line.unit_price_cents) for line in lines]
        for household, lines in plan.orders.items()
    }


# The sample files, into the demo network -----------------------------------------------------------------------


def test_the_camap_and_ofn_samples_import_into_the_demo_network(app):
    """The three documented samples name Noisiel members and products of the demo network (seeded: stable)."""
    from server.demo.loader import load_demo

    with app.test_request_context():
        load_demo()
        db.session.commit()
        distribution = db.session.scalar(
            select(Distribution)
            .join(Distribution.point)
            .where(Point.town == "Noisiel", Distribution.status == "planned")
            .order_by(Distribution.starts_at)
        )
        by_email = {h.email: h.id for h in db.session.scalars(select(Household).where(Household.id < 80))}

        camap = plan_of((DOCS / "orders-camap-sample.csv").read_bytes())
        assert camap.separator == ";" and camap.skipped == []
        lines = codes_of(camap)
        assert lines[by_email["elif.demir@example.org"]] == [
            ("PANIER-M", 1, 1500),  # "Panier de légumes M 1 pièce": the name without CAMAP's size
            ("OEUFS-6", 1, 270),  # by its reference: "Œufs plein air" alone names two products
            ("PAIN-500", 1, 350),  # "Pain de campagne au levain 500 g.": the name with the product's unit
        ]
        # "MOREAU Monique / Paul": a CAMAP couple is its account holder; "2" as CAMAP writes it, 3,80 € each
        assert lines[by_email["monique.moreau@example.org"]] == [("PANIER-L", 1, 2000), ("JUS-POMME", 2, 380)]
        assert lines[by_email["grace.ndiaye@example.org"]] == [("PANIER-M", 1, 1500), ("OEUFS-12", 1, 500)]
        assert (len(camap.orders), camap.line_count) == (6, 13)

        per_member = plan_of((DOCS / "orders-camap-member-sample.csv").read_bytes())
        lines = codes_of(per_member)
        assert lines[by_email["theo.joly@example.org"]] == [("PANIER-S", 2, 1000)]
        assert (len(per_member.orders), per_member.line_count) == (6, 6)

        ofn = plan_of((DOCS / "orders-ofn-sample.csv").read_bytes())
        assert ofn.separator == ","
        assert [(s.line, s.reason, s.value) for s in ofn.skipped] == [
            (4, "total_row", "TOTAL"),
            (8, "total_row", "TOTAL"),
            (11, "total_row", "TOTAL"),
            (14, "total_row", "TOTAL"),
        ]
        lines = codes_of(ofn)
        # OFN's "Item (€)" is a line total, not a unit price: the product's price is taken
        assert lines[by_email["sophie.carpentier@example.org"]] == [
            ("PANIER-S", 1, 1000),
            ("PAIN-500", 1, 350),  # "Pain de campagne au levain" variant "500g": name and unit
            ("JUS-POMME", 3, 380),
        ]
        assert lines[by_email["zineb.mebarki@example.org"]] == [("PANIER-M", 1, 1500), ("YAOURTS", 2, 340)]
        assert (len(ofn.orders), ofn.line_count) == (4, 9)

        # the docs' examples: two active "Julie Ménard" (Torcy), and "Œufs plein air" naming two boxes
        errors = errors_of(
            "userName;productName;Quantité\nMÉNARD Julie;Panier de légumes M 1 pièce;1\n"
            "DEMIR Elif;Œufs plein air 6 pièces;1\n"
        )
        assert [(e.line, e.reason, e.params.get("count")) for e in errors] == [
            (2, "ambiguous_member", 2),
            (3, "ambiguous_product", 2),
        ]
        assert (
            plan_of("userEmail;productName;Quantité\njulie.menard2@example.org;Panier de légumes M;1\n").line_count == 1
        )

        for plan, name in ((camap, "camap"), (per_member, "camap-member"), (ofn, "ofn")):
            apply_import(distribution, plan, filename=f"orders-{name}-sample.csv")
        db.session.commit()
        orders = db.session.scalars(select(Order).where(Order.distribution_id == distribution.id)).all()
        imported = {o.household_id for o in orders}
        assert set(camap.orders) | set(per_member.orders) | set(ofn.orders) <= imported


# Members by name ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["MARTIN Alice", "Alice Martin", "martin  alice", "ALICE MARTIN", "MARTIN Alice / Paul", " Martin Alice "],
)
def test_a_member_is_found_by_name_either_way_round(net, name):
    plan = plan_of(f"Nom;produit;quantité\n{name};LEG-S;1\n")
    assert list(plan.orders) == [net.alice]


def test_accents_and_case_are_ignored_in_names(net):
    plan = plan_of("client;product;quantity\nchloé nguyen;LEG-M;1\nNguyen CHLOÉ;LEG-S;1\nNGUYEN Chloe;OEUFS-6;1\n")
    assert codes_of(plan) == {net.chloe: [("LEG-M", 1, 1500), ("LEG-S", 1, 1000), ("OEUFS-6", 1, 270)]}


def test_a_number_or_an_email_wins_over_the_name_beside_it(net):
    plan = plan_of(f"adhérent;nom;produit;quantité\n{net.bruno};Alice Martin;LEG-S;1\n;Alice Martin;LEG-M;1\n")
    assert codes_of(plan) == {net.bruno: [("LEG-S", 1, 1000)], net.alice: [("LEG-M", 1, 1500)]}
    plan = plan_of("Email;Customer;Product;Quantity\nbruno@example.org;Alice Martin;LEG-S;1\n")
    assert list(plan.orders) == [net.bruno]


def test_digits_in_an_email_column_are_no_household_number(net):
    errors = errors_of(f"Email;Product;Quantity\n{net.alice};LEG-S;1\n")
    assert reasons(errors) == [(2, "Email", "unknown_member")]


def test_unknown_suspended_and_ambiguous_names_are_row_errors(app, net):
    errors = errors_of("userName;Référence;Quantité\nDURAND Paul;LEG-S;1\nFERREIRA Dina;LEG-S;1\n")
    assert reasons(errors) == [(2, "userName", "unknown_member"), (3, "userName", "unknown_member")]
    assert errors[0].message == "No active member has this name."  # a suspended member is not found by name
    twin = Household(
        first_name="Alice", last_name="Martin", email="alice2@example.org", tier=db.session.get(Tier, net.full_tier)
    )
    db.session.add(twin)
    db.session.commit()
    errors = errors_of("userName;Référence;Quantité\nMARTIN Alice;LEG-S;1\nDIALLO Bruno;LEG-S;1\n")
    assert reasons(errors) == [(2, "userName", "ambiguous_member")]
    assert errors[0].message == "2 active members have this name: write their number or e-mail instead."
    plan = plan_of("userName;userEmail;Référence;Quantité\nMARTIN Alice;alice2@example.org;LEG-S;1\n")
    assert list(plan.orders) == [twin.id]  # the e-mail settles it


def test_a_coordinator_finds_by_name_only_the_members_of_their_points(app, net):
    from server.models import User

    elsewhere = Point(name="Gymnase", town="Torcy")
    coordinator = User(
        email="coord@example.org", role="coordinator", points=[db.session.get(Household, net.alice).point]
    )
    far = Household(first_name="Paul", last_name="Durand", tier=db.session.get(Tier, net.full_tier), point=elsewhere)
    db.session.add_all([elsewhere, coordinator, far])
    db.session.commit()
    text = b"nom;produit;quantite\nMARTIN Alice;LEG-S;1\nDURAND Paul;LEG-S;1\n"
    (error,) = parse_orders_csv(text, actor=coordinator)
    assert (error.line, error.reason, error.message) == (
        3,
        "unknown_member",
        "No active member of your points has this name.",
    )
    assert isinstance(parse_orders_csv(text), ImportPlan)  # an admin finds him


def test_names_with_like_wildcards_match_only_themselves(net):
    errors = errors_of("nom;produit;quantité\n%;LEG-S;1\nMART_N Alice;LEG-S;1\n")
    assert reasons(errors) == [(2, "nom", "unknown_member"), (3, "nom", "unknown_member")]


# Products by name ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "code"),
    [
        ("Panier de légumes S;", "LEG-S"),  # the name
        ("panier de legumes s;", "LEG-S"),  # accents and case aside
        ("Panier de légumes S 1 pièce;", "LEG-S"),  # CAMAP's size suffix
        ("Pain au levain;500g", "PAIN-500"),  # OFN's product and variant, the product's name holding the unit
        ("Oeufs plein air;x6", "OEUFS-6"),  # Œ written OE, × written x
        ("leg-m;", "LEG-M"),  # a code in the product column, case aside
    ],
)
def test_a_product_is_found_by_code_or_by_an_unambiguous_name(net, cells, code):
    plan = plan_of(f"Email;Product;Variant;Quantity\nalice@example.org;{cells};1\n")
    assert codes_of(plan) == {
        net.alice: [(code, 1, {"LEG-S": 1000, "LEG-M": 1500, "PAIN-500": 350, "OEUFS-6": 270}[code])]
    }


def test_a_reference_wins_and_an_unknown_one_falls_back_on_the_name(net):
    plan = plan_of(
        "userName;productName;Référence;Quantité\n"
        "MARTIN Alice;Panier de légumes S;LEG-M;1\n"  # the reference names LEG-M: it wins over the name
        "DIALLO Bruno;Panier de légumes S;F-12;1\n"  # the producer's own reference: the name is read
        "NGUYEN Chloé;Panier de légumes S;;1\n"
    )
    assert codes_of(plan) == {
        net.alice: [("LEG-M", 1, 1500)],
        net.bruno: [("LEG-S", 1, 1000)],
        net.chloe: [("LEG-S", 1, 1000)],
    }


def test_ambiguous_unknown_and_inactive_product_names(app, net):
    db.session.add(Product(code="LEG-S-BIS", name="Panier de légumes S", unit_price_cents=1100))
    db.session.commit()
    errors = errors_of(
        "nom;productName;quantité\n"
        "MARTIN Alice;Panier de légumes S;1\n"
        "MARTIN Alice;Panier de fruits;1\n"
        "MARTIN Alice;Miel de fleurs;1\n"
    )
    assert reasons(errors) == [
        (2, "productName", "ambiguous_product"),
        (3, "productName", "unknown_product"),
        (4, "productName", "inactive_product"),
    ]
    assert errors[0].message == "2 products have this name: write the product code instead."
    assert errors[1].message == "No product has this code or name."
    # a product that is no longer offered does not make an active one ambiguous
    db.session.get(Product, net.products["LEG-S"]).active = False
    db.session.commit()
    plan = plan_of("nom;productName;quantité\nMARTIN Alice;Panier de légumes S;1\n")
    assert codes_of(plan) == {net.alice: [("LEG-S-BIS", 1, 1100)]}


# Weights --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "grams"),
    [
        ("0,450", 450),
        ("0.45", 450),
        ("450 g", 450),
        ("450g", 450),
        ("0,45 kg", 450),
        ("0,45 Kg.", 450),
        ("1", 1000),
        ("1,2", 1200),
        ("2.125 kg", 2125),
        ("99", 99_000),
        ("450,0 g", 450),
    ],
)
def test_a_weight_in_kilograms_or_with_its_unit(typed, grams):
    assert parse_grams(typed) == grams


@pytest.mark.parametrize("typed", ["", "abc", "-1", "0,4505", "450,5 g", "1 lb", "1,2,3", "kg", "0 , 5"])
def test_what_is_no_weight(typed):
    assert parse_grams(typed) is None


def test_a_product_sold_by_weight_takes_grams_on_its_order_line(app, net):
    db.session.add(Product(code="TOMME", name="Tomme de Brie", sold_by="kg", unit_price_cents=2400))
    db.session.commit()
    plan = plan_of(
        "nom;produit;quantité;prix TTC\n"
        "MARTIN Alice;TOMME;0,450;\n"
        "DIALLO Bruno;Tomme de Brie 1 Kg.;1;23,50\n"  # CAMAP: a quantity of one 1 kg product
        "NGUYEN Chloé;tomme;350 g;\n"
    )
    assert codes_of(plan) == {
        net.alice: [("TOMME", 450, 2400)],  # the price stays per kg: the line counts grams
        net.bruno: [("TOMME", 1000, 2350)],
        net.chloe: [("TOMME", 350, 2400)],
    }
    errors = errors_of(
        "nom;produit;quantité\nMARTIN Alice;TOMME;beaucoup\nDIALLO Bruno;TOMME;0\nNGUYEN Chloé;TOMME;100\n"
        "MARTIN Alice;LEG-S;450 g\n"
    )
    assert reasons(errors) == [
        (2, "quantité", "bad_weight"),
        (3, "quantité", "bad_weight"),
        (4, "quantité", "weight_too_large"),
        (5, "quantité", "bad_quantity"),  # a product sold by the piece takes whole pieces
    ]
    assert errors[2].message == "The weight must be at most 99 kg."


def test_an_ofn_count_of_a_weighed_variant_is_that_many_times_its_weight(app, net):
    db.session.add(Product(code="TOMME", name="Tomme de Brie", sold_by="kg", unit_price_cents=2400))
    db.session.commit()
    plan = plan_of(
        "Customer,Email,Product,Variant,Quantity\n"
        "Alice Martin,alice@example.org,Tomme de Brie,500g,2\n"  # two pieces of 500 g
        "Bruno Diallo,bruno@example.org,Tomme de Brie,Affinée (1 kg),1\n"
        "Chloé Nguyen,,Tomme de Brie,,0.75\n"  # no weight in the variant: kilograms
    )
    assert codes_of(plan) == {
        net.alice: [("TOMME", 1000, 2400)],
        net.bruno: [("TOMME", 1000, 2400)],
        net.chloe: [("TOMME", 750, 2400)],
    }
    # a quantity that says its unit is the weight itself, whatever the variant
    (line,) = plan_of("Email,Product,Variant,Quantity\nalice@example.org,TOMME,500g,450 g\n").orders[net.alice]
    assert line.quantity == 450


def test_a_whole_count_written_as_a_decimal_number_is_a_count(net):
    plan = plan_of("nom;produit;quantité\nMARTIN Alice;LEG-S;2,00\nMARTIN Alice;LEG-M;1.0\n")
    assert codes_of(plan) == {net.alice: [("LEG-S", 2, 1000), ("LEG-M", 1, 1500)]}


# Total and heading rows -----------------------------------------------------------------------------------------


def test_total_and_heading_rows_are_skipped_and_listed(net):
    plan = plan_of(
        "Hub,Customer,Email,Product,Variant,Quantity,Item (€)\n"
        "Comptoir du Luzard,,,,,,\n"  # a heading row: one cell, in a column the import does not read
        "Comptoir du Luzard,Alice Martin,alice@example.org,Panier de légumes S,,1,10.00\n"
        "Comptoir du Luzard,Alice Martin,,,,TOTAL,10.00\n"
        "Comptoir du Luzard,Bruno Diallo,bruno@example.org,LEG-M,,2,30.00\n"
        ",,,,,Sous-total,30.00\n"
        ",,,,,Total général,40.00\n"
    )
    assert codes_of(plan) == {net.alice: [("LEG-S", 1, 1000)], net.bruno: [("LEG-M", 2, 1500)]}
    assert [(s.line, s.reason) for s in plan.skipped] == [
        (2, "heading_row"),
        (4, "total_row"),
        (6, "total_row"),
        (7, "total_row"),
    ]


def test_the_rows_an_export_writes_above_its_header_are_skipped(net):
    """OFN's "metadata rows" (a CSV option): the report's title, its dates and when it was printed, then a blank row."""
    plan = plan_of(
        "Report Title,Orders And Fulfillment - Order Cycle Customer Totals\n"
        "Date Range,2026-03-02 00:00 - 2026-03-10 00:00\n"
        "Printed,2026-03-09 07:58:02 UTC\n"
        "\n"
        "Hub,Customer,Email,Product,Variant,Quantity\n"
        "Luzard,Alice Martin,alice@example.org,Panier de légumes S,,1\n"
    )
    assert codes_of(plan) == {net.alice: [("LEG-S", 1, 1000)]}
    assert [(s.line, s.reason, s.value) for s in plan.skipped] == [
        (1, "heading_row", "Report Title"),
        (2, "heading_row", "Date Range"),
        (3, "heading_row", "Printed"),
    ]
    # with no header among the first rows, the first row is the header, and says what it lacks
    errors = errors_of("Report Title,Customer Totals\nCustomer,Product\nAlice Martin,LEG-S\n")
    assert reasons(errors) == [
        (1, "member", "missing_column"),
        (1, "product", "missing_column"),
        (1, "quantity", "missing_column"),
    ]


def test_a_row_with_a_product_is_never_taken_for_a_total(net):
    errors = errors_of("nom;produit;quantité\nTotal;LEG-S;1\nMARTIN Alice;LEG-M;total\n")
    assert reasons(errors) == [(2, "nom", "unknown_member"), (3, "quantité", "bad_quantity")]
    # a lone member cell is a row to fix, not a heading: the member column is read
    assert reasons(errors_of("nom;produit;quantité\nMARTIN Alice;;\n")) == [
        (2, "produit", "missing_value"),
        (2, "quantité", "missing_value"),
    ]


def test_a_file_of_totals_only_has_no_order_lines(net):
    assert reasons(errors_of("Customer,Product,Quantity\nAlice Martin,,TOTAL\n")) == [(1, "", "no_rows")]


def test_the_skipped_rows_are_counted_in_the_audit(app, net):
    from server.models import AuditEntry

    plan = plan_of("Email,Product,Quantity\nalice@example.org,LEG-S,1\n,,TOTAL\n")
    summary = apply_import(db.session.get(Distribution, net.distribution), plan)
    db.session.commit()
    assert (summary.lines, summary.skipped) == (1, 1)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "orders.import"))
    assert entry.details["skipped"] == 1


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite has no trigram index: it scans
def test_names_are_looked_up_through_the_trigram_indexes(app, net):
    """A file naming members reads the households through the members search's indexes, never the whole table
    (sequential scans set off for the explanation: a test table is cheaper to scan than 200,000 households)."""
    from sqlalchemy import event, insert, text

    tier = net.full_tier
    rows = [{"first_name": f"Prénom{n}", "last_name": f"Nom{n:05d}", "tier_id": tier} for n in range(2000)]
    db.session.execute(insert(Household), rows)
    db.session.execute(text("ANALYZE households"))
    db.session.commit()
    statements: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "translate(" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        plan_of("nom;produit;quantité\nMARTIN Alice;LEG-S;1\nNom00042 Prénom42;LEG-S;1\n")
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert len(statements) == 1
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        statement, parameters = statements[0]
        plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    assert "ix_households_search_first_last" in plan and "ix_households_search_last_first" in plan, plan
    assert "Seq Scan on households" not in plan, plan
