"""Synced events on members' accounts (``server/domain/ledger_events.py``) through the real endpoint, on SQLite and
PostgreSQL: payments debit, voids reverse, voids of voids restore, resolutions correct, each once, in any order;
an overdraft is posted and kept as a conflict."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.clock import utcnow
from server.domain.conflicts import resolve_conflict
from server.domain.events import refresh_conflicts
from server.domain.ledger import account_for, post
from server.extensions import db
from server.models import Account, AccountMovement, Conflict, Distribution, NetworkSettings, User
from tests.factories.sync_api import SyncWorld as World
from tests.factories.sync_api import sync_world
from tests.phones import Phone, enrol_phone


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        found = sync_world()
        for household in found.households:
            post(household, "allowance", 15000, "opening")
            post(household, "prepaid", 2000, "opening")
        db.session.commit()
        return found


@pytest.fixture
def phone(app, world) -> Phone:
    return enrol_phone(app, [world.point], world.volunteer, "Phone 1")


def pay(phone: Phone, world: World, order: int, allowance: int = 0, prepaid: int = 0, rest: int = 0, **kwargs):
    method = "cash" if rest else ("allowance" if allowance else "prepaid")
    payload = {
        "order_id": order,
        "amount_cents": allowance + prepaid + rest,
        "method": method,
        "from_allowance_cents": allowance,
        "from_prepaid_cents": prepaid,
    }
    return phone.record("payment", payload, world.distribution, **kwargs)


def void(phone: Phone, world: World, event: dict, **kwargs) -> dict:
    return phone.record("void", {"event_id": event["id"], "reason": "erreur"}, world.distribution, **kwargs)


def sent(phone: Phone, events: list[dict]) -> None:
    answer = phone.push(events)
    assert answer.status_code == 200, answer.get_json()


def balances(app, household: int) -> dict[str, int]:
    """Account kind → balance, each checked against the sum of its movements."""
    with app.app_context():
        found = {}
        for kind in ("allowance", "prepaid"):
            account = account_for(household, kind)
            assert account.balance_cents == account.movements_sum_cents()
            found[kind] = account.balance_cents
        db.session.rollback()
        return found


def movements(app, event_id: str) -> list[tuple[str, str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(Account.kind, AccountMovement.kind, AccountMovement.amount_cents)
            .join(Account, Account.id == AccountMovement.account_id)
            .where(AccountMovement.event_id == event_id)
            .order_by(Account.kind)
        )
        return [tuple(row) for row in rows]


def test_a_payment_debits_its_accounts_once_in_the_upload_that_stores_it(app, world, phone):
    household, order = world.households[0], world.orders[0]
    payment = pay(phone, world, order, allowance=4160, prepaid=500, rest=300)
    sent(phone, [payment])
    assert balances(app, household) == {"allowance": 15000 - 4160, "prepaid": 2000 - 500}
    assert movements(app, payment["id"]) == [("allowance", "payment", -4160), ("prepaid", "payment", -500)]
    with app.app_context():
        movement = db.session.scalar(select(AccountMovement).where(AccountMovement.event_id == payment["id"]))
        assert movement.subject_event_id == payment["id"] and movement.distribution_id == world.distribution
        assert movement.device_id is not None and movement.method == "cash" and movement.occurred_at is not None

    sent(phone, [payment])  # the same upload again (no answer reached the phone)
    assert balances(app, household) == {"allowance": 15000 - 4160, "prepaid": 2000 - 500}
    assert balances(app, world.households[1]) == {"allowance": 15000, "prepaid": 2000}


def test_a_void_gives_back_and_a_void_of_the_void_takes_again(app, world, phone):
    household, order = world.households[0], world.orders[0]
    payment = pay(phone, world, order, allowance=4160)
    undo = void(phone, world, payment)
    redo = void(phone, world, undo)
    sent(phone, [payment])
    sent(phone, [undo])
    assert balances(app, household)["allowance"] == 15000
    assert movements(app, undo["id"]) == [("allowance", "void", 4160)]
    sent(phone, [redo])
    assert balances(app, household)["allowance"] == 15000 - 4160
    assert movements(app, redo["id"]) == [("allowance", "void", -4160)]


@pytest.mark.parametrize("order_sent", [(2, 1, 0), (1, 0, 2), (0, 2, 1)])
def test_the_order_of_arrival_changes_nothing(app, world, order_sent):
    """Three phones, one payment and its voids, arriving in any order: the same balance."""
    phones = [enrol_phone(app, [world.point], world.volunteer, f"Phone {n}") for n in range(3)]
    household, order = world.households[0], world.orders[0]
    start = utcnow() - timedelta(seconds=30)
    payment = pay(phones[0], world, order, allowance=1000, at=start)
    undo = void(phones[1], world, payment, at=start + timedelta(seconds=1))
    redo = void(phones[2], world, undo, at=start + timedelta(seconds=2))
    events = [payment, undo, redo]
    for index in order_sent:
        sent(phones[index], [events[index]])
    assert balances(app, household)["allowance"] == 15000 - 1000


def test_a_void_that_came_before_its_payment_leaves_the_account_untouched(app, world, phone):
    household, order = world.households[0], world.orders[0]
    payment = pay(phone, world, order, prepaid=700)
    undo = void(phone, world, payment)
    sent(phone, [undo, payment])  # one upload, in the wrong order
    assert balances(app, household) == {"allowance": 15000, "prepaid": 2000}
    sent(phone, [payment, undo])
    assert balances(app, household) == {"allowance": 15000, "prepaid": 2000}


def test_an_allowance_spent_beyond_what_it_holds_is_posted_and_kept_as_a_conflict(app, world, phone):
    household, order = world.households[0], world.orders[0]
    first = pay(phone, world, order, allowance=14000)
    second = pay(phone, world, order, allowance=1500)  # another phone's pack still showed 150,00 €
    sent(phone, [first, second])
    assert balances(app, household)["allowance"] == -500
    with app.app_context():
        conflict = db.session.scalar(select(Conflict).where(Conflict.kind == "account_overdrawn"))
        assert conflict.key == f"account_overdrawn:{second['id']}:allowance"
        assert conflict.event_ids == [second["id"]] and conflict.distribution_id == world.distribution
        assert conflict.details == {
            "household_id": household,
            "account": "allowance",
            "debit_cents": 1500,
            "balance_cents": -500,
            "floor_cents": 0,
            "short_cents": 500,
        }
        refresh_conflicts(db.session.get(Distribution, world.distribution))  # the log's check never drops it
        db.session.commit()
        assert db.session.scalar(select(Conflict.status).where(Conflict.id == conflict.id)) == "open"

        admin = db.session.scalar(select(User).where(User.role == "admin"))
        resolution = resolve_conflict(conflict, "void_event", "Payé en espèces à la place", admin).event_id
        key = conflict.key
        db.session.commit()
    assert balances(app, household)["allowance"] == 1000
    assert movements(app, resolution) == [("allowance", "resolution", 1500)]
    with app.app_context():
        assert db.session.scalar(select(Conflict.status).where(Conflict.key == key)) == "resolved"

    sent(phone, [second])  # replayed: nothing moves, no new conflict
    assert balances(app, household)["allowance"] == 1000
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Conflict).where(Conflict.kind == "account_overdrawn"))
            == 1
        )


def test_accepting_an_overdraft_leaves_what_the_household_owes(app, world, phone):
    household, order = world.households[0], world.orders[0]
    payment = pay(phone, world, order, prepaid=2600)
    sent(phone, [payment])
    assert balances(app, household)["prepaid"] == -600
    with app.app_context():
        conflict = db.session.scalar(select(Conflict).where(Conflict.kind == "account_overdrawn"))
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        resolve_conflict(conflict, "accept", "Le foyer rembourse la semaine prochaine", admin)
        db.session.commit()
    assert balances(app, household)["prepaid"] == -600


def test_the_network_floor_lets_prepaid_go_below_zero_without_a_conflict(app, world, phone):
    with app.app_context():
        NetworkSettings.current().prepaid_floor_cents = 1000  # may go down to −10,00 €
        db.session.commit()
    household, order = world.households[0], world.orders[0]
    sent(phone, [pay(phone, world, order, prepaid=2800)])
    assert balances(app, household)["prepaid"] == -800
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Conflict).where(Conflict.kind == "account_overdrawn"))
            == 0
        )
    late = pay(phone, world, order, prepaid=500)
    sent(phone, [late])
    assert balances(app, household)["prepaid"] == -1300
    with app.app_context():
        conflict = db.session.scalar(select(Conflict).where(Conflict.kind == "account_overdrawn"))
        assert conflict.event_ids == [late["id"]] and conflict.details["floor_cents"] == -1000
        assert conflict.details["short_cents"] == 300


def test_keeping_the_first_hand_over_gives_back_the_second_payment(app, world):
    """Two phones hand over the same basket and each takes it from the allowance: keeping the first hand-over
    voids the second payment, and its allowance comes back."""
    first_phone = enrol_phone(app, [world.point], world.volunteer, "Phone 1")
    second_phone = enrol_phone(app, [world.point], world.second_volunteer, "Phone 2")
    household, order = world.households[0], world.orders[0]
    start = utcnow() - timedelta(seconds=30)
    events = {}
    for n, phone in enumerate((first_phone, second_phone)):
        at = start + timedelta(seconds=5 * n)
        events[n] = [
            phone.record("handover", {"order_id": order, "outcome": "all"}, world.distribution, at=at),
            pay(phone, world, order, allowance=900, at=at + timedelta(seconds=1)),
        ]
        sent(phone, events[n])
    assert balances(app, household)["allowance"] == 15000 - 1800
    with app.app_context():
        distribution = db.session.get(Distribution, world.distribution)
        (conflict,) = [c for c in refresh_conflicts(distribution) if c.kind == "double_handover"]
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        resolve_conflict(conflict, "keep_first", "Un seul panier remis", admin)
        db.session.commit()
    assert balances(app, household)["allowance"] == 15000 - 900
    assert movements(app, events[0][1]["id"]) == [("allowance", "payment", -900)]
    with app.app_context():
        given_back = db.session.scalar(
            select(AccountMovement.amount_cents).where(
                AccountMovement.subject_event_id == events[1][1]["id"], AccountMovement.kind == "resolution"
            )
        )
        assert given_back == 900


def test_a_payment_for_an_order_of_another_household_posts_on_the_household_it_names(app, world, phone):
    payload = {
        "order_id": world.orders[0],
        "household_id": world.households[1],
        "amount_cents": 300,
        "method": "allowance",
        "from_allowance_cents": 300,
    }
    sent(phone, [phone.record("payment", payload, world.distribution)])
    assert balances(app, world.households[1])["allowance"] == 15000 - 300
    assert balances(app, world.households[0])["allowance"] == 15000


def test_a_payment_for_an_unknown_member_moves_no_account(app, world, phone):
    payload = {"household_id": 999_999, "amount_cents": 300, "method": "allowance", "from_allowance_cents": 300}
    sent(phone, [phone.record("payment", payload, world.distribution)])
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(AccountMovement).where(AccountMovement.kind == "payment")
            )
            == 0
        )


def test_the_log_tells_a_coordinator_of_an_overdraft_and_cancelling_gives_the_money_back(app, world, admin_client):
    import re
    from html import unescape

    from tests.helpers import csrf_token

    phone = enrol_phone(app, [world.point], world.volunteer, "Téléphone 1")
    household, order = world.households[0], world.orders[0]
    sent(phone, [pay(phone, world, order, allowance=15600)])
    admin_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    log = f"/admin/distributions/{world.distribution}/log"
    html = admin_client.get(log).get_data(as_text=True)
    page = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u202f", " ").replace("\xa0", " "))
    assert "Payé au-delà de ce que le compte contenait" in page
    assert "M0 Diallo a payé 156,00 € — Allocation solidaire : 6,00 € de plus que ce que le compte contenait." in page
    assert "Solde après ce paiement : −6,00 € (minimum autorisé : 0,00 €)." in page
    keep = (
        "Garder le paiement : le foyer doit 6,00 € sur l’allocation solidaire (solde négatif jusqu’au prochain crédit)"
    )
    cancel = "Annuler le paiement de 156,00 € (l’argent revient sur le compte) : le panier reste à payer"
    assert keep in page and cancel in page and page.index(keep) < page.index(cancel)
    assert "Ignorer" not in page.split("Payé au-delà")[1].split("</form>")[0]
    with app.app_context():
        conflict_id = db.session.scalar(select(Conflict.id).where(Conflict.kind == "account_overdrawn"))
    answer = admin_client.post(
        f"/admin/distributions/{world.distribution}/conflicts/{conflict_id}/resolve",
        data={"csrf_token": csrf_token(html), "action": "void_event", "comment": "Payé en espèces"},
    )
    assert answer.status_code == 302
    assert balances(app, household)["allowance"] == 15000


def test_the_pack_carries_the_balance_before_its_distribution_and_the_next_one_the_posted_balance(app, world, phone):
    """A phone subtracts what was taken at this distribution itself: a pack fetched after some of today's payments
    were posted must not subtract them again. The next distribution's pack carries them."""
    from server.models import Household, Order, Point
    from tests.factories.primitives import distribution

    household, order = world.households[0], world.orders[0]
    with app.app_context():
        NetworkSettings.current().prepaid_floor_cents = 500
        later = distribution(db.session.get(Point, world.point), utcnow(), starts_in=timedelta(days=7))
        db.session.add(later)
        db.session.add(Order(distribution=later, household=db.session.get(Household, household), share_percent=100))
        db.session.commit()
        later_id = later.id
    sent(phone, [pay(phone, world, order, allowance=4160, prepaid=500, rest=100)])

    def pack_balances(distribution_id: int) -> tuple[dict, dict]:
        answer = phone.client.get(f"/api/distributions/{distribution_id}/pack", headers=phone.headers)
        assert answer.status_code == 200, answer.get_json()
        pack = answer.get_json()
        (member,) = [m for m in pack["members"] if m["id"] == household]
        return member["balances"], pack["network"]

    today, network = pack_balances(world.distribution)
    assert today == {"allowance_cents": 15000, "prepaid_cents": 2000}
    assert network["prepaid_floor_cents"] == 500
    next_week, _network = pack_balances(later_id)
    assert next_week == {"allowance_cents": 15000 - 4160, "prepaid_cents": 2000 - 500}


def test_cancelling_a_split_overdraft_says_the_cash_is_to_give_back(app, world, admin_client):
    """A payment partly from the allowance, partly in cash: cancelling it cancels the cash too, and says so."""
    import re
    from html import unescape

    phone = enrol_phone(app, [world.point], world.volunteer, "Téléphone 1")
    sent(phone, [pay(phone, world, world.orders[0], allowance=15700, rest=704)])
    admin_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    html = admin_client.get(f"/admin/distributions/{world.distribution}/log").get_data(as_text=True)
    page = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u202f", " ").replace("\xa0", " "))
    keep = (
        "Garder le paiement : le foyer doit 7,00 € sur l’allocation solidaire (solde négatif jusqu’au prochain crédit)"
    )
    cancel = "Annuler tout le paiement de 164,04 € (dont 7,04 € en espèces à rendre) : le panier reste à payer"
    assert keep in page and cancel in page and page.index(keep) < page.index(cancel)
