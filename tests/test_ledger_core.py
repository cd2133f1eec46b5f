"""The one way money moves on an account (``server.domain.ledger``): balances equal the sum of movements, keyed
movements are posted once, on both engines."""

from sqlalchemy import func, select

from server.domain.ledger import account_for, post, post_many
from server.extensions import db
from server.models import Account, AccountMovement, Point
from tests.factories import primitives


def test_post_moves_the_balance_and_a_keyed_movement_is_posted_once(app):
    with app.app_context():
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        (household,) = primitives.households(point, [("Awa", "Diallo", primitives.full_tier())])
        db.session.add(household)
        db.session.flush()
        first = post(household.id, "allowance", 15000, "cycle_credit", period="2026-12")
        again = post(household.id, "allowance", 15000, "cycle_credit", period="2026-12")
        spent = post(household.id, "allowance", -4160, "payment", event_id="e1", subject_event_id="e1")
        replayed = post(household.id, "allowance", -4160, "payment", event_id="e1", subject_event_id="e1")
        db.session.commit()
        account = account_for(household.id, "allowance")
        assert first and spent and again is None and replayed is None
        assert account.balance_cents == account.movements_sum_cents() == 15000 - 4160

        # ORM inserts (the demo, test data) move the balance too.
        db.session.add(AccountMovement(account=account, amount_cents=250, kind="correction", reason="Arrondi"))
        db.session.commit()
        assert account.balance_cents == account.movements_sum_cents() == 15000 - 4160 + 250

        posted = post_many("prepaid", {household.id: [{"amount_cents": 500, "kind": "top_up"}] * 3})
        db.session.commit()
        prepaid = account_for(household.id, "prepaid")
        assert len(posted) == 3 and prepaid.balance_cents == 1500
        total = db.session.scalar(select(func.sum(Account.balance_cents)))
        assert total == db.session.scalar(select(func.sum(AccountMovement.amount_cents)))
