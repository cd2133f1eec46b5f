"""The distribution pack: its content, what it leaves out, its ETag, 304, gzip, who may download it, and its fixed
number of queries. On SQLite and PostgreSQL; the framework-free rules of ``sync.pack`` at the end.
"""

import base64
import gzip
import json
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError
from sqlalchemy import event, select

from server.clock import utcnow
from server.domain.devices import create_enrolment, redeem_enrolment, register_key, revoke_device
from server.domain.packs import distribution_pack
from server.domain.shifts import start_shift
from server.domain.tickets import issue_ticket, revoke_ticket, ticket_text
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    Device,
    Distribution,
    Household,
    NetworkSettings,
    OrderLine,
    Point,
    Producer,
    Product,
    Tier,
    User,
)
from server.ticket_keys import private_key, public_keys
from sync import pack as packs
from sync import tickets
from sync.signatures import public_key_text
from sync.tickets import trust_json
from tests.factories import make_order
from tests.factories.packs import PacksWorld as World
from tests.factories.packs import packs_world

ETAG = re.compile(r'^"[0-9a-f]{64}"$')
MEMBER_FIELDS = {
    *("id", "manual_code", "first_name", "last_name", "display_name", "status", "tier", "order", "balances"),
    *("membership_paid_until", "membership_due", "contribution_due_cents"),
}
PERSONAL = {"email", "phone", "notes", "page_token", "created_at"}


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        return packs_world()


def phone(app, point_ids: list[int], user_id: int | None) -> dict[str, str]:
    """A device enrolled for ``point_ids`` and, given ``user_id``, that user's shift on it: the request headers."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        points = db.session.scalars(select(Point).where(Point.id.in_(point_ids))).all()
        _, token = create_enrolment(admin, "Téléphone", points)
        device, credential = redeem_enrolment(token)
        headers = {"Authorization": f"Device {credential}"}
        if user_id is not None:
            _, shift = start_shift(device, db.session.get(User, user_id))
            headers["X-Comptoir-Shift"] = shift
        db.session.commit()
    return headers


def pack_url(distribution_id: int) -> str:
    return f"/api/distributions/{distribution_id}/pack"


def get_pack(client, world: World, headers: dict[str, str], **extra: str):
    return client.get(pack_url(world.network.distribution), headers={**headers, **extra})


@pytest.fixture
def volunteer_phone(app, world) -> dict[str, str]:
    return phone(app, [world.north], world.volunteer)


# Content.


def test_the_pack_holds_the_distribution_its_point_the_network_and_the_trust(app, world, client, volunteer_phone):
    answer = get_pack(client, world, volunteer_phone)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json" and "Content-Encoding" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"
    assert ETAG.match(answer.headers["ETag"]) and "Accept-Encoding" in answer.headers["Vary"]
    body = answer.get_data()
    assert packs.parse_pack(body)  # the schema reads it back
    pack = json.loads(body)
    assert body == packs.canonical_json(pack)  # canonical: sorted keys, no spaces
    assert pack["format_version"] == 3
    assert pack["distribution"] == {
        "id": world.network.distribution,
        "starts_at": "2026-03-10T16:30:00Z",
        "ends_at": "2026-03-10T18:00:00Z",
        "status": "planned",
    }
    assert pack["point"] == {
        "id": world.north,
        "name": "Maison de quartier du Luzard",
        "town": "Noisiel",
        "address": "",
    }
    assert pack["network"] == {
        "name": "Comptoir",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "payment_methods": ["cash", "cheque", "card", "transfer"],
        "show_tier_at_counter": False,
        "membership_fee_cents": 0,
        "membership_required": False,
        "prepaid_floor_cents": 0,
        "allowance_period": "month",
    }
    with app.app_context():
        assert pack["tickets"] == trust_json(public_keys(), {world.network.bruno: 1})
    assert pack["tickets"]["min_serials"] == {str(world.network.bruno): 1}  # the re-issued ticket
    assert list(pack["tickets"]["public_keys"]) == ["1"]
    # A phone checks tickets with the pack alone: Bruno's new card passes, his lost one is refused.
    keys = {int(k): base64.b64decode(v) for k, v in pack["tickets"]["public_keys"].items()}
    min_serials = {int(k): v for k, v in pack["tickets"]["min_serials"].items()}
    with app.app_context():
        bruno = db.session.get(Household, world.network.bruno)
        current = ticket_text(bruno)
        lost = tickets.sign(
            tickets.Ticket(key_id=1, member_id=bruno.id, serial=0, issued_on=bruno.ticket_issued_on), private_key(1)
        )
    assert tickets.verify(current, keys, min_serials).serial == 1
    with pytest.raises(tickets.TicketRefused, match="revoked"):
        tickets.verify(lost, keys, min_serials)


def revoked_elsewhere(app, world: World, count: int) -> list[int]:
    """``count`` members of the south point, each with a first ticket and then a new one (a lost card); ids."""
    with app.app_context():
        tier = db.session.get(Tier, world.network.full_tier)
        south = db.session.get(Point, world.south)
        households = [Household(first_name=f"Sud{i}", last_name="Loin", tier=tier, point=south) for i in range(count)]
        db.session.add_all(households)
        db.session.flush()
        for household in households:
            issue_ticket(household)
            issue_ticket(household)
        db.session.commit()
        return [household.id for household in households]


def trust_pages(client, headers: dict[str, str], since: str = "0", limit: int = 2000) -> tuple[dict, str, int]:
    """Every page of ``/api/tickets/trust`` from ``since``: the revocations merged, the last cursor, the pages."""
    merged, pages = {}, 0
    while True:
        answer = client.get(f"/api/tickets/trust?since={since}&limit={limit}", headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_json()
        assert set(body) == {"public_keys", "min_serials", "cursor", "more"}
        assert len(body["min_serials"]) <= limit
        merged |= body["min_serials"]
        since, pages = body["cursor"], pages + 1
        if not body["more"]:
            return merged, since, pages


def test_a_pack_holds_the_revocations_a_phone_there_can_meet_the_trust_list_the_rest(
    app, world, client, volunteer_phone
):
    """Dina (an order here, no point) and Chloé (of this point, no order here) lose their cards: their revocations
    are in the pack; 40 members of another point lost theirs: not in the pack, whatever their number, but the
    phone's own list (the trust endpoint, by pages) has them all."""
    net = world.network
    with app.app_context():
        for member_id in (net.dina, net.chloe):
            household = db.session.get(Household, member_id)
            issue_ticket(household)
            revoke_ticket(household)
        db.session.commit()
    elsewhere = revoked_elsewhere(app, world, 40)
    pack = get_pack(client, world, volunteer_phone).get_json()
    expected = {str(net.bruno): 1, str(net.dina): 1, str(net.chloe): 1}
    assert pack["tickets"]["min_serials"] == expected
    assert not set(map(str, elsewhere)) & set(pack["tickets"]["min_serials"])

    merged, cursor, pages = trust_pages(client, volunteer_phone, limit=7)
    assert merged == expected | {str(member_id): 1 for member_id in elsewhere}
    assert pages == 7  # 43 revocations, 7 a page
    with app.app_context():  # a phone that has them all asks only for what changed since
        revoke_ticket(db.session.get(Household, net.alice))
        db.session.commit()
    changed, later, _pages = trust_pages(client, volunteer_phone, since=cursor)
    assert changed == {str(net.alice): 1} and int(later) > int(cursor)
    assert trust_pages(client, volunteer_phone, since=later)[0] == {}
    # The pack's part stays the point's and the distribution's: 40 more elsewhere add nothing to it.
    revoked_elsewhere(app, world, 40)
    again = get_pack(client, world, volunteer_phone).get_json()["tickets"]["min_serials"]
    assert again == expected | {str(net.alice): 1}


def test_the_trust_endpoint_refuses_a_bad_or_unknown_cursor(app, world, client, volunteer_phone):
    device_only = {"Authorization": volunteer_phone["Authorization"]}  # no volunteer needed
    first = client.get("/api/tickets/trust", headers=device_only)
    assert first.status_code == 200 and first.get_json()["min_serials"] == {str(world.network.bruno): 1}
    cursor = first.get_json()["cursor"]
    for query in ("since=-1", "since=abc", "since=²", "since=" + "9" * 19, "limit=0", "limit=5001", "limit=x"):
        answer = client.get(f"/api/tickets/trust?{query}", headers=device_only)
        assert (answer.status_code, reason(answer)) == (400, "invalid_field"), query
    beyond = client.get(f"/api/tickets/trust?since={int(cursor) + 1}", headers=device_only)
    assert (beyond.status_code, reason(beyond)) == (409, "cursor_unknown")
    assert client.get("/api/tickets/trust").status_code == 401


def test_every_expected_member_with_amounts_due_at_the_order_share_and_balances(app, world, client, volunteer_phone):
    with app.app_context():  # the tier's share changes after the order: the order keeps the share it was taken at
        db.session.get(Tier, world.network.solidarity_tier).share_percent = 60
        db.session.commit()
        manual_codes = {h.id: h.manual_code for h in db.session.scalars(select(Household))}
    pack = get_pack(client, world, volunteer_phone).get_json()
    net, products = world.network, world.network.products
    members = {m["id"]: m for m in pack["members"]}
    assert [m["id"] for m in pack["members"]] == sorted([net.alice, net.bruno, net.dina])  # not Chloé: no order here
    for member in pack["members"]:
        assert set(member) == MEMBER_FIELDS - {"contribution_due_cents"}  # left out: nobody owes a contribution
    alice, bruno, dina = members[net.alice], members[net.bruno], members[net.dina]
    assert [(m["first_name"], m["last_name"], m["display_name"]) for m in (alice, bruno, dina)] == [
        ("Alice", "Martin", "Alice M."),
        ("Bruno", "Diallo", "Bruno D."),
        ("Dina", "Ferreira", "Dina F."),
    ]
    assert bruno["manual_code"] == manual_codes[net.bruno] and len(bruno["manual_code"]) == 9
    assert alice["manual_code"] == manual_codes[net.alice] and dina["manual_code"] is None  # Dina has no ticket
    assert (alice["status"], dina["status"]) == ("active", "suspended")
    assert bruno["tier"] == {"id": net.solidarity_tier, "name": "Tarif solidaire", "share_percent": 60}
    assert bruno["order"] == {
        "id": world.orders["bruno"],
        "share_percent": 70,
        "lines": [  # by product id
            {
                "product_id": products["LEG-S"],
                "product_name": "Panier de légumes S",
                "quantity": 1,
                "unit_price_cents": 1000,
                "due_cents": 700,
                "producer_id": None,
            },
            {
                "product_id": products["PAIN-500"],
                "product_name": "Pain au levain 500 g",
                "quantity": 3,
                "unit_price_cents": 350,
                "due_cents": 735,
                "producer_id": None,
            },
        ],
        "total_due_cents": 1435,
        "solidarity_share_cents": 615,
    }
    assert alice["order"]["total_due_cents"] == 1500 + 540 and alice["order"]["solidarity_share_cents"] == 0
    assert bruno["balances"] == {"prepaid_cents": 1500, "allowance_cents": 3000}
    assert alice["balances"] == {"prepaid_cents": 0, "allowance_cents": 0}


def test_each_line_names_its_producer_and_the_pack_carries_those_producers(app, world, client, volunteer_phone):
    """The phone proposes one cheque per producer: each line names its product's producer, and the pack carries the
    producers of its lines (name, payee), not the network's others."""
    products = world.network.products
    with app.app_context():
        farm = Producer(name="Ferme du Luzard", cheque_payee="EARL du Luzard")
        bakery = Producer(name="Fournil de Torcy")
        db.session.add_all([farm, bakery, Producer(name="Chèvrerie sans commande")])
        db.session.flush()
        db.session.get(Product, products["LEG-S"]).producer_id = farm.id
        db.session.get(Product, products["PAIN-500"]).producer_id = bakery.id
        db.session.commit()
        farm_id, bakery_id = farm.id, bakery.id
    pack = get_pack(client, world, volunteer_phone).get_json()
    bruno = next(m for m in pack["members"] if m["id"] == world.network.bruno)
    assert [(line["product_name"], line["producer_id"]) for line in bruno["order"]["lines"]] == [
        ("Panier de légumes S", farm_id),
        ("Pain au levain 500 g", bakery_id),
    ]
    assert pack["producers"] == sorted(
        [
            {"id": farm_id, "name": "Ferme du Luzard", "payee": "EARL du Luzard"},
            {"id": bakery_id, "name": "Fournil de Torcy", "payee": "Fournil de Torcy"},
        ],
        key=lambda p: p["id"],
    )
    assert packs.parse_pack(json.dumps(pack)).producers[0].id == min(farm_id, bakery_id)


def test_nothing_personal_travels_beyond_the_names_of_the_members_expected(app, world, client, volunteer_phone):
    """Names, as on the paper sign-off sheet, of the members expected here only (the phone wipes them once the
    distribution is over); no e-mail, phone, note, nor anyone without an order here (Chloé Nguyen)."""
    body = get_pack(client, world, volunteer_phone).get_data(as_text=True)
    assert all(name in body for name in ("Alice", "Martin", "Bruno", "Diallo", "Dina", "Ferreira"))
    for household in ("Nguyen", "Chloé", "@", "06 11", "07 55", "appelé"):
        assert household not in body, household

    def keys(value) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    assert not keys(json.loads(body)) & PERSONAL


def test_a_distribution_without_orders_has_an_empty_member_list(app, world, client):
    with app.app_context():
        starts = datetime(2026, 4, 1, 16, tzinfo=UTC)
        empty = Distribution(point_id=world.north, starts_at=starts, ends_at=starts + timedelta(hours=1))
        db.session.add(empty)
        db.session.commit()
        empty_id = empty.id
    answer = client.get(pack_url(empty_id), headers=phone(app, [world.north], world.volunteer))
    assert answer.status_code == 200 and answer.get_json()["members"] == []


# ETag, 304, gzip.


def test_the_etag_is_stable_and_follows_orders_tickets_and_balances(app, world, client, volunteer_phone):
    first = get_pack(client, world, volunteer_phone)
    again = get_pack(client, world, volunteer_phone)
    assert first.get_data() == again.get_data() and first.headers["ETag"] == again.headers["ETag"]
    with app.app_context():
        built = distribution_pack(db.session.get(Distribution, world.network.distribution))
        assert built.body == first.get_data() and built.etag == first.headers["ETag"]

    seen = {first.headers["ETag"]}

    def changed(change) -> None:
        with app.app_context():
            change()
            db.session.commit()
        answer = get_pack(client, world, volunteer_phone)
        assert answer.headers["ETag"] not in seen, change.__name__
        seen.add(answer.headers["ETag"])

    def order_quantity():
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == world.orders["alice"]).limit(1))
        line.quantity += 1

    def ticket_reissued():
        issue_ticket(db.session.get(Household, world.network.alice))

    def balance_moved():
        account = db.session.scalar(select(Account).where(Account.household_id == world.network.bruno).limit(1))
        db.session.add(AccountMovement(account=account, amount_cents=-100, reason="Correction"))

    for change in (order_quantity, ticket_reissued, balance_moved):
        changed(change)


def keyed_phone(app, point_ids: list[int], name: str, key: bool = True) -> tuple[str, str | None]:
    """A device enrolled for ``point_ids``, with a signing key registered at enrolment (or none): its public id and
    public key."""
    public_key = public_key_text(Ed25519PrivateKey.generate()) if key else None
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        points = db.session.scalars(select(Point).where(Point.id.in_(point_ids))).all()
        _, token = create_enrolment(admin, name, points)
        device, _credential = redeem_enrolment(token, public_key=public_key)
        db.session.commit()
        return device.public_id, public_key


def test_the_pack_lists_the_phones_that_may_record_at_the_point_with_their_keys(app, world, client):
    headers = phone(app, [world.north], world.volunteer)  # no key: not listed
    luzard = keyed_phone(app, [world.north], "Téléphone du Luzard")
    both = keyed_phone(app, [world.south, world.north], "Téléphone des deux lieux")
    keyed_phone(app, [world.south], "Téléphone du Sud")  # another point's: not listed
    revoked = keyed_phone(app, [world.north], "Téléphone perdu")
    with app.app_context():
        device = db.session.scalar(select(Device).where(Device.public_id == revoked[0]))
        revoke_device(device, db.session.get(User, world.admin))
        db.session.commit()
    answer = get_pack(client, world, headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    expected = sorted(
        [
            {"id": luzard[0], "name": "Téléphone du Luzard", "public_key": luzard[1]},
            {"id": both[0], "name": "Téléphone des deux lieux", "public_key": both[1]},
        ],
        key=lambda device: device["id"],
    )
    assert json.loads(answer.get_data())["devices"] == expected
    assert packs.parse_pack(answer.get_data()).devices[0].id == expected[0]["id"]


def test_the_etag_follows_a_phone_enrolled_registering_its_key_or_revoked(app, world, client, volunteer_phone):
    seen = {get_pack(client, world, volunteer_phone).headers["ETag"]}

    def changed() -> None:
        answer = get_pack(client, world, volunteer_phone)
        assert answer.headers["ETag"] not in seen
        seen.add(answer.headers["ETag"])

    public_id, _key = keyed_phone(app, [world.north], "Téléphone 2", key=False)
    assert get_pack(client, world, volunteer_phone).headers["ETag"] in seen  # no key yet: nothing to list
    with app.app_context():
        device = db.session.scalar(select(Device).where(Device.public_id == public_id))
        register_key(device, public_key_text(Ed25519PrivateKey.generate()))
        db.session.commit()
    changed()
    keyed_phone(app, [world.north], "Téléphone 3")
    changed()
    with app.app_context():
        device = db.session.scalar(select(Device).where(Device.public_id == public_id))
        revoke_device(device, db.session.get(User, world.admin))
        db.session.commit()
    changed()


def test_if_none_match_answers_304_without_a_body(app, world, client, volunteer_phone):
    etag = get_pack(client, world, volunteer_phone).headers["ETag"]
    for header in (etag, f'"nope", {etag}', f"W/{etag}", "*"):
        answer = get_pack(client, world, volunteer_phone, **{"If-None-Match": header})
        assert answer.status_code == 304, header
        assert answer.get_data() == b"" and answer.headers["ETag"] == etag
        assert answer.headers["Cache-Control"] == "no-store" and "Accept-Encoding" in answer.headers["Vary"]
    stale = get_pack(client, world, volunteer_phone, **{"If-None-Match": '"' + "0" * 64 + '"'})
    assert stale.status_code == 200 and stale.headers["ETag"] == etag
    with app.app_context():
        db.session.get(Household, world.network.alice).first_name = "Alicia"
        db.session.commit()
    renamed = get_pack(client, world, volunteer_phone, **{"If-None-Match": etag})
    assert renamed.status_code == 200 and renamed.headers["ETag"] != etag
    assert "Alicia M." in renamed.get_data(as_text=True)
    with app.app_context():  # a new last name with the same initial changes the pack too
        db.session.get(Household, world.network.alice).last_name = "Morel"
        db.session.commit()
    remarried = get_pack(client, world, volunteer_phone, **{"If-None-Match": renamed.headers["ETag"]})
    assert remarried.status_code == 200 and '"last_name":"Morel"' in remarried.get_data(as_text=True)


def test_gzip_on_the_wire_decodes_to_the_plain_pack(app, world, client, volunteer_phone):
    plain = get_pack(client, world, volunteer_phone)
    zipped = get_pack(client, world, volunteer_phone, **{"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"] and zipped.mimetype == "application/json"
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert int(zipped.headers["Content-Length"]) == len(zipped.get_data()) < len(plain.get_data())
    # Another representation, another strong ETag; either one names the pack for If-None-Match.
    assert zipped.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"'
    for known in (plain.headers["ETag"], zipped.headers["ETag"]):
        again = get_pack(client, world, volunteer_phone, **{"Accept-Encoding": "gzip", "If-None-Match": known})
        assert again.status_code == 304 and again.headers["ETag"] == zipped.headers["ETag"]
        assert "Content-Encoding" not in again.headers
    refused = get_pack(client, world, volunteer_phone, **{"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and refused.get_data() == plain.get_data()
    anything = get_pack(client, world, volunteer_phone, **{"Accept-Encoding": "*"})
    assert anything.headers["Content-Encoding"] == "gzip"


# Who may download it.


def reason(answer) -> str:
    error = answer.get_json()["error"]
    assert set(error) >= {"status", "reason", "message"} and error["status"] == answer.status_code
    return error["reason"]


def test_refusals_are_json_with_a_reason(app, world, client):
    net = world.network
    cases = [
        # (headers, distribution, status, reason)
        (phone(app, [world.south], world.stranger), net.distribution, 403, "forbidden_point"),  # phone not at north
        (phone(app, [world.north, world.south], world.stranger), net.distribution, 403, "forbidden_point"),
        (phone(app, [world.north], world.admin), 424242, 404, "distribution_unknown"),
        (phone(app, [world.north], None), net.distribution, 401, "shift_required"),
        ({}, net.distribution, 401, "device_credential_missing"),
    ]
    for headers, distribution_id, status, why in cases:
        answer = client.get(pack_url(distribution_id), headers=headers)
        assert (answer.status_code, reason(answer)) == (status, why), why
        assert answer.headers["Cache-Control"] == "no-store" and "ETag" not in answer.headers
    admin = client.get(pack_url(net.distribution), headers=phone(app, [world.north], world.admin))
    assert admin.status_code == 200  # admins work everywhere, on the device's points


def test_a_revoked_device_gets_no_pack(app, world, client, volunteer_phone):
    with app.app_context():
        for device in db.session.scalars(select(Device)):
            device.revoked_at = utcnow()
        db.session.commit()
    answer = get_pack(client, world, volunteer_phone, **{"Accept-Encoding": "gzip"})
    assert (answer.status_code, reason(answer)) == (403, "device_revoked")


# A fixed number of queries.


def count_queries(app, distribution_id: int) -> int:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.app_context():
        distribution = db.session.get(Distribution, distribution_id)
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            distribution_pack(distribution)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
    return len(statements)


def test_the_pack_takes_the_same_few_queries_for_3_or_33_members(app, world):
    with app.app_context():
        NetworkSettings.current()  # created on first use
        db.session.commit()
    few = count_queries(app, world.network.distribution)
    with app.app_context():
        tier = db.session.get(Tier, world.network.full_tier)
        households = [Household(first_name=f"Membre{i}", last_name="Test", tier=tier) for i in range(30)]
        db.session.add_all(households)
        db.session.commit()
        for household in households:
            account = Account(household_id=household.id, kind="prepaid")
            db.session.add_all([account, AccountMovement(account=account, amount_cents=500, reason="Versement")])
            make_order(world.network.distribution, household.id, {world.network.products["LEG-M"]: (2, 1500)})
    many = count_queries(app, world.network.distribution)
    # point, settings, keys, revocations (the point's and the orders'), orders with lines, balances, the allowance
    # period, contributions due, the catalogue of extras, the point's phones
    assert few == many == 10, (few, many)
    with app.app_context():
        built = distribution_pack(db.session.get(Distribution, world.network.distribution))
        assert len(json.loads(built.body)["members"]) == 33


# The framework-free rules (sync.pack), no database.


def sample(members: list[packs.MemberData], **changes) -> packs.BuiltPack:
    arguments = {
        "distribution": {
            "id": 7,
            "starts_at": datetime(2026, 3, 10, 16, 30, tzinfo=UTC),
            "ends_at": datetime(2026, 3, 10, 18, tzinfo=UTC),
            "status": "open",
        },
        "point": {"id": 2, "name": "Salle des fêtes", "town": "Lognes", "address": "1 place de la Mairie"},
        "network": {"name": "Comptoirs", "currency": "EUR", "timezone": "Europe/Paris", "payment_methods": ["cash"]},
        "public_keys": {1: bytes(32)},
        "min_serials": {},
        "members": members,
    }
    return packs.build_pack(**(arguments | changes))


def member(member_id: int, lines: list[packs.LineData], **changes) -> packs.MemberData:
    fields = {
        "id": member_id,
        "first_name": "Awa",
        "last_name": "Diop",
        "manual_code": None,
        "status": "active",
        "tier_id": 1,
        "tier_name": "Tarif solidaire",
        "tier_share_percent": 40,
        "order_id": 100 + member_id,
        "order_share_percent": 40,
        "lines": lines,
    }
    return packs.MemberData(**(fields | changes))


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [
        ("Awa", "Diop", "Awa D."),
        ("  Jean-Pierre ", " de la Fontaine", "Jean-Pierre D."),
        ("Émile", "Élouard", "Émile É."),
        ("Zoé", "E\u0301louard", "Zoé É."),  # a decomposed É keeps its accent
        ("Awa", "", "Awa"),
        ("", "Diop", "D."),
    ],
)
def test_display_name_is_first_name_and_initial(first, last, shown):
    assert packs.display_name(first, last) == shown


def test_members_carry_their_names_in_full_trimmed_and_composed():
    """The phone finds a member by any part of either name, so both travel whole; NFC, so "Gonc\u0327alves" typed
    on one keyboard and stored from another still compare equal once folded (pwa/src/packs.js)."""
    built = sample(
        [member(1, [], first_name=" Jean-Luc ", last_name="N'Diaye "), member(2, [], last_name="Gonc\u0327alves")]
    )
    first, second = json.loads(built.body)["members"]
    assert (first["first_name"], first["last_name"], first["display_name"]) == ("Jean-Luc", "N'Diaye", "Jean-Luc N.")
    assert second["last_name"] == "Gonçalves" and len(second["last_name"]) == 9
    assert packs.parse_pack(built.body).members[1].last_name == "Gonçalves"


def test_the_same_data_in_any_order_gives_the_same_bytes():
    lines = [packs.LineData(3, "Œufs ×6", 2, 270), packs.LineData(1, "Panier M", 1, 1500)]
    members = [member(i, lines if i % 2 else lines[:1]) for i in range(1, 20)]
    first = sample(members)
    shuffled = [member(m.id, list(reversed(m.lines))) for m in random.Random(5).sample(members, len(members))]
    assert sample(shuffled) == first
    assert first.etag == packs.strong_etag(first.body) and ETAG.match(first.etag)
    assert "Œufs" in first.body.decode() and b"\\u" not in first.body  # UTF-8, not escapes
    one = json.loads(first.body)["members"][0]["order"]
    assert [line["product_id"] for line in one["lines"]] == [1, 3]
    assert one["total_due_cents"] == 600 + 216 and one["solidarity_share_cents"] == 900 + 324
    assert sample(members[:-1]).etag != first.etag


def test_the_schema_refuses_what_does_not_belong_in_a_pack():
    with pytest.raises(ValidationError):  # a personal field slipped into the point
        sample([], point={"id": 2, "name": "Salle", "town": "Lognes", "address": "", "phone": "01 02 03 04 05"})
    with pytest.raises(ValidationError):
        sample([], network={"name": "C", "currency": "EUR", "timezone": "Europe/Paris", "payment_methods": ["bitcoin"]})
    with pytest.raises(ValidationError):
        sample([member(1, [packs.LineData(1, "Panier", 0, 1500)])])  # no line of nothing
    with pytest.raises(ValidationError):  # naive times are ambiguous
        sample(
            [],
            distribution={
                "id": 1,
                "starts_at": datetime(2026, 1, 1),
                "ends_at": datetime(2026, 1, 2),
                "status": "open",
            },
        )
    schema = packs.schema()
    assert set(schema["required"]) == {"format_version", "distribution", "point", "network", "tickets", "members"}
    assert set(schema["$defs"]["PackMember"]["properties"]) == MEMBER_FIELDS
