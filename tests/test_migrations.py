"""Migrations build, from an empty database, exactly the schema the models describe, on both engines."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from server.extensions import db


def schema_differences(app) -> list:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_matches_the_models(empty_app):
    with empty_app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert schema_differences(empty_app) == []


def test_downgrade_to_empty_and_up_again(empty_app):
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
    assert schema_differences(empty_app) == []


def test_upgrade_command_on_empty_database(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert schema_differences(empty_app) == []


def test_prepare_migrates_loads_the_demo_once_and_prints_a_sign_in_link(empty_app):
    from sqlalchemy import func, select

    from server.models import Household
    from tests.helpers import submit_form

    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["prepare"])
    assert first.exit_code == 0, first.output
    assert "loading the demo network" in first.output
    assert "http://localhost:5000/app/" in first.output
    member_page = next(line.split()[-1] for line in first.output.splitlines() if "/m/" in line)
    with empty_app.app_context():
        households = db.session.scalar(select(func.count(Household.id)))
    assert households > 400
    link = next(line.split()[-1] for line in first.output.splitlines() if "/auth/link/" in line)

    second = runner.invoke(args=["prepare"])
    assert second.exit_code == 0, second.output
    assert "loading the demo network" not in second.output
    with empty_app.app_context():
        assert db.session.scalar(select(func.count(Household.id))) == households

    client = empty_app.test_client()
    assert submit_form(client, link.removeprefix("http://localhost:5000"), {}).status_code == 302
    assert client.get(member_page.removeprefix("http://localhost:5000")).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_producer_texts_become_producer_records(empty_app):
    """0026 turns each distinct producer text of the catalogue into one producer its products point at, and back."""
    rows = [("LEG", " Ferme du Buisson "), ("OEUFS", "Ferme du Buisson"), ("MIEL", "Rucher"), ("PAIN", "")]
    with empty_app.app_context():
        upgrade(revision="0025_balances_unindexed")
        with db.engine.begin() as conn:
            for code, producer in rows:
                conn.execute(
                    text(
                        "INSERT INTO products (code, name, unit, producer, unit_price_cents, active) "
                        "VALUES (:code, :code, '', :producer, 100, true)"
                    ),
                    {"code": code, "producer": producer},
                )
        upgrade(revision="0026_producers")
        with db.engine.connect() as conn:
            moved = dict(
                conn.execute(
                    text(
                        "SELECT products.code, producers.name FROM products "
                        "LEFT JOIN producers ON producers.id = products.producer_id"
                    )
                ).all()
            )
            producers = conn.execute(text("SELECT count(*) FROM producers")).scalar()
        downgrade(revision="0025_balances_unindexed")
        with db.engine.connect() as conn:
            back = dict(conn.execute(text("SELECT code, producer FROM products")).all())
    assert moved == {"LEG": "Ferme du Buisson", "OEUFS": "Ferme du Buisson", "MIEL": "Rucher", "PAIN": None}
    assert producers == 2
    assert back == {"LEG": "Ferme du Buisson", "OEUFS": "Ferme du Buisson", "MIEL": "Rucher", "PAIN": ""}


def test_producers_get_their_sort_names(empty_app):
    """0035 keys the producers already there ("Élevage" sorts as "elevage"), and takes the column back down."""
    with empty_app.app_context():
        upgrade(revision="0030_shortage_credits")
        with db.engine.begin() as conn:
            for name in ("Élevage des Prés", "Œufs de Courtry"):
                conn.execute(text("INSERT INTO producers (name, active) VALUES (:name, true)"), {"name": name})
        upgrade(revision="0031_producer_sort_names")
        with db.engine.connect() as conn:
            keys = set(conn.execute(text("SELECT sort_name FROM producers")).scalars())
        downgrade(revision="0030_shortage_credits")
        with db.engine.connect() as conn:
            columns = conn.execute(text("SELECT * FROM producers")).keys()
    assert keys == {"elevage des pres", "oeufs de courtry"}
    assert "sort_name" not in columns


def test_contract_debits_are_a_movement_kind_and_go_back_with_their_balances(empty_app):
    """0036 lets a movement be a ``contract_debit``; going down removes them and puts their accounts' balances back."""
    from server.domain.ledger import post
    from server.models import Household, Point, Tier

    with empty_app.app_context():
        upgrade(revision="0036_contract_debits")
        household = Household(
            first_name="Alice",
            last_name="Martin",
            tier=Tier(name="Plein", share_percent=100),
            point=Point(name="L", town="Noisiel"),
        )
        db.session.add(household)
        db.session.flush()
        post(household.id, "prepaid", 5000, "opening")
        post(household.id, "prepaid", -1500, "contract_debit")
        db.session.commit()
        db.session.remove()
        with db.engine.connect() as conn:
            before = conn.execute(text("SELECT balance_cents FROM accounts")).scalar()
        downgrade(revision="0034_orders_close")
        with db.engine.connect() as conn:
            after = conn.execute(text("SELECT balance_cents FROM accounts")).scalar()
            kinds = set(conn.execute(text("SELECT kind FROM account_movements")).scalars())
    assert (before, after, kinds) == (3500, 5000, {"opening"})
