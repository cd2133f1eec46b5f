"""Extras sold at the point without a pre-order (docs/extras.md), on SQLite and PostgreSQL: the catalogue page, the
pack, sales through the real upload (the ledger, once, voidable), two phones selling the last units (an ``oversold``
conflict, never a refusal) and an allowance spent on products it may not pay for (``allowance_ineligible``)."""

import html
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.clock import utcnow
from server.domain.events import refresh_conflicts
from server.domain.extras import set_extra
from server.domain.ledger import account_for, post
from server.domain.packs import distribution_pack
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Conflict, Distribution, Extra, Household, Point, Product, User
from tests.factories.primitives import member_of
from tests.factories.sync_api import SyncWorld, sync_world
from tests.helpers import sign_in_user, submit_form
from tests.phones import Phone, enrol_phone

HONEY, BREAD, WINE = "MIEL", "PAIN", "VIN"


@pytest.fixture
def world(app) -> tuple[SyncWorld, dict[str, int]]:
    """The sync world (three members at 70 %, each with a basket order) and three extras of its distribution: honey
    (6.50 €, stock 3), bread (1.25 €, no limit), wine (8.00 €, stock 5, not payable by the allowance)."""
    with app.app_context():
        found = sync_world()
        products = {
            HONEY: Product(code=HONEY, name="Miel de fleurs", unit="pot de 500 g", unit_price_cents=650),
            BREAD: Product(code=BREAD, name="Pain de campagne", unit_price_cents=125),
            WINE: Product(code=WINE, name="Vin rouge", unit_price_cents=800, allowance_eligible=False),
        }
        db.session.add_all(products.values())
        db.session.flush()
        distribution = db.session.get(Distribution, found.distribution)
        for code, stock in ((HONEY, 3), (BREAD, None), (WINE, 5)):
            set_extra(distribution, products[code].id, stock, actor=None)
        for household in found.households:
            post(household, "allowance", 5000, "opening")
            post(household, "prepaid", 2000, "opening")
        db.session.commit()
        return found, {code: product.id for code, product in products.items()}


def sale(phone: Phone, world: SyncWorld, lines: list[tuple[int, int, int]], household: int | None, **paid) -> dict:
    """A sale of ``lines`` (product id, quantity, full unit price) at 70 % for a member, the full price otherwise."""
    at = paid.pop("at", None)
    share = 70 if household is not None else 100
    amount = sum((q * price * share + 50) // 100 for _p, q, price in lines)
    from_accounts = paid.get("from_prepaid_cents", 0) + paid.get("from_allowance_cents", 0)
    method = paid.pop("method", "cash" if amount > from_accounts else "prepaid")
    payload = {
        "lines": [{"product_id": p, "quantity": q, "unit_price_cents": price} for p, q, price in lines],
        "amount_cents": amount,
        "method": method,
        **paid,
    }
    if household is not None:
        payload |= {"household_id": household, "share_percent": share}
    return phone.record("sale", payload, world.distribution, at=at)


def sent(phone: Phone, events: list[dict]) -> dict:
    answer = phone.push(events)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def conflicts(app, world: SyncWorld) -> list[Conflict]:
    with app.app_context():
        refresh_conflicts(db.session.get(Distribution, world.distribution))
        db.session.commit()
        found = db.session.scalars(select(Conflict).where(Conflict.distribution_id == world.distribution)).all()
        db.session.expunge_all()
        return list(found)


def balance(app, household: int, kind: str) -> int:
    with app.app_context():
        account = account_for(household, kind)
        assert account.balance_cents == account.movements_sum_cents()
        return account.balance_cents


def test_the_pack_carries_the_catalogue_with_stock_price_and_eligibility(app, world):
    found, products = world
    with app.app_context():
        pack = json.loads(distribution_pack(db.session.get(Distribution, found.distribution)).body)
    assert pack["extras"] == [
        {
            "product_id": products[HONEY],
            "name": "Miel de fleurs",
            "unit": "pot de 500 g",
            "sold_by": "piece",
            "unit_price_cents": 650,
            "stock": 3,
            "allowance_eligible": True,
            "producer_id": None,
        },
        {
            "product_id": products[BREAD],
            "name": "Pain de campagne",
            "unit": "",
            "sold_by": "piece",
            "unit_price_cents": 125,
            "stock": None,
            "allowance_eligible": True,
            "producer_id": None,
        },
        {
            "product_id": products[WINE],
            "name": "Vin rouge",
            "unit": "",
            "sold_by": "piece",
            "unit_price_cents": 800,
            "stock": 5,
            "allowance_eligible": False,
            "producer_id": None,
        },
    ]
    # An order line of a product the allowance may not pay for says so; an eligible one keeps its old bytes.
    assert all("allowance_eligible" not in line for member in pack["members"] for line in member["order"]["lines"])


def test_a_member_sale_takes_from_the_accounts_once_and_its_void_gives_back(app, world):
    found, products = world
    phone = enrol_phone(app, [found.point], found.volunteer, "Phone 1")
    member = found.households[0]
    # 2 honey at 70 %: 2 × 6.50 € × 70 % = 9.10 €, 5.00 € of it from the prepaid account, the rest in cash.
    bought = sale(phone, found, [(products[HONEY], 2, 650)], member, from_prepaid_cents=500)
    sent(phone, [bought])
    sent(phone, [bought])  # the answer was lost: sent again
    assert balance(app, member, "prepaid") == 2000 - 500
    undo = phone.record("void", {"event_id": bought["id"], "reason": "erreur"}, found.distribution)
    sent(phone, [undo])
    assert balance(app, member, "prepaid") == 2000


def test_a_sale_paid_from_the_prepaid_account_reads_as_extras_bought_on_the_statements(app, world, admin_client):
    """Not a generic "Retrait du …": the admin's statement and the member page say extras were bought, which, and
    their void."""
    found, products = world
    phone = enrol_phone(app, [found.point], found.volunteer, "Phone 1")
    member = found.households[0]
    with app.app_context():
        issue_ticket(db.session.get(Household, member))
        db.session.commit()
        token = db.session.get(Household, member).page_token
    # 1 honey at 70 %: 4,55 €, all from the prepaid account.
    bought = sale(phone, found, [(products[HONEY], 1, 650)], member, from_prepaid_cents=455)
    sent(phone, [bought])
    bought_words = re.compile(r"Extras achetés le \d+\u00a0décembre à Noisiel : 1 × Miel de fleurs")
    statement = html.unescape(admin_client.get(f"/admin/members/{member}/accounts").get_data(as_text=True))
    assert bought_words.search(statement) and "Retrait du" not in statement
    page = html.unescape(client_page(app, token))
    assert re.search(r"−4,55\u00a0€ extras achetés le \d+\u00a0décembre à Noisiel : 1 × Miel de fleurs", page), page
    english = html.unescape(admin_client.get(f"/admin/members/{member}/accounts?lang=en").get_data(as_text=True))
    assert re.search(r"Extras bought on \d+\u00a0December at Noisiel: 1 × Miel de fleurs", english)
    sent(phone, [phone.record("void", {"event_id": bought["id"], "reason": "erreur"}, found.distribution)])
    statement = html.unescape(admin_client.get(f"/admin/members/{member}/accounts?lang=fr").get_data(as_text=True))
    assert re.search(r"Extras achetés le \d+\u00a0décembre à Noisiel annulés : 1 × Miel de fleurs", statement)
    assert "Retrait du" not in statement


def client_page(app, token: str) -> str:
    """The member's own page, read by another browser than the admin's."""
    return app.test_client().get(f"/m/{token}", headers={"Accept-Language": "fr"}).get_data(as_text=True)


def test_an_anonymous_buyer_pays_the_full_price_on_the_spot(app, world):
    found, products = world
    phone = enrol_phone(app, [found.point], found.volunteer, "Phone 1")
    bought = sale(phone, found, [(products[BREAD], 4, 125)], None)
    assert bought["payload"]["amount_cents"] == 500
    sent(phone, [bought])
    # From no account: the anonymous buyer cannot pay from one, and a sale naming one is refused as malformed.
    bad = sale(phone, found, [(products[BREAD], 1, 125)], None)
    bad["payload"] |= {"from_prepaid_cents": 125, "method": "prepaid"}
    answer = phone.push([bad])
    assert answer.status_code == 422
    (result,) = answer.get_json()["results"]
    assert result["status"] == "rejected" and [error["type"] for error in result["errors"]] == ["sale_anonymous"]


def test_a_sale_is_in_the_payments_export_and_the_cash_box(app, world, admin_client):
    found, products = world
    phone = enrol_phone(app, [found.point], found.volunteer, "Phone 1")
    member = found.households[0]
    # 3 loaves at 70 %: 3 × 1,25 € × 70 % = 2,63 €; 1,00 € from the allowance, 1,63 € in cash.
    sent(phone, [sale(phone, found, [(products[BREAD], 3, 125)], member, from_allowance_cents=100)])
    csv = admin_client.get(f"/admin/distributions/{found.distribution}/export/payments.csv").get_data(as_text=True)
    rows = [line for line in csv.splitlines() if "Vente d'extras" in line]
    assert len(rows) == 2, csv  # the cash part and the allowance part, as a payment's
    assert any(";163;" in row or ",163," in row for row in rows), rows
    with app.app_context():
        from server.domain.distribution_log import load_log

        log = load_log(db.session.get(Distribution, found.distribution), keep=False)
        (box,) = log.state.cash
        assert box.cash_payments_cents == 163 and log.state.totals.allowance_cents == 100


def test_two_phones_selling_the_last_units_make_an_oversold_conflict_with_a_clear_sentence(app, world, admin_client):
    found, products = world
    first = enrol_phone(app, [found.point], found.volunteer, "Phone 1")
    second = enrol_phone(app, [found.point], found.second_volunteer, "Phone 2")
    start = utcnow() - timedelta(seconds=30)
    # Offline, each phone sees 3 jars of honey: the first sells 2, the second 2.
    one = sale(first, found, [(products[HONEY], 2, 650)], found.households[0], at=start)
    two = sale(second, found, [(products[HONEY], 2, 650)], None, at=start + timedelta(seconds=5))
    for phone, event in ((first, one), (second, two)):  # never a refusal
        assert [item["status"] for item in sent(phone, [event])["results"]] == ["accepted"]
    (conflict,) = [c for c in conflicts(app, found) if c.kind == "oversold"]
    assert conflict.details == {"product_id": products[HONEY], "stock": 3, "sold": 4, "excess": 1}
    assert sorted(conflict.event_ids) == sorted([one["id"], two["id"]])
    page = html.unescape(admin_client.get(f"/admin/distributions/{found.distribution}/log").get_data(as_text=True))
    assert "Extras vendus au-delà du stock" in page
    assert "Miel de fleurs : 4 vendus par les téléphones pour un stock de 3, 1 de trop." in page
    # Bread has no limit: any number sold is no conflict.
    many = sale(first, found, [(products[BREAD], 40, 125)], None, at=start + timedelta(seconds=10))
    sent(first, [many])
    assert [c.kind for c in conflicts(app, found) if c.kind == "oversold" and c.status == "open"] == ["oversold"]


def test_an_allowance_spent_on_what_it_may_not_pay_for_is_kept_as_a_conflict(app, world, admin_client):
    found, products = world
    phone = enrol_phone(app, [found.point], found.volunteer, "Phone 1")
    member = found.households[1]
    # Wine and bread at 70 %: 5.60 € + 0.88 € = 6.48 €; only the bread (0.88 €) may come from the allowance.
    lines = [(products[WINE], 1, 800), (products[BREAD], 1, 125)]
    fair = sale(phone, found, lines, member, from_allowance_cents=88)
    sent(phone, [fair])
    assert not [c for c in conflicts(app, found) if c.kind == "allowance_ineligible"]
    beyond = sale(phone, found, lines, member, from_allowance_cents=648, method="allowance")
    sent(phone, [beyond])  # a fact at the point: posted, and kept as a conflict
    assert balance(app, member, "allowance") == 5000 - 88 - 648
    (conflict,) = [c for c in conflicts(app, found) if c.kind == "allowance_ineligible"]
    assert conflict.event_ids == [beyond["id"]]
    assert conflict.details == {
        "household_id": member,
        "eligible_cents": 88,
        "allowance_cents": 648,
        "excess_cents": 560,
    }
    page = html.unescape(admin_client.get(f"/admin/distributions/{found.distribution}/log").get_data(as_text=True))
    assert "Allocation dépensée pour des produits qu'elle ne peut pas payer" in page
    assert "mais seulement 0,88" in page


def test_an_order_payment_from_the_allowance_beyond_its_eligible_lines_is_a_conflict(app, world):
    found, _products = world
    with app.app_context():
        basket = db.session.scalar(select(Product).where(Product.code == "LEG-M"))
        basket.allowance_eligible = False
        db.session.commit()
    phone = enrol_phone(app, [found.point], found.volunteer, "Phone 1")
    order = found.orders[2]
    payment = {"order_id": order, "amount_cents": 1050, "method": "allowance", "from_allowance_cents": 1050}
    sent(phone, [phone.record("payment", payment, found.distribution)])
    (conflict,) = [c for c in conflicts(app, found) if c.kind == "allowance_ineligible"]
    assert conflict.details["order_id"] == order
    assert conflict.details["eligible_cents"] == 0 and conflict.details["excess_cents"] == 1050


def test_the_catalogue_page_offers_changes_and_removes_an_extra(app, world, admin_client):
    found, products = world
    url = f"/admin/distributions/{found.distribution}/extras"
    page = admin_client.get(url).get_data(as_text=True)
    assert "Miel de fleurs" in page and "sans limite" in page
    with app.app_context():
        eggs = Product(code="OEUF", name="Œufs ×6", unit_price_cents=270)
        db.session.add(eggs)
        db.session.commit()
        eggs_id = eggs.id
    answer = submit_form(admin_client, url, {"product_id": str(eggs_id), "stock": "12"})
    assert answer.status_code == 302
    answer = submit_form(admin_client, url, {"product_id": str(products[HONEY]), "stock": "7"})
    assert answer.status_code == 302
    with app.app_context():
        stocks = dict(
            db.session.execute(select(Extra.product_id, Extra.stock).where(Extra.distribution_id == found.distribution))
            .tuples()
            .all()
        )
    assert stocks[eggs_id] == 12 and stocks[products[HONEY]] == 7
    refused = submit_form(admin_client, url, {"product_id": str(eggs_id), "stock": "-1"})
    assert refused.status_code == 400
    assert "Le stock est un nombre entier de 0 à 100000, ou vide pour sans limite." in refused.get_data(as_text=True)
    with app.app_context():
        extra_id = db.session.scalar(select(Extra.id).where(Extra.product_id == eggs_id))
    page = admin_client.get(url).get_data(as_text=True)
    from tests.helpers import csrf_token

    answer = admin_client.post(f"/admin/extras/{extra_id}/remove", data={"csrf_token": csrf_token(page)})
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get(Extra, extra_id) is None


def test_a_coordinator_of_another_point_does_not_see_the_catalogue(app, world, client):
    found, _products = world
    with app.app_context():
        other = db.session.get(Point, found.other_point)
        coordinator = member_of(other, "coordinator", "coord@example.org", "Coord")
        db.session.add(coordinator)
        db.session.commit()
        coordinator_id = coordinator.id
    sign_in_user(app, client, coordinator_id)
    assert client.get(f"/admin/distributions/{found.distribution}/extras").status_code == 404
    with app.app_context():
        extra_id = db.session.scalar(select(Extra.id).limit(1))
    assert client.post(f"/admin/extras/{extra_id}/remove").status_code in (400, 404)
    with app.app_context():
        assert db.session.get(Extra, extra_id) is not None
        assert db.session.get(User, coordinator_id) is not None and Household is not None


def _resolve(app, admin_client, found: SyncWorld, conflict: Conflict, action: str) -> str:
    """The admin decides on the log page (a real form post); the log page as it reads after, unescaped."""
    log = f"/admin/distributions/{found.distribution}/log"
    page = admin_client.get(log).get_data(as_text=True)
    decision = next(
        re.search(rf'<option value="{action}"[^>]*>([^<]*)</option>', form).group(1)
        for form in page.split("<form")
        if f"/conflicts/{conflict.id}/resolve" in form
    )
    answer = admin_client.post(
        f"/admin/distributions/{found.distribution}/conflicts/{conflict.id}/resolve",
        data={
            "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1),
            "action": action,
            "comment": "Vu avec le bénévole.",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return html.unescape(decision), html.unescape(admin_client.get(log).get_data(as_text=True))


def test_a_resolved_sale_conflict_names_the_sale_its_items_and_the_decision(app, world, admin_client):
    found, products = world
    first = enrol_phone(app, [found.point], found.volunteer, "Phone 1")
    second = enrol_phone(app, [found.point], found.second_volunteer, "Phone 2")
    start = utcnow() - timedelta(seconds=30)
    one = sale(first, found, [(products[HONEY], 2, 650)], found.households[0], at=start)
    two = sale(second, found, [(products[HONEY], 2, 650)], None, at=start + timedelta(seconds=5))
    sent(first, [one])
    sent(second, [two])
    (oversold,) = [c for c in conflicts(app, found) if c.kind == "oversold"]
    admin_client.get("/admin/?lang=fr")
    decision, page = _resolve(app, admin_client, found, oversold, "void_event")
    # The choice names the sale it cancels (the first one named), its items and what happens to the money.
    assert "Annuler la vente" in decision and "2 × Miel de fleurs" in decision, decision
    assert "Annuler la vente" in page and "Annule la vente d’extras" in page, page
    assert "Annuler le premier événement" not in page and "Annule :" not in page
    member = found.households[1]
    lines = [(products[WINE], 1, 800), (products[BREAD], 1, 125)]
    beyond = sale(first, found, lines, member, from_allowance_cents=648, method="allowance")
    sent(first, [beyond])
    (ineligible,) = [c for c in conflicts(app, found) if c.kind == "allowance_ineligible"]
    decision, page = _resolve(app, admin_client, found, ineligible, "accept")
    assert "Garder la vente" in decision and "1 × Vin rouge" in decision and "5,60" in decision, decision
    assert "Garde la vente d’extras" in page, page
    assert "Accepter : les événements sont maintenus" not in page


def test_an_extra_sold_by_weight_counts_grams_and_reads_as_a_weight(app, world, admin_client):
    """A Tomme at 24,50 €/kg, 1 kg in stock: 480 g sold to a member at 70 % (8,23 €); the catalogue counts grams, the
    log says "Tomme (480 g)", a second phone's 600 g is an oversold conflict in grams."""
    found, _products = world
    with app.app_context():
        tomme = Product(code="TOM", name="Tomme", unit_price_cents=2450, sold_by="kg")
        db.session.add(tomme)
        db.session.flush()
        set_extra(db.session.get(Distribution, found.distribution), tomme.id, 1000, actor=None)
        db.session.commit()
        tomme_id = tomme.id
    first = enrol_phone(app, [found.point], found.volunteer, "Phone 1")
    weighed = {"product_id": tomme_id, "quantity": 1, "unit_price_cents": 2450, "grams": 480}
    payload = {"household_id": found.households[0], "share_percent": 70, "lines": [weighed]}
    sent(first, [first.record("sale", {**payload, "amount_cents": 823, "method": "cash"}, found.distribution)])
    page = admin_client.get(f"/admin/distributions/{found.distribution}/extras").get_data(as_text=True)
    page = html.unescape(page).replace("\u00a0", " ").replace("\u202f", " ")
    assert "24,50 € le kg" in page and "1 kg" in page and "480 g" in page and "520 g" in page, page
    assert "en grammes pour un produit vendu au kilo" in page
    log = html.unescape(admin_client.get(f"/admin/distributions/{found.distribution}/log").get_data(as_text=True))
    log = log.replace("\u00a0", " ").replace("\u202f", " ")
    assert "Tomme (480 g)" in log and "8,23 €" in log
    second = enrol_phone(app, [found.point], found.second_volunteer, "Phone 2")
    more = {"lines": [{**weighed, "grams": 600}], "amount_cents": 1470, "method": "cash"}
    sent(second, [second.record("sale", more, found.distribution)])
    (conflict,) = [c for c in conflicts(app, found) if c.kind == "oversold"]
    assert conflict.details["sold"] == 1080
    log = html.unescape(admin_client.get(f"/admin/distributions/{found.distribution}/log").get_data(as_text=True))
    log = log.replace("\u00a0", " ").replace("\u202f", " ")
    assert "Tomme : 1,08 kg vendus par les téléphones pour un stock de 1 kg, 80 g de trop." in log
