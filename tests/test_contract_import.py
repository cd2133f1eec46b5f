"""A season contract's subscriptions imported from CSV (docs/contracts-import.md): the rows read, every refusal
reported with its line, nothing half-imported, the orders generated once, the same file twice changing nothing."""

import codecs
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import server.auth  # noqa: F401  (before server.audit, which the domain imports: server.audit ↔ server.auth cycle)
from server.domain.contract_import import (
    MESSAGES,
    REASONS,
    Problem,
    SubscriptionsPlan,
    apply_subscriptions_import,
    parse_subscriptions_csv,
)
from server.domain.contract_orders import local_day
from server.domain.contracts import create_contract, set_contract_product, subscribe
from server.extensions import db
from server.models import (
    AuditEntry,
    Contract,
    Distribution,
    Household,
    Order,
    OrderLine,
    Point,
    Product,
    Subscription,
    User,
)
from tests.factories.contracts import ContractsWorld, contracts_world


@pytest.fixture
def world(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        made = contracts_world()
        db.session.get(Product, made.eggs).producer_id = made.farmer  # the farm's contract delivers its eggs too
        db.session.commit()
        yield made


def _contract(world: ContractsWorld, name: str = "Légumes été", producer: int | None = None) -> Contract:
    first = db.session.get(Distribution, world.distributions[0])
    starts_on = local_day(first)
    contract = create_contract(
        db.session.get(Point, world.point),
        {
            "name": name,
            "producer_id": producer or world.farmer,
            "starts_on": starts_on,
            "ends_on": starts_on + timedelta(weeks=10),
        },
    )
    db.session.commit()
    return contract


def plan_of(contract: Contract, text: str | bytes, **kwargs) -> SubscriptionsPlan:
    result = parse_subscriptions_csv(text.encode() if isinstance(text, str) else text, contract, **kwargs)
    assert isinstance(result, SubscriptionsPlan), [(e.line, e.column, e.reason, e.value) for e in result]
    return result


def errors_of(contract: Contract, text: str | bytes, **kwargs) -> list[tuple[int, str, str]]:
    result = parse_subscriptions_csv(text.encode() if isinstance(text, str) else text, contract, **kwargs)
    assert isinstance(result, list), "the file was accepted"
    for error in result:
        assert error.message, error.reason  # every reason has words for people
    return [(e.line, e.column, e.reason) for e in result]


def _subscriptions(contract: Contract) -> dict[int, tuple]:
    db.session.expire_all()
    return {
        s.household_id: (
            {q.contract_product.product.code: q.quantity for q in s.quantities},
            s.partner_id,
            s.partner_starts,
            s.status,
        )
        for s in db.session.scalars(select(Subscription).where(Subscription.contract_id == contract.id))
    }


def test_a_file_subscribes_members_offers_products_and_generates_the_orders_once(world):
    contract = _contract(world)
    h = world.households
    text = (
        "adhérent;nom;produit;quantité;prix_unitaire;partenaire;partenaire_commence;statut\r\n"
        f"{h[0]};Martin;LEG;1;15,00;;;\r\n"
        f"{h[0]};Martin;OEUFS-6;2;2,50;;;\r\n"
        f"{h[1]};Diallo;LEG;2;;H2 Nguyen;oui;\r\n"
        f"{h[3]};Ferreira;LEG;1;;;;en attente\r\n"
    )
    plan = plan_of(contract, text)
    summary, done = apply_subscriptions_import(contract, plan, filename="abonnements.csv")
    db.session.commit()
    assert (summary.created, summary.updated, summary.unchanged, summary.lines) == (3, 0, 0, 4)
    assert (summary.products_added, summary.prices_changed) == (2, 0)
    db.session.refresh(contract)
    assert {p.product.code: p.unit_price_cents for p in contract.products} == {"LEG": 1500, "OEUFS-6": 250}
    assert _subscriptions(contract) == {
        h[0]: ({"LEG": 1, "OEUFS-6": 2}, None, False, "active"),
        h[1]: ({"LEG": 2}, h[2], True, "active"),
        h[3]: ({"LEG": 1}, None, False, "waiting"),
    }
    # six weekly deliveries within the season: H0 every week, the shared basket H2 first then H1, nobody waiting
    orders = db.session.execute(select(Order.household_id, func.count()).group_by(Order.household_id)).all()
    assert dict(orders) == {h[0]: 6, h[1]: 3, h[2]: 3}
    assert (done.created, done.changed, done.removed) == (12, 0, 0)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contract.import"))
    assert entry.details["created"] == 3 and entry.details["filename"] == "abonnements.csv"

    # the same file again: nothing changes, not even an order
    summary, done = apply_subscriptions_import(contract, plan_of(contract, text))
    db.session.commit()
    assert (summary.created, summary.updated, summary.unchanged, summary.products_added) == (0, 0, 3, 0)
    assert (done.created, done.changed, done.removed) == (0, 0, 0)

    # a corrected file: H0 takes 3 boxes of eggs and no vegetables, H3 leaves the waiting list, a new price
    corrected = f"adhérent;produit;quantité;prix_unitaire;statut\r\n{h[0]};OEUFS-6;3;2,70;\r\n{h[3]};LEG;1;;actif\r\n"
    summary, done = apply_subscriptions_import(contract, plan_of(contract, corrected))
    db.session.commit()
    assert (summary.created, summary.updated, summary.unchanged, summary.prices_changed) == (0, 2, 0, 1)
    subscriptions = _subscriptions(contract)
    assert subscriptions[h[0]] == ({"OEUFS-6": 3}, None, False, "active")
    assert subscriptions[h[3]] == ({"LEG": 1}, None, False, "active")
    assert subscriptions[h[1]] == ({"LEG": 2}, h[2], True, "active")  # not in the file: as it was
    assert done.changed == 6 and done.created == 6  # H0's six orders, H3's six new ones


def test_an_existing_subscription_is_updated_not_doubled(world):
    contract = _contract(world)
    basket = db.session.get(Product, world.basket)
    set_contract_product(contract, basket, 1500)
    household = db.session.get(Household, world.households[0])
    subscribe(contract, household, {contract.products[0].id: 1}, waiting=True)
    db.session.commit()
    plan = plan_of(contract, f"member;product;quantity\n{household.id};LEG;2\n")
    summary, _done = apply_subscriptions_import(contract, plan)
    db.session.commit()
    assert (summary.created, summary.updated) == (0, 1)
    assert _subscriptions(contract) == {household.id: ({"LEG": 2}, None, False, "waiting")}  # status not said: kept


def test_every_row_problem_is_reported_and_nothing_is_imported(world):
    contract = _contract(world)
    h = world.households
    with db.session.no_autoflush:
        db.session.get(Household, h[5]).status = "suspended"
    db.session.commit()
    text = (
        "adhérent;produit;quantité;prix_unitaire;partenaire;statut\n"
        f"{h[0]};LEG;1;15;;\n"  # 2: fine
        f"99999;LEG;1;;;\n"  # 3
        f"{world.stranger};LEG;1;;;\n"  # 4: another point's member
        f"{h[5]};LEG;1;;;\n"  # 5: suspended
        f"{h[1]};NOPE;1;;;\n"  # 6
        f"{h[1]};OEUFS-6;0;;;\n"  # 7
        f"{h[2]};OEUFS-6;100;;;\n"  # 8
        f"{h[2]};PAIN;deux;;;\n"  # 9
        f"{h[3]};LEG;1;douze;;\n"  # 10
        f"{h[3]};OEUFS-6;1;;{h[3]};\n"  # 11: shares with itself
        f"{h[4]};LEG;1;16;;\n"  # 12: another price than line 2's
        f"{h[4]};OEUFS-6;1;;;peut-être\n"  # 13
        f"{h[0]};LEG;2;;;\n"  # 14: same member and product as line 2
        f";LEG;1;;;\n"  # 15
        f"{h[1]};LEG;;;;\n"  # 16
        f"{h[2]};LEG;1;;personne@example.org;\n"  # 17
        f"{h[4]};PAIN;1;;{world.stranger};\n"  # 18: partner of another point
        f"{h[3]};PAIN;1;;{h[4]};\n"  # 19: fine (line 11 failed: H3's partner is H4)
        f"{h[0]};PAIN;1;;;attente\n"  # 20
        f"{h[0]};OEUFS-6;1;;;actif\n"  # 21: line 20 says waiting
        f"{h[1]};PAIN;1;;;;extra\n"  # 22
    )
    assert errors_of(contract, text) == [
        (3, "adhérent", "unknown_member"),
        (4, "adhérent", "other_point"),
        (5, "adhérent", "member_not_active"),
        (6, "produit", "unknown_product"),
        (7, "quantité", "bad_quantity"),
        (8, "quantité", "bad_quantity"),
        (9, "quantité", "bad_quantity"),
        (10, "prix_unitaire", "bad_price"),
        (11, "partenaire", "partner_is_member"),
        (12, "prix_unitaire", "conflicting_price"),
        (13, "statut", "bad_status"),
        (14, "produit", "duplicate_line"),
        (15, "adhérent", "missing_value"),
        (16, "quantité", "missing_value"),
        (17, "partenaire", "unknown_member"),
        (18, "partenaire", "other_point"),
        (21, "statut", "conflicting_value"),
        (22, "", "extra_values"),
    ]
    assert db.session.scalar(select(func.count(Subscription.id))) == 0
    assert not contract.products


def test_another_producers_product_is_refused(world):
    """A contract is its producer's offer: a whole day's export, every producer's products, is caught row by row."""
    contract = _contract(world)
    db.session.add(Product(code="MIEL", name="Miel", unit_price_cents=1050, producer_id=world.hens))
    db.session.commit()
    text = f"member;product;quantity\n{world.households[0]};MIEL;1\n{world.households[0]};PAIN;1\n"
    assert errors_of(contract, text) == [(2, "product", "other_producer")]


def test_a_product_sold_by_weight_takes_its_weight_per_delivery(world):
    """A cheese by the kg: the quantity is its estimated weight, typed as on the forms; the order lines carry grams."""
    contract = _contract(world)
    db.session.add(Product(code="TOMME", name="Tomme", unit_price_cents=2450, sold_by="kg"))
    db.session.commit()
    bad = f"member;product;quantity;price\n{world.households[0]};TOMME;une tranche;24,50\n"
    assert errors_of(contract, bad) == [(2, "quantity", "bad_weight")]
    text = (
        f"member;product;quantity;price\n{world.households[0]};TOMME;0,5 kg;24,50\n"
        f"{world.households[1]};TOMME;300 g;24,50\n"
    )
    apply_subscriptions_import(contract, plan_of(contract, text))
    db.session.commit()
    grams = sorted(
        db.session.scalars(
            select(OrderLine.quantity)
            .join(Product, Product.id == OrderLine.product_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Product.code == "TOMME", Order.distribution_id == world.distributions[0])
        )
    )
    assert grams == [300, 500]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty_file"),
        ("adhérent;produit;quantité\n", "no_rows"),
        ("adhérent;produit\n1;LEG\n", "missing_column"),
        ("adhérent;member;produit;quantité\n1;1;LEG;1\n", "duplicate_column"),
        ('adhérent;produit;quantité\n1;"LEG;1\n', "bad_csv"),
    ],
)
def test_file_problems(world, text, reason):
    contract = _contract(world)
    assert [r for _, _, r in errors_of(contract, text)] == [reason]


def test_a_spreadsheet_or_binary_file_is_refused(world):
    contract = _contract(world)
    assert errors_of(contract, b"PK\x03\x04rest") == [(0, "", "spreadsheet_file")]
    assert errors_of(contract, b"\x00\x01\x02") == [(0, "", "not_text")]


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("cp1252"),
        lambda t: codecs.BOM_UTF8 + t.encode(),
        lambda t: codecs.BOM_UTF16_LE + t.replace(";", "\t").encode("utf-16-le"),
        lambda t: ("sep=;\n" + t).encode(),
    ],
    ids=["windows-1252", "utf-8-bom", "utf-16-tabs", "excel-sep-line"],
)
def test_encodings_and_separators(world, encode):
    contract = _contract(world)
    text = "Adhérent;Nom;Produit;Quantité;Partenaire\r\n" + f"{world.households[0]};Martin;LEG;1;Bréhat H4\r\n"
    plan = plan_of(contract, encode(text))
    assert plan.subscriptions[world.households[0]].partner_id == world.households[4]


def test_members_and_partners_by_name_at_the_contracts_point(world):
    """A name is looked for among the point's active households: a homonym at another point is no ambiguity."""
    contract = _contract(world)
    db.session.add(
        Household(
            first_name="H0", last_name="Martin", tier=db.session.get(Household, 1).tier, point_id=world.other_point
        )
    )
    db.session.commit()
    plan = plan_of(contract, "Nom;productName;Quantité;user2Name\nMARTIN H0;Panier de légumes;1;NGUYEN H2\n")
    assert list(plan.subscriptions) == [world.households[0]]
    assert plan.subscriptions[world.households[0]].partner_id == world.households[2]


def test_a_product_another_contract_delivers_is_refused_at_apply(world):
    contract = _contract(world)
    other = _contract(world, "Légumes bis")
    set_contract_product(other, db.session.get(Product, world.basket), 1500)
    db.session.commit()
    plan = plan_of(contract, f"member;product;quantity\n{world.households[0]};LEG;1\n")
    from server.domain import DomainError

    with pytest.raises(DomainError):
        apply_subscriptions_import(contract, plan)


def test_a_coordinator_imports_into_their_points_contracts_only(world):
    contract = _contract(world)
    point = db.session.get(Point, world.point)
    other = db.session.get(Point, world.other_point)
    mine = User(email="c@example.org", role="coordinator", display_name="C", points=[point])
    theirs = User(email="t@example.org", role="coordinator", display_name="T", points=[other])
    db.session.add_all([mine, theirs])
    db.session.commit()
    text = f"member;product;quantity\n{world.households[0]};LEG;1\n"
    assert errors_of(contract, text, actor=theirs) == [(2, "member", "unknown_member")]  # not theirs to see
    plan = plan_of(contract, text, actor=mine)
    from server.domain import DomainError

    with pytest.raises(DomainError):
        apply_subscriptions_import(contract, plan, actor=theirs)
    summary, _ = apply_subscriptions_import(contract, plan, actor=mine)
    assert summary.created == 1


def test_every_reason_has_words(world):
    for reason in REASONS:
        params = {
            "max": 99,
            "first": 2,
            "count": 2,
            "column": "member",
            "french": "adhérent",
            "names": "« A »",
            "producer": "P",
        }
        assert Problem(1, "", "", reason, params).message
    assert set(MESSAGES) == set(REASONS)
