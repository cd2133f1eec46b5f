"""Per-producer reports: a distribution's order forms and what each producer is owed, from the orders and the synced
events projected as the log does (a partial hand-over, a refusal, a void); a producer's period, distribution by
distribution; the pages and CSV files, coordinators at their points only. On SQLite and PostgreSQL."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from server.domain.extras import set_extra
from server.domain.producer_reports import distribution_report
from server.extensions import db
from server.models import Distribution, Household, Order, OrderLine, Point, Producer, Product, Tier, User
from sync.pricing import line_due_cents
from tests.helpers import sign_in_user
from tests.phones import enrol_phone

NOW = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)


@pytest.fixture
def world(app, time_machine):
    """Ferme du Luzard sells the basket (15 €), Les Œufs de Brou the eggs (2,70 €). Awa (full price) ordered a basket
    and two boxes, Bruno (70 %) a basket and a box, Chloé a basket. Last week Awa had a basket."""
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        elsewhere = Point(name="École Jules Ferry", town="Chelles")
        full, solidarity = Tier(name="Tarif plein", share_percent=100), Tier(name="Solidaire", share_percent=70)
        farm, hens = Producer(name="Ferme du Luzard", cheque_payee="EARL du Luzard"), Producer(name="Les Œufs de Brou")
        basket = Product(code="LEG-M", name="Panier de légumes", unit_price_cents=1500, producer=farm)
        eggs = Product(code="OEUF-6", name="Œufs ×6", unit_price_cents=270, producer=hens)
        awa = Household(first_name="Awa", last_name="Diallo", tier=full, point=point)
        bruno = Household(first_name="Bruno", last_name="Martin", tier=solidarity, point=point)
        chloe = Household(first_name="Chloé", last_name="Nguyen", tier=full, point=point)
        today = Distribution(point=point, starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=1))
        before = Distribution(point=point, starts_at=today.starts_at - timedelta(days=7), ends_at=today.ends_at)
        before.ends_at = before.starts_at + timedelta(hours=2)

        def order(distribution, household, share, lines):
            return Order(
                distribution=distribution,
                household=household,
                share_percent=share,
                lines=[OrderLine(product=p, quantity=q, unit_price_cents=p.unit_price_cents) for p, q in lines],
            )

        orders = {
            "awa": order(today, awa, 100, [(basket, 1), (eggs, 2)]),
            "bruno": order(today, bruno, 70, [(basket, 1), (eggs, 1)]),
            "chloe": order(today, chloe, 100, [(basket, 1)]),
            "awa_before": order(before, awa, 100, [(basket, 1)]),
        }
        volunteer = User(email="v@example.org", role="volunteer", points=[point])
        coordinator = User(email="c@example.org", role="coordinator", points=[elsewhere])
        db.session.add_all([volunteer, coordinator, *orders.values()])
        db.session.commit()
        ids = {name: o.id for name, o in orders.items()}
        ids |= {"point": point.id, "today": today.id, "before": before.id, "farm": farm.id, "hens": hens.id}
        ids |= {"basket": basket.id, "eggs": eggs.id, "volunteer": volunteer.id, "coordinator": coordinator.id}
        ids |= {"bruno_household": bruno.id}
    # Last week, Awa took her basket (a phone at that day).
    time_machine.move_to(NOW - timedelta(days=7), tick=False)
    last_week = enrol_phone(app, [ids["point"]], ids["volunteer"], name="Last week")
    taken = last_week.record("handover", {"order_id": ids["awa_before"], "outcome": "all"}, ids["before"])
    assert last_week.push([taken]).status_code == 200
    ids["last_week_phone"] = last_week
    time_machine.move_to(NOW, tick=False)
    ids["phone"] = enrol_phone(app, [ids["point"]], ids["volunteer"])
    return ids


def handed(world) -> dict:
    """Awa took everything, Bruno the basket and not the eggs."""
    phone = world["phone"]
    awa = phone.record("handover", {"order_id": world["awa"], "outcome": "all"}, world["today"])
    lines = [{"product_id": world["basket"], "quantity_received": 1}]
    bruno = phone.record("handover", {"order_id": world["bruno"], "outcome": "partial", "lines": lines}, world["today"])
    assert phone.push([awa, bruno]).status_code == 200
    return {"awa": awa}


def figures(app, world) -> dict:
    with app.app_context():
        report = distribution_report(db.session.get(Distribution, world["today"]))
        return {
            producer: [
                (
                    r.name,
                    r.ordered,
                    r.ordered_cents,
                    r.handed_over,
                    r.refused,
                    r.waiting,
                    r.due_cents,
                    r.solidarity_cents,
                )
                for r in figures.rows()
            ]
            for producer, figures in report.producers.items()
        }


def test_before_the_day_the_order_form_holds_the_quantities_to_deliver(app, world):
    assert figures(app, world) == {
        world["farm"]: [("Panier de légumes", 3, 4500, 0, 0, 3, 0, 0)],
        world["hens"]: [("Œufs ×6", 3, 810, 0, 0, 3, 0, 0)],
    }


def test_after_the_day_what_was_handed_over_refused_and_owed(app, world):
    taken = handed(world)
    # Farm: 2 baskets handed over (Awa, Bruno), Chloé's not collected: 30 € owed; Bruno pays 70 %: the network 4,50 €.
    # Hens: Awa's 2 boxes handed over (5,40 €), Bruno left his: refused.
    assert figures(app, world) == {
        world["farm"]: [("Panier de légumes", 3, 4500, 2, 0, 1, 3000, 450)],
        world["hens"]: [("Œufs ×6", 3, 810, 2, 1, 0, 540, 0)],
    }
    phone = world["phone"]  # Awa's hand-over voided at the point: her order is waiting again
    phone.push([phone.record("void", {"event_id": taken["awa"]["id"]}, world["today"])])
    assert figures(app, world)[world["farm"]] == [("Panier de légumes", 3, 4500, 1, 0, 2, 1500, 450)]


def test_a_line_paid_in_advance_by_the_seasons_cheques_carries_the_solidarity_share_too(app, world):
    """Bruno's basket is paid in advance (a contract paid by cheques): his cheques paid 70 % of it (the cheque
    calendar's rule, server/domain/cheque_calendar.py), so the network still owes the farm the other 4,50 €."""
    with app.app_context():
        for order_id in (world["bruno"], world["awa"]):
            for line in db.session.get(Order, order_id).lines:
                line.paid_in_advance = line.product_id == world["basket"]
        db.session.commit()
    handed(world)
    assert figures(app, world)[world["farm"]] == [("Panier de légumes", 3, 4500, 2, 0, 1, 3000, 450)]


def test_a_shortage_and_a_weighed_line_in_the_producer_report(app, world):
    """The hens delivered no eggs: the three boxes are "not delivered", neither waiting nor owed. Chloé's cheese, about
    500 g at 24,50 €/kg, weighed 480 g: the producer is owed 11,76 € and nothing of it counts as left."""
    with app.app_context():
        cheese = Product(code="TOMME", name="Tomme", unit_price_cents=2450, sold_by="kg", producer_id=world["hens"])
        db.session.add(cheese)
        db.session.flush()
        db.session.add(OrderLine(order_id=world["chloe"], product_id=cheese.id, quantity=500, unit_price_cents=2450))
        db.session.commit()
        cheese_id = cheese.id
    phone = world["phone"]
    no_eggs = phone.record("shortage", {"product_id": world["eggs"], "delivered": 0}, world["today"])
    chloe = phone.record(
        "handover",
        {"order_id": world["chloe"], "outcome": "all", "weighed": [{"product_id": cheese_id, "grams": 480}]},
        world["today"],
    )
    assert phone.push([no_eggs, chloe]).status_code == 200
    hens = dict((row[0], row[1:]) for row in figures(app, world)[world["hens"]])
    # (ordered, ordered cents, handed over, refused, waiting, due, solidarity)
    assert hens["Œufs ×6"] == (3, 810, 0, 0, 0, 0, 0)
    assert hens["Tomme"] == (500, 1225, 480, 0, 0, 1176, 0)
    with app.app_context():
        report = distribution_report(db.session.get(Distribution, world["today"]))
        shorts = {row.name: row.short for row in report.producers[world["hens"]].rows()}
    assert shorts == {"Œufs ×6": 3, "Tomme": 0}


def sold(app, world) -> None:
    """The farm's honey (6,50 € a jar) sold as an extra: 2 jars to Bruno at 70 % (9,10 €), 1 to someone passing by
    (6,50 €), and 1 more to someone passing by, voided at the point. Bruno also bought a box of eggs (1,89 €)."""
    with app.app_context():
        honey = Product(code="MIEL", name="Miel de fleurs", unit_price_cents=650, producer_id=world["farm"])
        db.session.add(honey)
        db.session.flush()
        distribution = db.session.get(Distribution, world["today"])
        set_extra(distribution, honey.id, 5, actor=None)
        set_extra(distribution, world["eggs"], None, actor=None)
        db.session.commit()
        world["honey"] = honey.id
    phone = world["phone"]

    def sale(lines, household=None, share=100):
        amount = sum(line_due_cents(q, price, share) for _p, q, price in lines)
        payload = {
            "lines": [{"product_id": p, "quantity": q, "unit_price_cents": price} for p, q, price in lines],
            "amount_cents": amount,
            "method": "cash",
        }
        if household is not None:
            payload |= {"household_id": household, "share_percent": share}
        return phone.record("sale", payload, world["today"])

    bruno = sale([(world["honey"], 2, 650), (world["eggs"], 1, 270)], world["bruno_household"], 70)
    passing = sale([(world["honey"], 1, 650)])
    mistake = sale([(world["honey"], 1, 650)])
    undo = phone.record("void", {"event_id": mistake["id"], "reason": "erreur"}, world["today"])
    assert phone.push([bruno, passing, mistake, undo]).status_code == 200


def test_extras_sold_at_the_point_are_owed_to_their_producer(app, world):
    """3 jars of honey sold (the voided one not counted): 19,50 € owed to the farm, of which the network pays Bruno's
    30 % of 13,00 € = 3,90 €; his box of eggs: 2,70 € owed to the hens, 0,81 € by the network."""
    handed(world)
    sold(app, world)
    assert figures(app, world) == {
        world["farm"]: [
            ("Miel de fleurs", 0, 0, 0, 0, 0, 1950, 390),
            ("Panier de légumes", 3, 4500, 2, 0, 1, 3000, 450),
        ],
        world["hens"]: [("Œufs ×6", 3, 810, 2, 1, 0, 540 + 270, 81)],
    }
    with app.app_context():
        report = distribution_report(db.session.get(Distribution, world["today"]))
        extras = {row.name: row.sold_extra for figures in report.producers.values() for row in figures.rows()}
    assert extras == {"Miel de fleurs": 3, "Panier de légumes": 0, "Œufs ×6": 1}


@pytest.fixture
def admin(world, admin_client):
    assert admin_client.get("/admin/?lang=en").status_code == 200
    return admin_client


def test_the_distribution_page_and_csv(admin, world):
    handed(world)
    page = admin.get(f"/admin/distributions/{world['today']}/producers").get_data(as_text=True)
    assert "Ferme du Luzard" in page and "EARL du Luzard" in page and "Les Œufs de Brou" in page
    assert "€30.00" in page and "€4.50" in page and "€5.40" in page
    only = admin.get(f"/admin/distributions/{world['today']}/producers?producer={world['hens']}")
    assert "Ferme du Luzard" not in only.get_data(as_text=True)
    response = admin.get(f"/admin/distributions/{world['today']}/producers.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][3:6] == ["Producer", "Code", "Product"]
    assert [(r[3], r[5], r[7], r[8], r[9], r[10], r[11], r[12], r[15], r[17]) for r in rows[1:]] == [
        ("Ferme du Luzard", "Panier de légumes", "3", "2", "0", "0", "1", "0", "3000", "450"),
        ("Les Œufs de Brou", "Œufs ×6", "3", "2", "0", "1", "0", "0", "540", "0"),
    ]


def test_the_period_report_reads_each_distribution(admin, world):
    handed(world)
    page = admin.get(f"/admin/producers/{world['farm']}/report?from=2026-11-25&to=2026-12-08").get_data(as_text=True)
    assert page.count("Maison de quartier du Luzard") == 2  # two distributions
    assert "€45.00" in page  # 3 baskets handed over over the period (1 last week, 2 today)
    response = admin.get(f"/admin/producers/{world['farm']}/report.csv?from=2026-11-25&to=2026-12-08")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert [(r[0], r[8], r[15]) for r in rows[1:]] == [("2026-12-01", "1", "1500"), ("2026-12-08", "2", "3000")]
    empty = admin.get(f"/admin/producers/{world['farm']}/report?from=2026-10-01&to=2026-10-31")
    assert "No order of this producer" in empty.get_data(as_text=True)
    assert admin.get(f"/admin/producers/{world['farm']}/report?from=junk&to=2026-13-45").status_code == 200


def test_the_extras_in_the_pages_and_csv_files(app, admin, world):
    handed(world)
    sold(app, world)
    page = admin.get(f"/admin/distributions/{world['today']}/producers").get_data(as_text=True)
    assert "Sold as extras" in page and "€19.50" in page and "€49.50" in page  # honey, and the farm's total
    response = admin.get(f"/admin/distributions/{world['today']}/producers.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][12] == "Sold as extras"
    assert [(r[5], r[7], r[8], r[12], r[15], r[17]) for r in rows[1:]] == [
        ("Miel de fleurs", "0", "0", "3", "1950", "390"),
        ("Panier de légumes", "3", "2", "0", "3000", "450"),
        ("Œufs ×6", "3", "2", "1", "810", "81"),
    ]
    period = admin.get(f"/admin/producers/{world['farm']}/report.csv?from=2026-11-25&to=2026-12-08")
    rows = list(csv.reader(io.StringIO(period.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert [(r[0], r[5], r[12], r[15], r[17]) for r in rows[1:]] == [
        ("2026-12-01", "Panier de légumes", "0", "1500", "0"),
        ("2026-12-08", "Miel de fleurs", "3", "1950", "390"),
        ("2026-12-08", "Panier de légumes", "0", "3000", "450"),
    ]
    french = admin.get(f"/admin/producers/{world['farm']}/report?from=2026-11-25&to=2026-12-08&lang=fr")
    assert "Vendu en extra" in french.get_data(as_text=True)


def test_a_distribution_where_a_producer_only_sold_extras_is_in_their_period(app, admin, world):
    """No order of the hens' eggs last week, 2 boxes sold as extras there: the period report finds that day."""
    last_week = world["last_week_phone"]
    with app.app_context():
        set_extra(db.session.get(Distribution, world["before"]), world["eggs"], None, actor=None)
        db.session.commit()
    lines = [{"product_id": world["eggs"], "quantity": 2, "unit_price_cents": 270}]
    passing = last_week.record(
        "sale", {"lines": lines, "amount_cents": 540, "method": "cash"}, world["before"], at=NOW - timedelta(days=7)
    )
    assert last_week.push([passing]).status_code == 200
    response = admin.get(f"/admin/producers/{world['hens']}/report.csv?from=2026-11-25&to=2026-12-08")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert [(r[0], r[12], r[15]) for r in rows[1:]] == [("2026-12-01", "2", "540"), ("2026-12-08", "0", "0")]


def test_coordinators_read_their_points_only(app, client, world):
    sign_in_user(app, client, world["coordinator"])  # coordinator of another point
    client.get("/admin/?lang=en")
    assert client.get(f"/admin/distributions/{world['today']}/producers").status_code == 404
    page = client.get(f"/admin/producers/{world['farm']}/report?from=2026-11-25&to=2026-12-08")
    assert page.status_code == 200 and "No order of this producer" in page.get_data(as_text=True)
