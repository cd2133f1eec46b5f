"""Web push end to end, without a mock: subscriptions made through the real endpoints, ``flask push send-due`` run
as cron would, and a local push service (``tests/push_service.py``) that checks the VAPID signature and decrypts
each message with the subscriber's private key, so the tests read exactly what the phone would show.

Times: the network is in Europe/Paris. The distribution is built relative to the clock (the day after tomorrow,
17:30–19:30 in Paris), never on a written date; ``send-due --now`` sets the moment where that is the point of the test
(the day before, quiet hours...), ``time_machine`` where the app must agree (``/api/me`` lists coming distributions).
The texts are checked in the subscriber's language."""

import os
import socket
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event, func, select

from server.clock import utcnow
from server.domain import push_sending
from server.domain.packs import distribution_pack, inputs_digests
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    Conflict,
    Device,
    Distribution,
    HeldPack,
    Household,
    NetworkSettings,
    Order,
    OrderLine,
    Point,
    Product,
    PushDelivery,
    PushSubscription,
    Tier,
    User,
)
from server.push_keys import application_server_key
from sync.signatures import public_key_text
from tests.helpers import csrf_token, sign_in_user, statements_of, submit_form
from tests.phones import enrol_phone
from tests.push_service import PushService, b64url_encode

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Slot:
    """The distribution's day, two days after the clock's today in Paris, and moments around it."""

    day: date

    def at(self, days: int, hhmm: str) -> datetime:
        """``days`` after the distribution's day (-1: the day before), at ``hhmm`` Paris time, as aware UTC."""
        return datetime.combine(self.day + timedelta(days=days), time.fromisoformat(hhmm), PARIS).astimezone(UTC)

    def now(self, days: int, hhmm: str) -> str:
        """The same moment as ``send-due --now`` takes it (ISO 8601 with the Paris offset)."""
        return self.at(days, hhmm).astimezone(PARIS).isoformat(timespec="seconds")

    @property
    def starts_at(self) -> datetime:
        return self.at(0, "17:30")

    @property
    def day_before(self) -> str:
        return self.now(-1, "10:00")

    def spelled(self, locale: str) -> str:
        """ "mardi 24 novembre", "Tuesday 24 November": the day as the notifications write it."""
        return format_date(self.day, "EEEE d MMMM", locale=locale)


@pytest.fixture
def slot() -> Slot:
    return Slot(utcnow().astimezone(PARIS).date() + timedelta(days=2))


@pytest.fixture
def push_service():
    with PushService() as service:
        yield service


@pytest.fixture
def app_config(app_config, push_service) -> dict:
    return app_config | {"PUSH_SERVICE_HOSTS": [push_service.base_url], "PUSH_CONTACT": "mailto:coord@example.org"}


@pytest.fixture
def service(app, push_service) -> PushService:
    """The push service, from now on refusing any push not signed by this server's VAPID key."""
    with app.app_context():
        push_service.vapid_public_key = application_server_key()
    return push_service


@pytest.fixture
def network(app, slot) -> dict:
    """A point, the distribution of ``slot`` (17:30–19:30) with three orders; a volunteer and a coordinator of the
    point, an admin, and a coordinator of another point."""
    with app.app_context():
        point, elsewhere = Point(name="Maison de quartier du Luzard", town="Noisiel"), Point(name="Lognes", town="L")
        solidaire = Tier(name="Solidaire", share_percent=70)
        basket = Product(code="LEG-M", name="Panier de légumes M", unit_price_cents=1500)
        eggs = Product(code="OEUF-6", name="Œufs ×6", unit_price_cents=270)
        distribution = Distribution(point=point, starts_at=slot.starts_at, ends_at=slot.at(0, "19:30"))
        people = {
            name: Household(
                first_name=name, last_name="Martin", tier=solidaire, point=point, page_token=f"page-token-of-member-{i}"
            )
            for i, name in enumerate(("Élodie", "Awa", "Bruno"))
        }
        for household in people.values():
            order = Order(distribution=distribution, household=household, share_percent=70)
            order.lines = [OrderLine(product=basket, quantity=1, unit_price_cents=1500)]
            order.lines.append(OrderLine(product=eggs, quantity=2, unit_price_cents=270))
            db.session.add(order)
        users = {
            "volunteer": User(email="victor@example.org", role="volunteer", display_name="Victor", points=[point]),
            "coordinator": User(email="cora@example.org", role="coordinator", display_name="Cora", points=[point]),
            "admin": User(email="ada@example.org", role="admin", display_name="Ada"),
            "other": User(email="otto@example.org", role="coordinator", display_name="Otto", points=[elsewhere]),
        }
        db.session.add_all([distribution, *users.values()])
        db.session.commit()
        return {
            "point": point.id,
            "distribution": distribution.id,
            "tokens": {name: h.page_token for name, h in people.items()},
            "orders": {name: o.id for name, o in zip(people, distribution.orders, strict=True)},
            "users": {role: u.id for role, u in users.items()},
            "basket": basket.id,
        }


@pytest.fixture
def client(app):
    """A script's requests: JSON in, JSON out (``Accept``), as the ticket page's button sends them."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = "application/json"
    return client


def member_subscribes(client, token: str, subscription, lang: str = "fr"):
    return client.post(f"/m/{token}/push", json={"subscription": subscription.as_json(), "lang": lang})


def send_due(runner, at: str | None = None) -> str:
    result = runner.invoke(args=["push", "send-due", *(["--now", at] if at else [])])
    assert result.exit_code == 0, result.output
    return result.output


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# The key.


def test_the_vapid_key_is_created_once_sealed_in_the_database_and_served(app, client):
    served = client.get("/api/push/key").get_json()["public_key"]
    assert not os.path.exists(os.path.join(app.instance_path, "vapid_private.pem"))
    assert len(served) == 87  # base64url of the 65-byte uncompressed P-256 point
    app.extensions.pop("comptoir_vapid")  # another process: the same key, read from the database
    assert client.get("/api/push/key").get_json()["public_key"] == served


def test_a_configured_key_is_used_and_stored_for_the_servers_without_it(app, app_config, client):
    from py_vapid import Vapid02

    from server import create_app
    from tests.push_service import public_key_b64

    key = Vapid02()
    key.generate_keys()
    configured = create_app(app_config | {"VAPID_PRIVATE_KEY": key.private_pem().decode()})
    assert configured.test_client().get("/api/push/key").get_json()["public_key"] == public_key_b64(key.public_key)
    assert not os.path.exists(os.path.join(app.instance_path, "vapid_private.pem"))
    assert client.get("/api/push/key").get_json()["public_key"] == public_key_b64(key.public_key)


# Members.


def test_members_get_the_reminder_the_day_before_in_their_language(app, client, runner, service, network, slot):
    elodie, awa = service.subscribe("Élodie"), service.subscribe("Awa")
    assert member_subscribes(client, network["tokens"]["Élodie"], elodie).status_code == 201
    assert member_subscribes(client, network["tokens"]["Awa"], awa, "en").status_code == 201

    assert send_due(runner, slot.now(-2, "10:00")).endswith("0 sent, 0 failed, 0 subscriptions gone, 0 already sent.\n")
    output = send_due(runner, slot.day_before)
    assert "2 sent, 0 failed" in output
    by_name = {delivery.subscription_name: delivery for delivery in service.received}
    french, english = by_name["Élodie"].json(), by_name["Awa"].json()
    assert french["title"] == "Votre panier à récupérer demain"
    assert french["body"].startswith(f"Demain, {slot.spelled('fr')}, 17:30–19:30 à Maison de quartier du Luzard : ")
    assert "1 × Panier de légumes M, 2 × Œufs ×6" in french["body"] and "14,28" in french["body"]
    assert french["url"] == "http://localhost:5000/m/page-token-of-member-0"
    assert english["title"] == "Your pick-up tomorrow"
    assert english["body"].startswith(f"Tomorrow, {slot.spelled('en')}, 17:30–19:30 at Maison de quartier du Luzard: ")
    assert english["lang"] == "en" and english["tag"] == f"member_reminder:{network['orders']['Awa']}"
    delivery = by_name["Élodie"]
    assert delivery.claims["sub"] == "mailto:coord@example.org" and delivery.claims["aud"] == service.base_url
    assert 0 < delivery.ttl <= 33 * 3600  # until the distribution starts
    assert service.rejected == []

    # Cron runs again and again: nobody gets it twice.
    assert "0 sent, 0 failed, 0 subscriptions gone, 0 already sent." in send_due(runner, slot.day_before)
    assert len(service.received) == 2


def test_quiet_hours_hold_notifications_back(app, client, runner, service, network, slot):
    member_subscribes(client, network["tokens"]["Élodie"], service.subscribe())
    assert send_due(runner, slot.now(-1, "22:30")) == "Quiet hours: nothing sent before 08:00.\n"
    assert send_due(runner, slot.now(-1, "07:59")) == "Quiet hours: nothing sent before 08:00.\n"
    assert service.received == [] and count(app, PushDelivery) == 0
    assert "1 sent" in send_due(runner, slot.now(-1, "08:00"))


def test_no_quiet_hours_when_configured_empty(app, client, runner, service, network, slot):
    app.config["PUSH_QUIET_HOURS"] = ""
    member_subscribes(client, network["tokens"]["Élodie"], service.subscribe())
    assert "1 sent" in send_due(runner, slot.now(-1, "23:30"))


def test_a_gone_subscription_is_removed_and_a_failing_service_blocks_nobody(
    app, client, runner, service, network, slot
):
    gone, failing, fine = service.subscribe("gone"), service.subscribe("failing"), service.subscribe("fine")
    for name, subscription in zip(["Élodie", "Awa", "Bruno"], [gone, failing, fine], strict=True):
        member_subscribes(client, network["tokens"][name], subscription)
    service.unsubscribe(gone)  # the member uninstalled the app: 410 Gone
    service.answer(failing, 500)  # that push service is down

    output = send_due(runner, slot.day_before)
    assert "1 sent, 1 failed, 1 subscriptions gone" in output
    assert [delivery.subscription_name for delivery in service.received] == ["fine"]
    with app.app_context():
        endpoints = set(db.session.scalars(select(PushSubscription.endpoint)))
    assert endpoints == {failing.endpoint, fine.endpoint}

    # The push service is back: the failed one goes out, once; the others are not sent again.
    service.answer(failing, None)
    assert "1 sent, 0 failed, 0 subscriptions gone, 0 already sent." in send_due(runner, slot.day_before)
    assert sorted(d.subscription_name for d in service.received) == ["failing", "fine"]
    assert "0 sent" in send_due(runner, slot.day_before)


def test_an_unreachable_push_service_is_retried_three_times_at_most(app, client, runner, service, network, slot):
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    app.config["PUSH_SERVICE_HOSTS"] = [service.base_url, f"http://127.0.0.1:{port}"]
    dead = service.subscribe("dead").as_json() | {"endpoint": f"http://127.0.0.1:{port}/push/x"}
    client.post(f"/m/{network['tokens']['Élodie']}/push", json={"subscription": dead, "lang": "fr"})
    member_subscribes(client, network["tokens"]["Awa"], service.subscribe("alive"))
    first = send_due(runner, slot.day_before)
    assert "1 sent, 1 failed" in first and "ConnectionError" in first
    assert "0 sent, 1 failed" in send_due(runner, slot.day_before)
    assert "0 sent, 1 failed" in send_due(runner, slot.day_before)
    assert "0 sent, 0 failed, 0 subscriptions gone, 0 already sent." in send_due(runner, slot.day_before)
    with app.app_context():
        attempts = db.session.scalar(select(PushDelivery.attempts).where(PushDelivery.status == "failed"))
    assert attempts == 3


def test_a_member_who_turns_notifications_off_gets_nothing(app, client, runner, service, network, slot):
    subscription = service.subscribe()
    token = network["tokens"]["Élodie"]
    member_subscribes(client, token, subscription)
    assert client.delete(f"/m/{token}/push", json={"endpoint": subscription.endpoint}).status_code == 204
    assert client.delete(f"/m/{token}/push", json={"endpoint": subscription.endpoint}).status_code == 404
    assert count(app, PushSubscription) == 0
    assert "0 sent" in send_due(runner, slot.day_before) and service.received == []


def test_subscriptions_are_checked(app, client, service, network):
    token = network["tokens"]["Élodie"]
    good = service.subscribe().as_json()
    foreign = good | {"endpoint": "https://evil.example.org/push/1"}
    answer = client.post(f"/m/{token}/push", json={"subscription": foreign})
    assert answer.status_code == 422 and answer.get_json()["error"]["reason"] == "push_service_unknown"
    internal = good | {"endpoint": "http://127.0.0.1:6379/"}  # not a push service this server was told of
    assert client.post(f"/m/{token}/push", json={"subscription": internal}).status_code == 422
    bad_keys = good | {"keys": {"p256dh": "AAAA", "auth": good["keys"]["auth"]}}
    answer = client.post(f"/m/{token}/push", json={"subscription": bad_keys})
    assert answer.status_code == 400 and answer.get_json()["error"]["reason"] == "subscription_keys_invalid"
    answer = client.post(f"/m/{token}/push", json={"subscription": good, "lang": "de"})
    assert answer.get_json()["error"]["reason"] == "language_unknown"
    assert client.post(f"/m/{token}/push", json={"subscription": good, "extra": 1}).status_code == 400
    assert client.post(f"/m/{token}/push", data="nope", content_type="application/json").status_code == 400
    assert client.post("/m/not-a-token/push", json={"subscription": good}).status_code == 404
    assert count(app, PushSubscription) == 0
    # The same browser subscribing again keeps one subscription.
    assert client.post(f"/m/{token}/push", json={"subscription": good}).status_code == 201
    assert client.post(f"/m/{token}/push", json={"subscription": good, "lang": "en"}).status_code == 201
    with app.app_context():
        assert db.session.scalars(select(PushSubscription.lang)).all() == ["en"]


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param(lambda good: {"p256dh": good["p256dh"][:-2]}, id="p256dh-64-bytes"),
        pytest.param(lambda good: {"auth": good["auth"][:-2]}, id="auth-15-bytes"),
        pytest.param(lambda good: {"auth": good["auth"] + "AAAA"}, id="auth-19-bytes"),
        pytest.param(lambda good: {"p256dh": "*".join(good["p256dh"][:4]) + good["p256dh"][4:]}, id="not-base64url"),
        pytest.param(lambda good: {"auth": good["auth"][:10] + " " + good["auth"][10:]}, id="space"),
        pytest.param(lambda good: {"p256dh": b64url_encode(b"\x04" + b"\x01" * 64)}, id="not-a-p256-point"),
        pytest.param(lambda good: {"p256dh": b64url_encode(b"\x05" + b"\x01" * 64)}, id="not-uncompressed"),
    ],
)
def test_malformed_keys_are_refused_with_a_clear_400(app, client, service, network, keys):
    """The keys are what pywebpush encrypts with: base64url (padding optional) of a P-256 point (65 bytes) and of
    16 bytes. Anything else would only fail later, at every run of ``push send-due``."""
    good = service.subscribe().as_json()
    bad = good | {"keys": good["keys"] | keys(good["keys"])}
    answer = client.post(f"/m/{network['tokens']['Élodie']}/push", json={"subscription": bad})
    error = answer.get_json()["error"]
    assert answer.status_code == 400 and error["reason"] == "subscription_keys_invalid"
    assert error["message"] == "Les clés de l’abonnement ne sont pas valides."
    answer = phone_subscribes(volunteer_phone(app, network), Keys(bad))
    assert answer.status_code == 400 and answer.get_json()["error"]["reason"] == "subscription_keys_invalid"
    assert count(app, PushSubscription) == 0
    padded = good | {"keys": {"p256dh": good["keys"]["p256dh"] + "=", "auth": good["keys"]["auth"] + "=="}}
    assert client.post(f"/m/{network['tokens']['Élodie']}/push", json={"subscription": padded}).status_code == 201


@dataclass(frozen=True)
class Keys:
    """A subscription as a browser's JSON, whatever it holds."""

    json: dict

    def as_json(self) -> dict:
        return self.json


def test_a_subscription_stored_with_malformed_keys_is_removed_and_the_run_goes_on(
    app, client, runner, service, network, slot
):
    """Keys stored before they were checked (or by hand): pywebpush cannot encrypt to them, and never will. The
    subscription is removed, as a gone one, and the others get their reminder."""
    subscriptions = {name: service.subscribe(name) for name in ("Élodie", "Awa", "Bruno")}
    for name, subscription in subscriptions.items():
        assert member_subscribes(client, network["tokens"][name], subscription).status_code == 201
    with app.app_context():
        for name, p256dh in (("Élodie", "not base64!"), ("Awa", b64url_encode(b"\x04" + b"\x01" * 64))):
            row = db.session.scalar(
                select(PushSubscription).where(PushSubscription.endpoint == subscriptions[name].endpoint)
            )
            row.p256dh = p256dh
        db.session.commit()
    output = send_due(runner, slot.day_before)
    assert "1 sent, 0 failed, 0 subscriptions gone, 0 already sent. 2 subscriptions with invalid keys removed." in (
        output
    )
    assert output.count("invalid keys, subscription removed") == 2
    assert [delivery.subscription_name for delivery in service.received] == ["Bruno"]
    with app.app_context():
        assert list(db.session.scalars(select(PushSubscription.endpoint))) == [subscriptions["Bruno"].endpoint]
        assert db.session.scalar(select(func.count()).select_from(PushDelivery)) == 1
    assert send_due(runner, slot.day_before).endswith("0 sent, 0 failed, 0 subscriptions gone, 0 already sent.\n")


def test_at_closing_a_member_who_did_not_come_hears_their_basket_waits(app, client, runner, service, network):
    with app.app_context():  # today's distribution, which ends in 30 minutes
        distribution = db.session.get(Distribution, network["distribution"])
        distribution.starts_at, distribution.ends_at = utcnow() - timedelta(hours=1), utcnow() + timedelta(minutes=30)
        db.session.commit()
        ends_at = distribution.ends_at
    subscribed = {}
    for name in ("Élodie", "Awa", "Bruno"):
        subscribed[name] = service.subscribe(name)
        member_subscribes(client, network["tokens"][name], subscribed[name])
    phone = enrol_phone(app, [network["point"]], network["users"]["volunteer"])
    pack = phone.client.get(f"/api/distributions/{network['distribution']}/pack", headers=phone.headers)
    assert pack.status_code == 200
    handed = phone.record(
        "handover", {"order_id": network["orders"]["Élodie"], "outcome": "all"}, network["distribution"]
    )
    refused = phone.record(
        "handover", {"order_id": network["orders"]["Bruno"], "outcome": "refused"}, network["distribution"]
    )
    # The phone says it still holds events (it uploaded one of its two): no "your basket awaits" yet.
    answer = phone.client.post(
        "/api/events", json={"events": [handed]}, headers=phone.headers | {"X-Comptoir-Pending": "1"}
    )
    assert answer.status_code == 200
    after_closing = (ends_at + timedelta(hours=1)).isoformat(timespec="seconds")
    app.config["PUSH_QUIET_HOURS"] = ""
    assert "0 sent" in send_due(runner, after_closing)
    assert phone.push([refused]).status_code == 200
    phone.client.get("/api/device", headers=phone.headers | {"X-Comptoir-Pending": "0"})

    service.answer(subscribed["Awa"], 500)  # decided now, but her push service is down: retried by the next run
    assert "0 sent, 1 failed" in send_due(runner, after_closing)
    service.answer(subscribed["Awa"], None)
    assert "1 sent" in send_due(runner, after_closing)
    [delivery] = service.received
    assert delivery.subscription_name == "Awa"  # Élodie collected, Bruno refused his basket
    assert delivery.json()["title"] == "Votre panier vous attend"
    assert "Maison de quartier du Luzard" in delivery.json()["body"]
    assert "0 sent" in send_due(runner, (ends_at + timedelta(hours=25)).isoformat(timespec="seconds"))


# Volunteers.


def volunteer_phone(app, client_app_network, role: str = "volunteer"):
    network = client_app_network
    return enrol_phone(app, [network["point"]], network["users"][role], name=f"Téléphone de {role}")


def phone_subscribes(phone, subscription, lang: str = "fr"):
    return phone.client.post(
        "/api/push/subscriptions",
        json={"subscription": subscription.as_json(), "lang": lang},
        headers=phone.headers,
    )


def test_an_assigned_volunteer_sees_it_in_the_app_and_is_reminded(
    app, client, runner, service, network, slot, time_machine
):
    time_machine.move_to(slot.at(-1, "10:00"), tick=True)  # the day before: the app lists it, cron reminds
    sign_in_user(app, client, network["users"]["coordinator"])
    url = f"/admin/distributions/{network['distribution']}/volunteers"
    page = client.get(url).get_data(as_text=True)
    assert "Victor" in page and "Cora" in page and "Otto" not in page and "Ada" not in page
    answer = submit_form(client, url, {"volunteers": [str(network["users"]["volunteer"])]})
    assert answer.status_code == 302
    assert submit_form(client, url, {"volunteers": [str(network["users"]["other"])]}).status_code == 400

    phone = volunteer_phone(app, network)
    subscription = service.subscribe("Victor")
    answer = phone_subscribes(phone, subscription)
    assert answer.status_code == 201, answer.get_json()
    me = phone.client.get("/api/me", headers=phone.headers).get_json()
    assert [d["assigned"] for d in me["distributions"]] == [True]

    assert "1 sent" in send_due(runner)
    [delivery] = service.received
    assert delivery.json()["title"] == "Distribution demain"
    assert "Vous tenez la distribution de Maison de quartier du Luzard, demain" in delivery.json()["body"]
    assert delivery.json()["url"] == "http://localhost:5000/app/"

    # Turned off from the app: DELETE, and nothing more.
    answer = phone.client.delete(
        "/api/push/subscriptions", json={"endpoint": subscription.endpoint}, headers=phone.headers
    )
    assert answer.status_code == 204 and count(app, PushSubscription) == 0


def test_the_volunteer_api_needs_a_shift(app, client, service, network):
    body = {"subscription": service.subscribe().as_json()}
    answer = client.post("/api/push/subscriptions", json=body)
    assert answer.status_code == 401
    phone = volunteer_phone(app, network)
    answer = phone.client.post(
        "/api/push/subscriptions", json=body, headers={"Authorization": phone.headers["Authorization"]}
    )
    assert answer.status_code == 401 and answer.get_json()["error"]["reason"] == "shift_required"


def test_a_pack_changed_after_the_download_is_announced_once(app, runner, service, network, slot):
    phone = volunteer_phone(app, network)
    phone_subscribes(phone, service.subscribe("Victor"))
    pack_url = f"/api/distributions/{network['distribution']}/pack"
    assert phone.client.get(pack_url, headers=phone.headers).status_code == 200
    assert "0 sent" in send_due(runner, slot.day_before)  # the pack it holds is the current one
    with app.app_context():
        line = db.session.scalar(select(OrderLine).where(OrderLine.product_id == network["basket"]))
        line.quantity = 2
        db.session.commit()

    output = send_due(runner, slot.now(0, "09:00"))  # the day of the distribution
    assert "1 sent" in output
    [delivery] = service.received
    assert delivery.json()["title"] == "Distribution mise à jour"
    assert delivery.json()["body"].startswith(
        f"La distribution de Maison de quartier du Luzard du {slot.spelled('fr')}"
    )
    assert "0 sent" in send_due(runner, slot.now(0, "09:05"))
    assert phone.client.get(pack_url, headers=phone.headers).status_code == 200  # downloaded again
    assert "0 sent" in send_due(runner, slot.now(0, "09:10"))

    # A change the pack does not show (it trims names): nothing sent, and the copy is noted as current for the new
    # inputs, so later runs do not build the pack again.
    with app.app_context():
        held_inputs = db.session.scalar(select(HeldPack.inputs_digest))
        household = db.session.get(Household, db.session.scalar(select(Order.household_id)))
        household.last_name = f"{household.last_name} "
        db.session.commit()
    assert "0 sent" in send_due(runner, slot.now(0, "09:20"))
    with app.app_context():
        assert db.session.scalar(select(HeldPack.inputs_digest)) not in (held_inputs, None)
    assert len(service.received) == 1


PACK_EDITS = {  # what a pack carries, changed one at a time
    "order line": lambda s, n: setattr(s.scalar(select(OrderLine)), "quantity", 3),
    "member name": lambda s, n: setattr(s.get(Household, n["household"]), "first_name", "Élodie-Marie"),
    "member last name": lambda s, n: setattr(s.get(Household, n["household"]), "last_name", "Martin-Moreau"),
    "member status": lambda s, n: setattr(s.get(Household, n["household"]), "status", "suspended"),
    "ticket revoked": lambda s, n: setattr(s.get(Household, n["household"]), "ticket_min_serial", 2),
    "tier": lambda s, n: setattr(s.scalar(select(Tier)), "name", "Solidaire +"),
    "product name": lambda s, n: setattr(s.get(Product, n["basket"]), "name", "Panier de légumes L"),
    "balance": lambda s, n: s.add(
        AccountMovement(
            account=Account(household_id=n["household"], kind="prepaid"), amount_cents=500, reason="Versement"
        )
    ),
    "network": lambda s, n: setattr(NetworkSettings.current(), "name", "Autre réseau"),
    "prepaid floor": lambda s, n: setattr(NetworkSettings.current(), "prepaid_floor_cents", 1000),
    "point": lambda s, n: setattr(s.get(Point, n["point"]), "address", "1 rue du Luzard"),
    "distribution": lambda s, n: setattr(s.get(Distribution, n["distribution"]), "status", "open"),
    "phone with a key": lambda s, n: s.add(
        Device(
            public_id=str(uuid.uuid4()),
            name="Téléphone 9",
            public_key=public_key_text(Ed25519PrivateKey.generate()),
            points=[s.get(Point, n["point"])],
        )
    ),
}


@pytest.mark.parametrize("edit", PACK_EDITS)
def test_every_change_of_a_pack_changes_the_digest_of_its_inputs(app, network, edit):
    """The "pack changed" check builds a pack only when its inputs' digest changed: whatever changes the pack must
    change that digest too."""
    distribution_id = network["distribution"]
    with app.app_context():
        NetworkSettings.current()
        db.session.commit()
        household = db.session.scalar(select(Order.household_id).where(Order.id == network["orders"]["Élodie"]))
        before = inputs_digests([distribution_id])[distribution_id], pack_digest(distribution_id)
        assert inputs_digests([distribution_id])[distribution_id] == before[0]  # the same reads, the same digest
        PACK_EDITS[edit](db.session, network | {"household": household})
        db.session.commit()
        after = inputs_digests([distribution_id])[distribution_id], pack_digest(distribution_id)
    assert after[1] != before[1], "the edit changes the pack"
    assert after[0] != before[0]


def pack_digest(distribution_id: int) -> str:
    return distribution_pack(db.session.get(Distribution, distribution_id)).digest


# Coordinators and admins.


def test_coordinators_and_admins_hear_of_a_new_conflict(app, runner, service, network):
    with app.app_context():
        distribution = db.session.get(Distribution, network["distribution"])
        distribution.starts_at, distribution.ends_at = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)
        db.session.commit()
    subscribed = {}
    for role in ("coordinator", "admin", "other"):
        phone = volunteer_phone(app, network, role) if role != "other" else None
        if phone is None:  # Otto coordinates another point: a phone of his own point
            with app.app_context():
                elsewhere = db.session.scalar(select(Point.id).where(Point.name == "Lognes"))
            phone = enrol_phone(app, [elsewhere], network["users"]["other"])
        subscribed[role] = service.subscribe(role)
        assert phone_subscribes(phone, subscribed[role], "en").status_code == 201
    order = network["orders"]["Awa"]
    for _ in range(2):  # two phones hand over the same order
        volunteer = volunteer_phone(app, network)
        event = volunteer.record("handover", {"order_id": order, "outcome": "all"}, network["distribution"])
        assert volunteer.push([event]).status_code == 200

    # The uploads only flagged the distribution: the run first looks for its conflicts (as ``sync check-conflicts``
    # does every minute), then reads the ``conflicts`` table.
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Conflict)) == 0
    app.config["PUSH_QUIET_HOURS"] = ""
    assert "2 sent" in send_due(runner)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Conflict)) == 1
    assert sorted(d.subscription_name for d in service.received) == ["admin", "coordinator"]
    message = service.received[0].json()
    assert message["title"] == "A conflict to resolve"
    assert message["body"].startswith("Order handed over twice — distribution at Maison de quartier du Luzard on ")
    assert message["url"] == f"http://localhost:5000/admin/distributions/{network['distribution']}/log#conflicts"
    assert "0 sent" in send_due(runner)


def test_a_phone_silent_with_unsent_events_is_reported(app, runner, service, network):
    coordinator = volunteer_phone(app, network, "coordinator")
    phone_subscribes(coordinator, service.subscribe("Cora"))
    phone = volunteer_phone(app, network)
    phone.client.get("/api/device", headers=phone.headers | {"X-Comptoir-Pending": "4"})
    coordinator.client.get("/api/device", headers=coordinator.headers | {"X-Comptoir-Pending": "0"})
    app.config["PUSH_QUIET_HOURS"] = ""
    soon = (utcnow() + timedelta(minutes=90)).isoformat(timespec="seconds")
    later = (utcnow() + timedelta(hours=3)).isoformat(timespec="seconds")
    assert "0 sent" in send_due(runner, soon)  # 2 hours by default
    assert "1 sent" in send_due(runner, later)
    [delivery] = service.received
    assert delivery.json()["title"] == "Un téléphone n’est pas synchronisé"
    assert delivery.json()["body"].startswith("Téléphone de volunteer garde 4 actions non envoyées depuis ")
    assert "0 sent" in send_due(runner, later)
    phone.client.get("/api/device", headers=phone.headers | {"X-Comptoir-Pending": "bogus"})  # a hint, ignored


# The admin's list.


def test_the_admin_lists_subscriptions_per_person_and_removes_one(app, client, service, network):
    member_subscribes(client, network["tokens"]["Élodie"], service.subscribe())
    phone = volunteer_phone(app, network)
    phone_subscribes(phone, service.subscribe())
    coordinator = app.test_client()
    sign_in_user(app, coordinator, network["users"]["coordinator"])
    page = coordinator.get("/admin/notifications/").get_data(as_text=True)
    assert "Élodie Martin" in page and "Victor" in page and "Téléphone de volunteer" in page
    with app.app_context():
        member_sub = db.session.scalar(select(PushSubscription.id).where(PushSubscription.household_id.is_not(None)))
    other = app.test_client()
    sign_in_user(app, other, network["users"]["other"])
    assert "Élodie" not in other.get("/admin/notifications/").get_data(as_text=True)
    for client_, status in ((other, 404), (coordinator, 302)):
        token = csrf_token(client_.get("/admin/notifications/").get_data(as_text=True))
        answer = client_.post(f"/admin/notifications/{member_sub}/delete", data={"csrf_token": token})
        assert answer.status_code == status
    assert count(app, PushSubscription) == 1


def add_subscribers(app, network, n: int, deliveries: int = 3) -> list[int]:
    """``n`` more members of the point, each subscribed, with ``deliveries`` past deliveries; the subscriptions' ids."""
    with app.app_context():
        point, tier = db.session.get(Point, network["point"]), db.session.scalar(select(Tier))
        start = db.session.scalar(select(func.count()).select_from(Household))
        subscriptions = []
        for i in range(start, start + n):
            household = Household(
                first_name=f"Membre {i:04d}", last_name="Abel", tier=tier, point=point, page_token=f"page-token-{i:04d}"
            )
            subscription = PushSubscription(
                endpoint_hash=f"{i:064d}", endpoint=f"https://push.example.org/{i}", p256dh="k", auth="a"
            )
            subscription.household = household
            subscription.deliveries = [
                PushDelivery(key=f"member_reminder:{i}:{d}", kind="member_reminder", status="sent")
                for d in range(deliveries)
            ]
            subscriptions.append(subscription)
        db.session.add_all(subscriptions)
        db.session.commit()
        return [s.id for s in subscriptions]


def test_the_admin_list_is_paginated_and_its_statements_do_not_grow_with_the_subscriptions(app, network):
    """30 then 90 subscriptions with 3 deliveries each: the page reads the same statements; 25 a page, by name."""
    admin = app.test_client()
    sign_in_user(app, admin, network["users"]["admin"])
    add_subscribers(app, network, 30)
    few = statements_of(app, admin, "/admin/notifications/")
    first = admin.get("/admin/notifications/").get_data(as_text=True)
    assert "30 résultats" in first and "Page 1 sur 2" in first
    assert "Membre 0003 Abel" in first and "Membre 0027 Abel" in first and "Membre 0028 Abel" not in first
    second = admin.get("/admin/notifications/?page=2").get_data(as_text=True)
    assert "Membre 0028 Abel" in second and "Membre 0032 Abel" in second and "Membre 0027 Abel" not in second
    add_subscribers(app, network, 60)
    assert statements_of(app, admin, "/admin/notifications/") == few
    assert "90 résultats" in admin.get("/admin/notifications/").get_data(as_text=True)
    assert admin.get("/admin/notifications/?page=99").location == "/admin/notifications/?page=4"
    assert admin.get("/admin/notifications/?page=bogus").location == "/admin/notifications/"


def test_the_admin_list_shows_the_last_delivery_of_each_subscription(app, network):
    """The last by creation, the later id first when two were created at the same moment."""
    first, second = add_subscribers(app, network, 2, deliveries=0)
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with app.app_context():
        db.session.add_all(
            [
                PushDelivery(subscription_id=first, key="a", kind="member_reminder", created_at=moment, status="sent"),
                PushDelivery(
                    subscription_id=first, key="b", kind="pack_changed", created_at=moment, status="failed"
                ),  # same moment, later id: the last
                PushDelivery(
                    subscription_id=first,
                    key="c",
                    kind="conflict",
                    created_at=moment - timedelta(days=1),  # written after, but created before
                    status="sent",
                ),
                PushDelivery(
                    subscription_id=second,
                    key="d",
                    kind="member_uncollected",
                    created_at=moment + timedelta(days=3),
                    status="sent",
                ),
                PushDelivery(subscription_id=second, key="e", kind="member_reminder", created_at=moment, status="sent"),
            ]
        )
        db.session.commit()
    admin = app.test_client()
    sign_in_user(app, admin, network["users"]["admin"])
    page = admin.get("/admin/notifications/").get_data(as_text=True)
    names = ("Membre 0003", "Membre 0004")
    sections = {name: page.split(f"{name} Abel</h2>")[1].split("</section>")[0] for name in names}
    assert (
        "Bénévole : distribution mise à jour · échec du service de notifications · 02/03/2026"
        in sections["Membre 0003"]
    )
    assert "Adhérent : panier non récupéré · envoyée · 05/03/2026" in sections["Membre 0004"]
    assert sections["Membre 0003"].count("<tr>") == sections["Membre 0004"].count("<tr>") == 2


# Two runs at once.


def test_two_runs_at_once_send_each_notification_once(app, client, service, network, slot):
    """Two cron runs started together, each in its own thread with its own database connection, against the local
    push service: every reminder arrives once, and the one a previous run failed to send is retried by one run."""
    with app.app_context():
        NetworkSettings.current()  # a network has its settings row (two runs creating it would clash instead)
        point = db.session.get(Point, network["point"])
        distribution = db.session.get(Distribution, network["distribution"])
        tier = db.session.scalar(select(Tier))
        more = [
            Household(
                first_name=f"Membre {i}",
                last_name="Durand",
                tier=tier,
                point=point,
                page_token=f"page-token-of-another-{i:02d}",
            )
            for i in range(20)
        ]
        db.session.add_all(Order(distribution=distribution, household=h, share_percent=70) for h in more)
        db.session.commit()
        tokens = [*network["tokens"].values(), *(h.page_token for h in more)]
    names = [f"member {i}" for i in range(len(tokens))]
    for token, name in zip(tokens, names, strict=True):
        assert member_subscribes(client, token, service.subscribe(name)).status_code == 201
    with app.app_context():  # what a previous run left when Élodie's push service failed
        elodie = db.session.scalar(select(PushSubscription.id).order_by(PushSubscription.id))
        key = f"member_reminder:{network['orders']['Élodie']}"
        db.session.add(
            PushDelivery(subscription_id=elodie, key=key, kind="member_reminder", status="failed", attempts=1)
        )
        db.session.commit()

    reports, errors = [], []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            with app.app_context():
                start.wait()
                reports.append(push_sending.send_due(slot.at(-1, "10:00")))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert Counter(delivery.subscription_name for delivery in service.received) == Counter(names)
    assert service.rejected == []
    assert sum(report.counts["sent"] for report in reports) == len(tokens)
    assert all(report.counts["failed"] == 0 for report in reports)
    with app.app_context():
        rows = db.session.execute(select(PushDelivery.key, PushDelivery.status, PushDelivery.attempts)).all()
    assert len(rows) == len(tokens) and {status for _key, status, _attempts in rows} == {"sent"}
    assert {attempts for row_key, _status, attempts in rows if row_key == key} == {2}


# What a run reads.


def test_a_run_with_nothing_due_reads_the_same_whatever_the_history(app, client, runner, service, network, slot):
    """The rules read time windows through indexes: more past distributions, orders and conflicts do not add one
    statement to a run, and no run reads the events of a distribution that did not just end."""
    for name, token in network["tokens"].items():
        member_subscribes(client, token, service.subscribe(name))
    assert "3 sent" in send_due(runner, slot.day_before)
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    phone = volunteer_phone(app, network)
    counts = []
    for weeks in (1, 6):
        added = []
        with app.app_context():  # past distributions, each with its orders, a hand-over and an open conflict
            point = db.session.get(Point, network["point"])
            households = db.session.scalars(select(Household)).all()
            for week in range(len(counts) + 1, weeks + 1):
                past = Distribution(
                    point=point, starts_at=slot.at(-7 * week, "17:30"), ends_at=slot.at(-7 * week, "19:30")
                )
                past.orders = [Order(household=h, share_percent=70) for h in households]
                db.session.add(past)
                db.session.flush()
                db.session.add(
                    Conflict(
                        distribution_id=past.id,
                        kind="double_handover",
                        key=f"old:{past.id}",
                        event_ids=[],
                        detected_at=past.ends_at,
                    )
                )
                added.append((past.id, past.orders[0].id))
            db.session.commit()
        for distribution_id, order_id in added:  # synced today, long after the distribution
            handover = phone.record("handover", {"order_id": order_id, "outcome": "all"}, distribution_id)
            assert phone.push([handover]).get_json()["results"][0]["status"] == "accepted"
        # The conflict check reads the events of the distributions that received some (here every one), once; it
        # runs first in send-due, and is measured on its own (``test_sync_uploads.py``).
        assert runner.invoke(args=["sync", "check-conflicts"]).exit_code == 0
        statements.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert "0 sent, 0 failed" in send_due(runner, slot.now(-1, "10:10"))
        finally:
            event.remove(engine, "before_cursor_execute", record)
        counts.append(len(statements))
        assert not [s for s in statements if " events" in s]
    assert counts[0] == counts[1]
