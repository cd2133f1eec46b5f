"""The distribution log, conflict resolution, the history, the CSV exports and the sign-off sheet, through HTTP, with
events uploaded by two phones through the real API, on SQLite and PostgreSQL."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from server.clock import utcnow
from server.domain.events import event_json
from server.domain.ledger import post
from server.extensions import db
from server.models import (
    AuditEntry,
    Conflict,
    Device,
    Distribution,
    Household,
    Order,
    OrderLine,
    Point,
    Product,
    SyncedEvent,
    Tier,
    User,
)
from sync.chain import check_chain, event_hash
from sync.events import parse_event
from sync.manual_codes import display
from tests.factories.distribution_log import DistributionLogWorld as World
from tests.factories.distribution_log import distribution_log_world
from tests.helpers import csrf_token, sign_in_as_admin, sign_in_user, statements_of
from tests.phones import Phone, enrol_phone

PARIS = ZoneInfo("Europe/Paris")
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        found = distribution_log_world()
        # What the day below takes from the accounts is there: no overdraft among this log's conflicts.
        post(found.households["Bruno"], "prepaid", 1000, "opening")
        post(found.households["Gaëlle"], "allowance", 1000, "opening")
        db.session.commit()
        return found


@dataclass
class Day:
    phones: tuple[Phone, Phone]
    events: dict[str, dict]  # a name → the event as sent


def pushed(phone: Phone, events: list[dict], compress: bool = False) -> None:
    answer = phone.push(events, compress=compress)
    assert answer.status_code == 200, answer.get_json()
    assert {result["status"] for result in answer.get_json()["results"]} == {"accepted"}


def cron_checks_conflicts(app) -> str:
    """What cron does every minute: ``flask --app wsgi sync check-conflicts``."""
    result = app.test_cli_runner().invoke(args=["sync", "check-conflicts"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def day(app, world) -> Day:
    """Two phones at the main distribution: hand-overs (all, partial with a substitution, refused), payments (cash,
    cheque with part from the prepaid balance, card, allowance), a payment undone, cash counts, the same order handed
    over by both phones and a member whose revoked ticket was refused; plus a payment at each other distribution."""
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    two = enrol_phone(app, [world.point], world.volunteers[1], "Phone 2")
    d, o, p = world.distribution, world.orders, world.products
    e: dict[str, dict] = {}
    e["open1"] = one.record(
        "cash_count", {"kind": "opening", "total_cents": 5000, "denominations": {"2000": 2, "1000": 1}}, d
    )
    e["alice"] = one.record("handover", {"order_id": o["Alice"], "outcome": "all"}, d)
    e["alice_pay"] = one.record("payment", {"order_id": o["Alice"], "amount_cents": 1770, "method": "cash"}, d)
    e["bruno"] = one.record(
        "handover",
        {
            "order_id": o["Bruno"],
            "outcome": "partial",
            "lines": [{"product_id": p["LEG-S"], "quantity_received": 1}],
            "substitution_note": "Panier S au lieu du M",
        },
        d,
    )
    e["bruno_pay"] = one.record(
        "payment",
        {
            "order_id": o["Bruno"],
            "amount_cents": 1050,
            "method": "cheque",
            "method_details": "Chèque n° 1234567",
            "from_prepaid_cents": 300,
            "solidarity_cents": 450,
        },
        d,
    )
    e["david1"] = one.record("handover", {"order_id": o["David"], "outcome": "all"}, d)
    e["close1"] = one.record("cash_count", {"kind": "closing", "total_cents": 6770}, d)
    pushed(one, [e["open1"], e["alice"], e["alice_pay"], e["bruno"], e["bruno_pay"], e["david1"], e["close1"]])

    e["open2"] = two.record("cash_count", {"kind": "opening", "total_cents": 2000}, d)
    e["chloe"] = two.record("handover", {"order_id": o["Chloé"], "outcome": "refused"}, d)
    e["david2"] = two.record("handover", {"order_id": o["David"], "outcome": "all"}, d)
    e["david_pay"] = two.record(
        "payment", {"order_id": o["David"], "amount_cents": 1500, "method": "card", "method_details": "TPE 42"}, d
    )
    e["emma"] = two.record("handover", {"order_id": o["Emma"], "outcome": "all"}, d)
    e["emma_wrong"] = two.record("payment", {"order_id": o["Emma"], "amount_cents": 500, "method": "cash"}, d)
    e["undo"] = two.record("void", {"event_id": e["emma_wrong"]["id"], "reason": "wrong amount"}, d)
    pushed(two, [e["open2"], e["chloe"], e["david2"], e["david_pay"], e["emma"], e["emma_wrong"], e["undo"]])
    e["emma_pay"] = two.record("payment", {"order_id": o["Emma"], "amount_cents": 700, "method": "cash"}, d)
    e["gaelle"] = two.record("handover", {"order_id": o["Gaëlle"], "outcome": "all"}, d)
    e["gaelle_pay"] = two.record(
        "payment",
        {
            "order_id": o["Gaëlle"],
            "amount_cents": 189,
            "method": "allowance",
            "from_allowance_cents": 189,
            "solidarity_cents": 81,
        },
        d,
    )
    e["revoked"] = two.record("scan_refused", {"reason": "revoked", "member_id": world.households["David"]}, d)
    e["note"] = two.record("note", {"text": "Il pleuvait, =peu de monde"}, d)
    e["close2"] = two.record("cash_count", {"kind": "closing", "total_cents": 2650}, d)
    later = [e["emma_pay"], e["gaelle"], e["gaelle_pay"], e["revoked"], e["note"], e["close2"]]
    pushed(two, later, compress=True)

    e["old_pay"] = one.record(
        "payment", {"order_id": o["old"], "amount_cents": 1000, "method": "cash"}, world.old_distribution
    )
    pushed(one, [e["old_pay"]])
    three = enrol_phone(app, [world.other_point], world.other_volunteer, "Phone B")
    e["hugo_pay"] = three.record(
        "payment", {"order_id": o["Hugo"], "amount_cents": 1000, "method": "card"}, world.other_distribution
    )
    pushed(three, [e["hugo_pay"]])
    cron_checks_conflicts(app)
    return Day((one, two), e)


@pytest.fixture
def admin(app, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in_as_admin(app, client, "admin@example.org")
    return client


def staff_client(app, user_id: int):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in_user(app, client, user_id)
    return client


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u202f", " ").replace("\xa0", " "))


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{re.escape(name)}">(.*?)</(?:td|strong)>', html, re.S)
    assert match, f"no figure {name}"
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def log_url(world: World) -> str:
    return f"/admin/distributions/{world.distribution}/log"


def resolve_url(world: World, conflict_id: int) -> str:
    return f"/admin/distributions/{world.distribution}/conflicts/{conflict_id}/resolve"


def conflicts_of(app, distribution_id: int) -> dict[str, Conflict]:
    with app.app_context():
        rows = db.session.scalars(select(Conflict).where(Conflict.distribution_id == distribution_id)).all()
        db.session.expunge_all()
        return {row.key: row for row in rows}


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv" and response.mimetype_params.get("charset") == "utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(BOM)
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""), delimiter=";"))


# The log page.


def test_the_log_shows_the_figures(app, world, day, admin):
    response = admin.get(log_url(world))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert (figure(html, "orders"), figure(html, "collected")) == ("7", "4")  # Alice, David, Emma, Gaëlle
    assert (figure(html, "partially_collected"), figure(html, "not_collected")) == ("1", "2")  # Bruno; Chloé, Farid
    assert figure(html, "due") == "€58.59"  # Bruno's partial hand-over holds no line he ordered: 0,00 €
    assert figure(html, "method-cash") == "€24.70"  # 17,70 + 7,00; the undone 5,00 does not count
    assert figure(html, "method-cheque") == "€7.50"
    assert figure(html, "method-card") == "€15.00"
    assert figure(html, "method-prepaid") == figure(html, "prepaid") == "€3.00"
    assert figure(html, "method-allowance") == figure(html, "allowance") == "€1.89"
    assert "method-transfer" not in html  # methods nobody used are left out
    assert figure(html, "paid") == "€52.09"
    assert figure(html, "solidarity") == "€5.31"
    page = text_of(response)
    # Cash: phone 1 opened with 50,00, took 17,70, counted 67,70; phone 2 opened with 20,00, took 7,00, counted 26,50.
    assert "Phone 1 €50.00 €17.70 €67.70 €67.70 €0.00" in page
    assert "Phone 2 €20.00 €7.00 €27.00 €26.50 €0.50 short" in page
    assert "Total of the counted boxes €94.70 €94.20 €0.50 short" in page
    assert "Tickets refused: revoked ticket (1)" in page


def test_the_log_shows_the_timeline(app, world, day, admin):
    response = admin.get(log_url(world))
    html, page = response.get_data(as_text=True), text_of(response)
    e = day.events
    for name in ("alice", "bruno_pay", "undo", "close2", "note"):
        assert f'id="event-{e[name]["id"]}"' in html
    assert f'<tr id="event-{e["emma_wrong"]["id"]}" class="voided">' in html
    assert f'<tr id="event-{e["emma_pay"]["id"]}">' in html
    assert "Phone 1 Valérie Roux Hand-over Alice Martin · Everything" in page
    assert (
        "Phone 1 Valérie Roux Payment Bruno Diallo · €10.50 · Cheque: €7.50 (Chèque n° 1234567) · "
        "Prepaid balance: €3.00 · Solidarity share: €4.50" in page
    )
    assert "Hand-over Bruno Diallo · Part of it · 1 × Panier S · Substitution: Panier S au lieu du M" in page
    assert "Phone 2 Omar Haddad Hand-over Chloé Nguyen · Refused" in page
    assert "Payment undone Emma Bernard · €5.00 · Cash" in page
    assert "Undo Undoes Payment" in page and "Reason: wrong amount" in page
    assert "Cash count Opening float · €50.00 · 2 × €20.00, 1 × €10.00" in page
    assert "Ticket refused revoked ticket · David Éluard" in page
    assert "Payment Gaëlle Petit · €1.89 · Solidarity allowance · Solidarity share: €0.81" in page
    # Canonical order: the phones' events, interleaved by their clocks.
    positions = [html.index(f'id="event-{e[name]["id"]}"') for name in ("open1", "alice", "close1")]
    assert positions == sorted(positions)


def test_the_log_lists_members_not_collected_and_the_conflicts(app, world, day, admin):
    response = admin.get(log_url(world))
    html, page = response.get_data(as_text=True), text_of(response)
    assert "Chloé Nguyen Refused €10.00" in page
    assert "Farid Zeroual expected €7.00" in page  # the distribution is still open
    not_collected = re.findall(r'data-order="(\d+)"', html)
    assert not_collected == [str(world.orders["Chloé"]), str(world.orders["Farid"])]
    conflicts = conflicts_of(app, world.distribution)
    kinds = sorted(c.kind for c in conflicts.values())
    assert kinds == ["double_handover", "revoked_ticket", "revoked_ticket"]  # stored by the scheduled check
    double = next(c for c in conflicts.values() if c.kind == "double_handover")
    assert f'id="conflict-{double.id}"' in html
    assert "Order handed over twice · To resolve" in page
    assert "The order of David Éluard was handed over twice." in page
    assert "David Éluard was handed their order although their ticket was refused as revoked." in page
    assert html.count('<form method="post" action="/admin/distributions/') == 3  # a resolve form per open conflict
    assert f'<a href="#event-{day.events["david1"]["id"]}">' in html
    assert "(3 to resolve)" in page


def test_uploads_flag_a_check_stores_the_conflicts_and_the_log_only_reads(app, world, admin):
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    two = enrol_phone(app, [world.point], world.volunteers[1], "Phone 2")
    d, o = world.distribution, world.orders
    pushed(one, [one.record("handover", {"order_id": o["David"], "outcome": "all"}, d)])
    pushed(two, [two.record("handover", {"order_id": o["David"], "outcome": "all"}, d)])
    # The uploads stored the events and flagged the distribution; no conflict is stored yet, and the page does not
    # say "no conflict" while a check is due.
    assert conflicts_of(app, d) == {}
    page = text_of(admin.get(log_url(world)))
    assert "Events arrived since conflicts were last looked for" in page
    assert "No conflict" not in page
    # Cron: only the flagged distribution is checked, once.
    assert cron_checks_conflicts(app) == "1 distribution checked.\n"
    assert cron_checks_conflicts(app) == "0 distributions checked.\n"
    assert [c.kind for c in conflicts_of(app, d).values()] == ["double_handover"]
    page = text_of(admin.get(log_url(world)))
    assert "Events arrived since" not in page and "Order handed over twice" in page
    # Another upload flags it again; the coordinator need not wait for cron.
    pushed(one, [one.record("payment", {"order_id": o["David"], "amount_cents": 9000, "method": "cash"}, d)])
    assert "Events arrived since" in text_of(admin.get(log_url(world)))
    token = csrf_token(admin.get(log_url(world)).get_data(as_text=True))
    answer = admin.post(f"/admin/distributions/{d}/conflicts/check", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.location.endswith(f"/admin/distributions/{d}/log#conflicts")
    # The overpayment came with phone 1's hand-over: it is part of the double hand-over, under the same key.
    (merged,) = conflicts_of(app, d).values()
    assert merged.kind == "double_handover" and merged.details["excess_cents"] == 9000 - 1500
    assert "Events arrived since" not in text_of(admin.get(log_url(world)))
    assert cron_checks_conflicts(app) == "0 distributions checked.\n"


def test_the_log_only_reads(app, world, day, admin):
    kinds = sorted(c.kind for c in conflicts_of(app, world.distribution).values())
    assert kinds == ["double_handover", "revoked_ticket", "revoked_ticket"]
    with app.app_context():
        engine = db.engine
    writes: list[str] = []

    def note(_connection, _cursor, statement, *_args) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        assert admin.get(log_url(world)).status_code == 200
        assert admin.get(log_url(world), query_string={"page": 2}).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert writes == []


def test_the_timeline_shows_a_page_and_the_figures_count_every_event(app, world, admin):
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    two = enrol_phone(app, [world.point], world.volunteers[1], "Phone 2")
    d, o, start = world.distribution, world.orders, utcnow()
    first = one.record("handover", {"order_id": o["David"], "outcome": "all"}, d, at=start)
    notes = [one.record("note", {"text": f"Note {n}"}, d, at=start + timedelta(seconds=n)) for n in range(1, 248)]
    pushed(one, [first, *notes])
    later = start + timedelta(minutes=5)
    second = two.record("handover", {"order_id": o["David"], "outcome": "all"}, d, at=later)
    alice = two.record("handover", {"order_id": o["Alice"], "outcome": "all"}, d, at=later + timedelta(seconds=1))
    paid = two.record(
        "payment", {"order_id": o["Alice"], "amount_cents": 1770, "method": "cash"}, d, at=later + timedelta(seconds=2)
    )
    pushed(two, [second, alice, paid])
    cron_checks_conflicts(app)

    response = admin.get(log_url(world))
    html, page = response.get_data(as_text=True), text_of(response)
    assert html.count('<tr id="event-') == 200  # the first 200 of 251, in canonical order
    assert f'id="event-{first["id"]}"' in html and f'id="event-{notes[198]["id"]}"' in html
    assert f'id="event-{notes[199]["id"]}"' not in html and f'id="event-{paid["id"]}"' not in html
    assert "Events 1 to 200 of 251." in page and "Page 1 of 2" in page
    assert f'href="{log_url(world)}?page=2#timeline" rel="next"' in html
    # The figures count every event, those of the other page too.
    assert (figure(html, "collected"), figure(html, "method-cash")) == ("2", "€17.70")
    # A conflict's events link to the page that shows them.
    (double,) = conflicts_of(app, world.distribution).values()
    assert double.kind == "double_handover"
    assert f'<a href="#event-{first["id"]}">' in html
    assert f'<a href="{log_url(world)}?page=2#event-{second["id"]}">' in html

    response = admin.get(log_url(world), query_string={"page": 2})
    html, page = response.get_data(as_text=True), text_of(response)
    assert html.count('<tr id="event-') == 51
    assert f'id="event-{notes[199]["id"]}"' in html and f'id="event-{paid["id"]}"' in html
    assert "Events 201 to 251 of 251." in page and "Page 2 of 2" in page
    assert f'href="{log_url(world)}?page=1#timeline" rel="prev"' in html
    assert f'<a href="{log_url(world)}?page=1#event-{first["id"]}">' in html
    assert figure(html, "collected") == "2"
    # Past the last page: the last page; garbage: the first.
    assert admin.get(log_url(world), query_string={"page": 9}).get_data(as_text=True).count('<tr id="event-') == 51
    assert admin.get(log_url(world), query_string={"page": "x"}).get_data(as_text=True).count('<tr id="event-') == 200


def test_resolving_a_conflict_writes_a_chained_event_and_audits(app, world, day, admin):
    page = admin.get(log_url(world))
    token = csrf_token(page.get_data(as_text=True))
    conflicts = conflicts_of(app, world.distribution)
    double = next(c for c in conflicts.values() if c.kind == "double_handover")
    revoked = next(c for c in conflicts.values() if c.kind == "revoked_ticket")

    answer = admin.post(
        resolve_url(world, double.id),
        data={"csrf_token": token, "action": "keep_first", "comment": "  Phone 1 scanned David twice.  "},
    )
    assert answer.status_code == 302
    assert answer.location.endswith(f"{log_url(world)}#conflict-{double.id}")
    second = admin.post(
        resolve_url(world, revoked.id), data={"csrf_token": token, "action": "accept", "comment": "Ticket re-issued."}
    )
    assert second.status_code == 302

    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.email == "admin@example.org"))
        rows = db.session.scalars(
            select(SyncedEvent)
            .where(SyncedEvent.distribution_id == world.distribution, SyncedEvent.device_id.is_(None))
            .order_by(SyncedEvent.device_seq)
        ).all()
        # Keeping phone 1's hand-over undoes phone 2's and the payment it recorded with it: two links.
        assert [row.type for row in rows] == ["conflict_resolved"] * 3
        first, with_it, then = (parse_event(event_json(row, None)) for row in rows)
        assert first.device_id == "server" and first.volunteer_id == admin_id
        assert (first.seq, first.prev_hash, then.seq, then.prev_hash) == (1, None, 3, rows[1].hash)
        assert rows[0].hash == event_hash(first) and rows[2].hash == event_hash(then)
        assert first.payload.conflict_key == with_it.payload.conflict_key == double.key
        assert first.payload.action == with_it.payload.action == "void_event"
        assert first.payload.comment == "Phone 1 scanned David twice."
        assert first.payload.event_id == day.events["david2"]["id"]
        assert with_it.payload.event_id == day.events["david_pay"]["id"]
        assert then.payload.action == "accept" and then.payload.event_id == revoked.event_ids[0]
        all_events = [parse_event(event_json(row, None)) for row in rows]
        all_events += [
            parse_event(event) for event in day.events.values() if event["distribution_id"] == world.distribution
        ]
        assert check_chain(all_events) == []  # the server's chain and the phones' chains are whole

        resolved = db.session.get(Conflict, double.id)
        assert resolved.status == "resolved" and resolved.resolution_event_id == first.id
        assert resolved.resolved_by_id == admin_id and resolved.resolved_at is not None
        assert resolved.comment == "Phone 1 scanned David twice."
        audit = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "conflict.resolve").order_by(AuditEntry.id)
        )
        assert audit.target == f"conflict:{double.id}" and audit.user_id == admin_id
        assert audit.details["decision"] == "keep_first" and audit.details["event"] == first.id

    after = admin.get(log_url(world))
    html, text = after.get_data(as_text=True), text_of(after)
    assert "Conflict resolved: the decision is recorded in the log." in text
    assert "Order handed over twice · Resolved" in text and "Phone 1 scanned David twice." in text
    assert "Resolved by admin@example.org on" in text and "Keep the first hand-over: undo the second one" in text
    assert f'<tr id="event-{day.events["david2"]["id"]}" class="voided">' in html  # the decision took effect
    assert f'<tr id="event-{day.events["david_pay"]["id"]}" class="voided">' in html
    assert figure(html, "collected") == "4"  # David still collected, by the hand-over phone 1 kept
    assert "(1 to resolve)" in text
    assert conflicts_of(app, world.distribution)[double.key].status == "resolved"  # the refresh kept it resolved


def test_resolving_twice_or_without_a_comment_is_refused(app, world, day, admin):
    token = csrf_token(admin.get(log_url(world)).get_data(as_text=True))
    double = next(c for c in conflicts_of(app, world.distribution).values() if c.kind == "double_handover")

    def server_events() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).where(SyncedEvent.device_id.is_(None)))

    blank = admin.post(resolve_url(world, double.id), data={"csrf_token": token, "action": "accept", "comment": "  "})
    assert blank.status_code == 400
    assert "Say in a comment what was decided and why." in text_of(blank)
    bad_action = admin.post(resolve_url(world, double.id), data={"csrf_token": token, "action": "x", "comment": "ok"})
    assert bad_action.status_code == 400 and "Choose an option from the list." in text_of(bad_action)
    no_token = admin.post(resolve_url(world, double.id), data={"action": "accept", "comment": "ok"})
    assert no_token.status_code == 400
    assert server_events() == 0 and conflicts_of(app, world.distribution)[double.key].status == "open"

    ok = admin.post(resolve_url(world, double.id), data={"csrf_token": token, "action": "dismiss", "comment": "Fine."})
    assert ok.status_code == 302
    again = admin.post(resolve_url(world, double.id), data={"csrf_token": token, "action": "accept", "comment": "Re"})
    assert again.status_code == 409
    assert "This conflict is already resolved." in text_of(again)
    assert server_events() == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "conflict.resolve")) == 1
    # A conflict of another distribution, named under this one, is unknown here.
    assert admin.get(f"/admin/distributions/{world.old_distribution}/log").status_code == 200  # a late payment
    other = next(c for c in conflicts_of(app, world.old_distribution).values())
    misplaced = admin.post(resolve_url(world, other.id), data={"csrf_token": token, "action": "accept", "comment": "x"})
    assert misplaced.status_code == 404


def test_the_domain_refuses_what_the_form_cannot_send(app, world, day, admin):
    from server.domain import DomainError
    from server.domain.conflicts import resolve_conflict
    from server.domain.points import NotAllowed

    admin.get(log_url(world))  # stores the conflicts
    with app.app_context():
        conflict = db.session.scalar(select(Conflict).where(Conflict.kind == "double_handover"))
        other = db.session.get(User, world.other_coordinator)
        with pytest.raises(NotAllowed):
            resolve_conflict(conflict, "accept", "Not mine", other)
        db.session.rollback()
        coordinator = db.session.get(User, world.coordinator)
        with pytest.raises(DomainError) as unknown:
            resolve_conflict(conflict, "delete", "x", coordinator)
        assert unknown.value.field == "action"
        with pytest.raises(DomainError) as control:
            resolve_conflict(conflict, "accept", "\x00", coordinator)
        assert control.value.field == "comment"
        db.session.rollback()
        row = resolve_conflict(conflict, "adjust", "Refunded 15 € in cash.", coordinator)
        db.session.commit()
        assert row.user_id == coordinator.id and row.device_id is None and row.device_seq == 1


def test_a_coordinator_resolves_their_points_conflicts(app, world, day):
    client = staff_client(app, world.coordinator)
    page = client.get(log_url(world))
    assert page.status_code == 200
    double = next(c for c in conflicts_of(app, world.distribution).values() if c.kind == "double_handover")
    answer = client.post(
        resolve_url(world, double.id),
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "action": "accept", "comment": "Seen."},
    )
    assert answer.status_code == 302
    assert conflicts_of(app, world.distribution)[double.key].resolved_by_id == world.coordinator


def test_an_empty_log(app, world, admin):
    response = admin.get(log_url(world))
    assert response.status_code == 200
    page = text_of(response)
    assert "No event synced yet for this distribution." in page
    assert "No conflict: the phones' events agree." in page
    assert "No payment recorded." in page
    assert figure(response.get_data(as_text=True), "not_collected") == "7"


# Who may see what.


def new_routes(world: World, conflict_id: int) -> list[tuple[str, str]]:
    d = world.distribution
    return [
        ("GET", f"/admin/distributions/{d}/log"),
        ("POST", f"/admin/distributions/{d}/conflicts/{conflict_id}/resolve"),
        ("GET", f"/admin/points/{world.point}/history"),
        ("GET", f"/admin/distributions/{d}/export/handovers.csv"),
        ("GET", f"/admin/distributions/{d}/export/payments.csv"),
        ("GET", f"/admin/distributions/{d}/sign-off"),
        ("GET", f"/admin/exports/payments.csv?from=2020-01-01&to=2020-12-31&point={world.point}"),
    ]


def test_a_coordinator_of_another_point_gets_404_everywhere(app, world, day, admin):
    admin.get(log_url(world))
    double = next(c for c in conflicts_of(app, world.distribution).values() if c.kind == "double_handover")
    other = staff_client(app, world.other_coordinator)
    token = csrf_token(other.get("/admin/").get_data(as_text=True))
    for method, url in new_routes(world, double.id):
        data = {"csrf_token": token, "action": "accept", "comment": "Not mine"} if method == "POST" else None
        assert other.open(url, method=method, data=data).status_code == 404, url
    assert conflicts_of(app, world.distribution)[double.key].status == "open"
    own = staff_client(app, world.coordinator)
    for method, url in new_routes(world, double.id):
        if method == "GET":
            assert own.get(url).status_code == 200, url
    volunteer = staff_client(app, world.volunteers[0])
    assert volunteer.get(log_url(world)).status_code == 403
    assert app.test_client().get(log_url(world)).status_code == 302  # to the sign-in page


def test_unknown_ids_are_404(admin, world):
    for url in (
        "/admin/distributions/999999/log",
        "/admin/distributions/999999/sign-off",
        "/admin/distributions/999999/export/payments.csv",
        "/admin/points/999999/history",
        "/admin/distributions/99999999999999/log",
    ):
        assert admin.get(url).status_code == 404, url
    assert admin.post(f"/admin/distributions/{world.distribution}/conflicts/999999/resolve").status_code in (400, 404)


# Exports.


def test_the_handovers_export(app, world, day, admin):
    rows = read_csv(admin.get(f"/admin/distributions/{world.distribution}/export/handovers.csv"))
    header, body = rows[0], rows[1:]
    assert header[:10] == [
        "Date",
        "Point",
        "Distribution",
        "Event",
        "Time",
        "Phone",
        "Volunteer",
        "Last name",
        "First name",
        "Member number",
    ]
    assert header[10:] == ["Order", "Outcome", "Received", "Substitution", "Order status"]
    assert len(body) == 7  # every hand-over that counts, in the log's order
    by_event = {row[3]: row for row in body}
    bruno = by_event[day.events["bruno"]["id"]]
    assert bruno[1] == "Maison du Luzard" and bruno[5] == "Phone 1" and bruno[6] == "Valérie Roux"
    assert bruno[7:10] == ["Diallo", "Bruno", str(world.households["Bruno"])]
    assert bruno[10:] == [
        str(world.orders["Bruno"]),
        "Part of it",
        "1 × Panier S",
        "Panier S au lieu du M",
        "Partially collected",
    ]
    alice = by_event[day.events["alice"]["id"]]
    assert alice[12] == "1 × Panier M; 1 × Produit OEUFS" and alice[14] == "Collected"
    assert by_event[day.events["chloe"]["id"]][11:] == ["Refused", "", "", "Not collected"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", alice[4])


def test_the_payments_export(app, world, day, admin):
    response = admin.get(f"/admin/distributions/{world.distribution}/export/payments.csv")
    raw = response.data
    assert b";" in raw.split(b"\r\n")[0] and raw.count(b"\r\n") == 7
    rows = read_csv(response)
    header, body = rows[0], rows[1:]
    assert header[10:] == [
        "Order",
        "Method",
        "Method details",
        "Amount (€)",
        "Amount (cents)",
        "Whole payment (€)",
        "Whole payment (cents)",
        "Solidarity share (€)",
        "Solidarity share (cents)",
        "Purpose",
    ]
    assert day.events["emma_wrong"]["id"] not in {row[3] for row in body}  # undone: not a payment
    assert len(body) == 6  # five payments, Bruno's in two parts
    bruno = [row[10:] for row in body if row[3] == day.events["bruno_pay"]["id"]]
    assert bruno == [
        [
            str(world.orders["Bruno"]),
            "Cheque",
            "Chèque n° 1234567",
            "7,50",
            "750",
            "10,50",
            "1050",
            "4,50",
            "450",
            "Order",
        ],
        [str(world.orders["Bruno"]), "Prepaid balance", "", "3,00", "300", "10,50", "1050", "0,00", "0", "Order"],
    ]
    assert sum(int(row[14]) for row in body) == 1770 + 1050 + 1500 + 700 + 189 == 5209
    alice = [row for row in body if row[3] == day.events["alice_pay"]["id"]]
    assert [row[13:15] for row in alice] == [["17,70", "1770"]]
    assert response.headers["Content-Disposition"].endswith(f'-distribution-{world.distribution}.csv"')


def test_the_payments_export_sums_by_method_to_the_log(app, world, day, admin):
    """What an accountant does: sum "Amount" by "Method"; it gives the log's totals by method, accounts included."""
    html = admin.get(log_url(world)).get_data(as_text=True)
    sums: dict[str, int] = {}
    for row in read_csv(admin.get(f"/admin/distributions/{world.distribution}/export/payments.csv"))[1:]:
        sums[row[11]] = sums.get(row[11], 0) + int(row[14])
    names = {"cash": "Cash", "cheque": "Cheque", "card": "Card", "prepaid": "Prepaid balance"}
    names["allowance"] = "Solidarity allowance"
    for method, label in names.items():
        assert f"€{sums.get(label, 0) / 100:.2f}" == figure(html, f"method-{method}"), method
    assert set(sums) <= set(names.values())
    assert f"€{sum(sums.values()) / 100:.2f}" == figure(html, "paid")


def test_spreadsheet_formulas_are_defused(app, world, admin):
    with app.app_context():
        household = db.session.get(Household, world.households["Alice"])
        household.last_name = '=HYPERLINK("http://x")'
        db.session.commit()
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    event = one.record(
        "payment",
        {"order_id": world.orders["Alice"], "amount_cents": 100, "method": "cash", "method_details": "+33 1"},
        world.distribution,
    )
    pushed(one, [event])
    rows = read_csv(admin.get(f"/admin/distributions/{world.distribution}/export/payments.csv"))
    assert rows[1][7] == '\'=HYPERLINK("http://x")' and rows[1][12] == "'+33 1"


def local_day(value: datetime) -> str:
    return value.astimezone(PARIS).date().isoformat()


def range_url(first: str, last: str, point: int | None = None) -> str:
    return f"/admin/exports/payments.csv?from={first}&to={last}" + (f"&point={point}" if point else "")


def test_the_payments_of_a_period(app, world, day, admin):
    with app.app_context():
        starts = {d.id: d.starts_at for d in db.session.scalars(select(Distribution))}
    today = local_day(starts[world.distribution])
    just_main = read_csv(admin.get(range_url(today, today)))
    assert {row[2] for row in just_main[1:]} == {str(world.distribution)} and len(just_main) == 7
    eleven_days = local_day(starts[world.old_distribution] - timedelta(days=1))
    everything = read_csv(admin.get(range_url(eleven_days, today)))
    assert len(everything) == 1 + 6 + 1 + 1
    assert [row[2] for row in everything[1:]][:1] == [str(world.old_distribution)]  # by distribution date
    four_days = local_day(starts[world.other_distribution] - timedelta(days=1))
    recent = read_csv(admin.get(range_url(four_days, today)))
    assert {row[2] for row in recent[1:]} == {str(world.distribution), str(world.other_distribution)}
    only_b = read_csv(admin.get(range_url(eleven_days, today, world.other_point)))
    assert [row[3] for row in only_b[1:]] == [day.events["hugo_pay"]["id"]]
    assert only_b[1][13:15] == ["10,00", "1000"]

    coordinator = staff_client(app, world.coordinator)
    theirs = read_csv(coordinator.get(range_url(eleven_days, today)))
    assert {row[2] for row in theirs[1:]} == {str(world.distribution), str(world.old_distribution)}
    assert coordinator.get(range_url(eleven_days, today, world.other_point)).status_code == 404
    assert len(read_csv(coordinator.get(range_url(eleven_days, today, world.point)))) == 8
    nothing = read_csv(admin.get(range_url("2001-01-01", "2001-12-31")))
    assert len(nothing) == 1  # the header alone


@pytest.mark.parametrize(
    "query",
    [
        "",
        "from=2026-03-01",
        "to=2026-03-01",
        "from=2026-13-01&to=2026-12-31",
        "from=abc&to=2026-03-01",
        "from=20260301&to=20260331",
        "from=2026-03-01T00:00&to=2026-03-02",
        "from=2026-02-30&to=2026-03-02",
        "from=%00&to=%FF",
        "from=2026-03-31&to=2026-03-01",
        "from=2020-01-01&to=2026-01-01",
        "from=2026-03-01&to=2026-03-31&point=abc",
        "from=2026-03-01&to=2026-03-31&point=0",
        "from=2026-03-01&to=2026-03-31&point=-4",
        "from=2026-03-01&to=2026-03-31&point=99999999999999999999",
        "from=9999-12-31&to=9999-12-31",
        "from[]=x&to=2",
    ],
)
def test_garbage_parameters_are_400(admin, world, query):
    response = admin.get(f"/admin/exports/payments.csv?{query}")
    assert response.status_code == 400, (query, response.status_code)
    assert response.mimetype == "text/html"
    assert "<h1>Error 400</h1>" in response.get_data(as_text=True)


def test_a_clear_message_for_bad_dates(admin, world):
    assert "“2026-13-01” is not a date: write it as 2026-03-01." in text_of(
        admin.get("/admin/exports/payments.csv?from=2026-13-01&to=2026-12-31")
    )
    assert "The period ends before it starts." in text_of(
        admin.get("/admin/exports/payments.csv?from=2026-03-31&to=2026-03-01")
    )
    assert admin.get(range_url("2026-01-01", "2026-01-31", 999999)).status_code == 404


# The sign-off sheet.


def test_the_sign_off_sheet_lists_every_expected_member(app, world, admin):
    response = admin.get(f"/admin/distributions/{world.distribution}/sign-off")
    assert response.status_code == 200
    html, page = response.get_data(as_text=True), text_of(response)
    assert 'href="/static/sign-off.css"' in html
    assert "<thead>" in html and "Signature" in page and "Paid" in page
    names = re.findall(r'<th scope="row"><strong>([^<]+)</strong>', html)
    assert names == ["Bernard", "Diallo", "Éluard", "Martin", "Nguyen", "Petit", "Zeroual"]  # accents aside
    for first, code in world.codes.items():
        assert display(code) in page, first
    assert f"Bernard Emma {display(world.codes['Emma'])} 2 × Produit PAIN €7.00" in page
    assert f"Diallo Bruno {display(world.codes['Bruno'])} 1 × Panier M €10.50" in page  # no tier on paper
    assert "7 members" in page and "due in all: €69.09" in page
    assert "style=" not in html and "data-print" in html


def sign_off_rows(response) -> dict[str, dict[str, str]]:
    """The sheet's rows by last name: each cell's text (Due, Paid, Signature), whitespace collapsed."""
    html = response.get_data(as_text=True)
    rows = {}
    for row in re.findall(r"<tr[^>]*>\s*<th scope=\"row\">(.*?)</tr>", html, re.S):
        name = re.search(r"<strong>([^<]+)</strong>", row)[1]
        cells = [
            " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        rows[name] = {"due": cells[2], "paid": cells[3], "signature": cells[4]}
    return rows


def test_the_sign_off_sheet_says_what_the_phones_recorded_as_paid(app, world, admin, day):
    """Integer cents, the payments not undone, summed per order; the methods in small text beside the total."""
    response = admin.get(f"/admin/distributions/{world.distribution}/sign-off")
    html, rows = response.get_data(as_text=True), sign_off_rows(response)
    assert rows["Martin"]["paid"] == "€17.70 Cash", rows["Martin"]  # Alice
    assert rows["Diallo"]["paid"] == "€10.50 Cheque, Prepaid balance", rows["Diallo"]  # Bruno: 7.50 + 3.00
    assert rows["Bernard"]["paid"] == "€7.00 Cash", rows["Bernard"]  # Emma: the 5.00 € undone is not counted
    assert rows["Petit"]["paid"] == "€1.89 Solidarity allowance", rows["Petit"]  # Gaëlle
    assert rows["Nguyen"]["paid"] == "", rows["Nguyen"]  # Chloé, refused: nothing paid
    assert rows["Martin"]["signature"].startswith("Collected at")
    assert '<td class="num paid">' in html and '<small class="sign-off-methods">' in html


def test_print_stylesheet_repeats_the_header_on_a4():
    from pathlib import Path

    css = (Path(__file__).resolve().parent.parent / "server/static/sign-off.css").read_text(encoding="utf-8")
    assert "size: A4" in css and "table-header-group" in css


# The history of a point.


def store(app, phone: Phone, events: list[dict]) -> None:
    """Events recorded weeks ago, stored as an upload would store them (their shifts are long over)."""
    with app.app_context():
        device = db.session.scalar(select(Device).where(Device.public_id == phone.device_id))
        for data in events:
            event = parse_event(data)
            db.session.add(
                SyncedEvent(
                    event_id=event.id,
                    type=event.type,
                    schema_version=1,
                    device_id=device.id,
                    user_id=event.volunteer_id,
                    distribution_id=event.distribution_id,
                    device_seq=event.seq,
                    prev_hash=event.prev_hash,
                    hash=event_hash(event),
                    device_time=event.device_time,
                    payload=event.payload.model_dump(mode="json"),
                )
            )
        db.session.commit()


def test_the_history_counts_weeks(app, world, admin):
    now = utcnow()
    monday = now.astimezone(PARIS).date() - timedelta(days=now.astimezone(PARIS).weekday())

    def at(week: int, weekday: int) -> datetime:
        return datetime.combine(monday + timedelta(weeks=week, days=weekday), time(17, 30), PARIS).astimezone(UTC)

    with app.app_context():
        point = Point(name="Point C", town="Torcy")
        tier = db.session.scalar(select(Tier).where(Tier.share_percent == 100))
        product = db.session.get(Product, world.products["LEG-M"])
        made = {}
        for name, week, weekday, members in [
            ("tue", -1, 1, 2),
            ("thu", -1, 3, 2),
            ("three_ago", -3, 1, 1),
            ("too_old", -12, 1, 1),
            ("next_week", 1, 1, 1),
        ]:
            distribution = Distribution(
                point=point, starts_at=at(week, weekday), ends_at=at(week, weekday) + timedelta(hours=1)
            )
            orders = []
            for n in range(members):
                household = Household(first_name=f"{name}{n}", last_name="C", tier=tier, point=point)
                order = Order(distribution=distribution, household=household, share_percent=100)
                order.lines = [OrderLine(product=product, quantity=1, unit_price_cents=1500)]
                orders.append(order)
            db.session.add_all(orders)
            db.session.flush()
            made[name] = (distribution.id, [order.id for order in orders])
        helper = User(email="c@example.org", role="volunteer", points=[point])
        db.session.add(helper)
        db.session.commit()
        point_id, helper_id = point.id, helper.id
    phone = enrol_phone(app, [point_id], helper_id, "Phone C")
    (tue, tue_orders), (thu, thu_orders) = made["tue"], made["thu"]
    product_id = world.products["LEG-M"]
    store(
        app,
        phone,
        [
            phone.record("handover", {"order_id": tue_orders[0], "outcome": "all"}, tue, at=at(-1, 1)),
            phone.record(
                "payment", {"order_id": tue_orders[0], "amount_cents": 1500, "method": "cash"}, tue, at=at(-1, 1)
            ),
            phone.record(
                "handover",
                {
                    "order_id": thu_orders[0],
                    "outcome": "partial",
                    "lines": [{"product_id": product_id, "quantity_received": 1}],
                },
                thu,
                at=at(-1, 3),
            ),
            phone.record("handover", {"order_id": thu_orders[1], "outcome": "refused"}, thu, at=at(-1, 3)),
            phone.record(
                "payment", {"order_id": thu_orders[0], "amount_cents": 1000, "method": "card"}, thu, at=at(-1, 3)
            ),
            phone.record(
                "payment",
                {"order_id": made["too_old"][1][0], "amount_cents": 1500, "method": "cash"},
                made["too_old"][0],
                at=at(-12, 1),
            ),
        ],
    )

    response = admin.get(f"/admin/points/{point_id}/history")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    weeks = re.findall(r'<tr data-week="([0-9-]+)">(.*?)</tr>', html, re.S)
    assert len(weeks) == 12
    starts = [start for start, _cells in weeks]
    assert starts[0] == monday.isoformat() and starts[-1] == (monday - timedelta(weeks=11)).isoformat()

    takings = dict(re.findall(r'<tr data-takings="([0-9-]+)">(.*?)</tr>', html, re.S))
    assert list(takings) == starts  # the takings table has the same weeks, in the same order

    def cells(start) -> list[str]:
        """The week's attendance row, then its takings (the week's name once)."""
        row = dict(weeks)[start.isoformat()] + takings[start.isoformat()].split("</td>", 1)[1]
        return [
            re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", cell))).strip().replace("\xa0", " ")
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]

    last_week = cells(monday - timedelta(weeks=1))
    assert last_week[1:5] == ["2", "4", "2 (1 partly)", "50 %"]
    assert last_week[5:] == ["€15.00", "€10.00", "€25.00"]  # cash, card (the methods used), total
    three_ago = cells(monday - timedelta(weeks=3))
    assert three_ago[1:5] == ["1", "1", "0", "0 %"] and three_ago[-1] == "€0.00"
    this_week = cells(monday)
    assert this_week[1:5] == ["0", "0", "0", "—"]  # next week's distribution has not started
    assert (monday - timedelta(weeks=12)).isoformat() not in starts
    assert html.count('class="chart-bar"') == 24 and "<svg" in html and "style=" not in html
    assert "Week of" in html  # every bar says what it shows

    other = staff_client(app, world.coordinator)
    assert other.get(f"/admin/points/{point_id}/history").status_code == 404


def checked_weeks(app, world, phone: Phone, point_id: int, weeks: range, members: int) -> None:
    """One distribution a week at the point, ``members`` orders in each, every one handed over and paid 15 € in
    cash; its figures checked, as the cron does after an upload."""
    from server.domain.events import refresh_conflicts

    now = utcnow()
    made = []
    with app.app_context():
        point = db.session.get(Point, point_id)
        tier = db.session.scalar(select(Tier).where(Tier.share_percent == 100))
        product = db.session.get(Product, world.products["LEG-M"])
        for week in weeks:
            starts = now - timedelta(weeks=week, hours=1)
            distribution = Distribution(point=point, starts_at=starts, ends_at=starts + timedelta(minutes=30))
            orders = []
            for n in range(members):
                household = Household(first_name=f"W{week}M{n}", last_name="Semaine", tier=tier, point=point)
                order = Order(distribution=distribution, household=household, share_percent=100)
                order.lines = [OrderLine(product=product, quantity=1, unit_price_cents=1500)]
                orders.append(order)
            db.session.add_all(orders)
            db.session.flush()
            made.append((distribution.id, starts, [order.id for order in orders]))
        db.session.commit()
    recorded = []
    for distribution_id, starts, order_ids in made:
        for order_id in order_ids:
            recorded.append(
                phone.record("handover", {"order_id": order_id, "outcome": "all"}, distribution_id, at=starts)
            )
            recorded.append(
                phone.record(
                    "payment",
                    {"order_id": order_id, "amount_cents": 1500, "method": "cash"},
                    distribution_id,
                    at=starts,
                )
            )
    store(app, phone, recorded)
    with app.app_context():
        for distribution_id, _starts, _orders in made:
            refresh_conflicts(db.session.get(Distribution, distribution_id))
        db.session.commit()


def test_the_history_takes_the_same_statements_for_3_times_the_members_and_weeks(app, world, admin):
    """The history reads each distribution's checked figures and counts orders in SQL: as many statements with
    three times the members and the weeks, and the figures of the one projection."""
    with app.app_context():
        point = Point(name="Point H", town="Lognes")
        helper = User(email="h@example.org", role="volunteer", points=[point])
        db.session.add_all([point, helper])
        db.session.commit()
        point_id, helper_id = point.id, helper.id
    phone = enrol_phone(app, [point_id], helper_id, "Phone H")
    url = f"/admin/points/{point_id}/history?lang=en"
    checked_weeks(app, world, phone, point_id, range(1, 3), members=2)
    few = statements_of(app, admin, url)
    checked_weeks(app, world, phone, point_id, range(3, 9), members=6)
    many = statements_of(app, admin, url)
    assert few == many, (few, many)
    html = admin.get(url).get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-week="([0-9-]+)">(.*?)</tr>', html, re.S))
    assert len(rows) == 12
    full = [row for row in rows.values() if ">6<" in row]
    assert len(full) == 6 and all("100 %" in row for row in full)
    assert "€90.00" in html  # 6 × 15 € in a week, from the checked figures


def test_links_lead_to_the_new_pages(app, world, admin):
    distributions = admin.get("/admin/distributions/?when=all").get_data(as_text=True)
    assert f'href="/admin/distributions/{world.distribution}/log"' in distributions
    assert 'action="/admin/exports/payments.csv"' in distributions
    orders = admin.get(f"/admin/distributions/{world.distribution}/orders").get_data(as_text=True)
    assert f'href="/admin/distributions/{world.distribution}/log"' in orders
    assert f'href="/admin/distributions/{world.distribution}/sign-off"' in orders
    points = admin.get("/admin/points/").get_data(as_text=True)
    assert f'href="/admin/points/{world.point}/history"' in points


def test_the_log_in_french(app, world, day, admin):
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    page = text_of(admin.get(log_url(world)))
    assert "Journal de la distribution" in page and "Commande remise deux fois · À résoudre" in page
    assert "Bruno Diallo · 10,50 € · Chèque : 7,50 € (Chèque n° 1234567) · Solde prépayé : 3,00 €" in page
    header = read_csv(admin.get(f"/admin/distributions/{world.distribution}/export/payments.csv"))[0]
    assert header[13:15] == ["Montant (€)", "Montant (centimes)"]


# A partial hand-over: what is due is what was handed over (sync/pricing.py), everywhere.


def test_a_partial_hand_over_is_due_for_what_was_handed_over(app, world, admin, client, time_machine):
    """Alice ordered a basket M (15,00 €) and eggs (2,70 €); only the basket was handed over and paid. The sign-off
    sheet, the log's "due" and the member page say 15,00 €; after the end the eggs are "not handed over"."""
    from server.domain.tickets import issue_ticket

    phone = enrol_phone(app, [world.point], world.volunteers[0])
    d, o, p = world.distribution, world.orders, world.products
    handover = phone.record(
        "handover",
        {
            "order_id": o["Alice"],
            "outcome": "partial",
            "lines": [
                {"product_id": p["LEG-M"], "quantity_received": 1},
                {"product_id": p["OEUFS"], "quantity_received": 0},
            ],
            "substitution_note": "Plus d'œufs",
        },
        d,
    )
    pay = phone.record("payment", {"order_id": o["Alice"], "amount_cents": 1500, "method": "cash"}, d)
    pushed(phone, [handover, pay])

    rows = sign_off_rows(admin.get(f"/admin/distributions/{d}/sign-off"))
    assert (rows["Martin"]["due"], rows["Martin"]["paid"]) == ("€15.00", "€15.00 Cash"), rows["Martin"]
    assert "due in all: €66.39" in text_of(admin.get(f"/admin/distributions/{d}/sign-off"))  # 69,09 − 2,70
    assert figure(admin.get(log_url(world)).get_data(as_text=True), "due") == "€66.39"

    with app.app_context():
        alice = db.session.get(Household, world.households["Alice"])
        issue_ticket(alice)
        db.session.commit()
        token, ends = alice.page_token, db.session.get(Distribution, d).ends_at
    member = app.test_client()
    page = member.get(f"/m/{token}?lang=fr").get_data(as_text=True)
    assert "Rien à payer." in page and "Encore à récupérer" in page
    time_machine.move_to(ends + timedelta(minutes=5), tick=False)
    page = member.get(f"/m/{token}?lang=fr").get_data(as_text=True)
    assert "Votre dernier panier" in page and "Rien à payer." in page
    assert "Encore à récupérer" not in page and "Non remis :" in page and "1 × Produit OEUFS" in page


def test_the_decision_says_what_happens_to_the_money_and_is_not_preselected(app, world, day, admin):
    """ "Keep the first" names the payment it undoes and whom to give it back to; a "Choose…" placeholder comes
    first, nothing is selected, and sending it is refused next to the field."""
    html = admin.get(log_url(world)).get_data(as_text=True)
    double = next(c for c in conflicts_of(app, world.distribution).values() if c.kind == "double_handover")
    select = re.search(rf'<select[^>]*id="action-{double.id}"[^>]*>(.*?)</select>', html, re.S)
    assert select and "required" in select[0].split(">")[0]
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select[1])
    assert unescape(options[0][1]) == "Choose…" and 'value=""' in options[0][0]
    assert not any("selected" in attributes for attributes, _label in options)
    assert "Keep the first hand-over: undo the second one and its payment of €15.00, to give back to David Éluard" in [
        unescape(label) for _attributes, label in options
    ]
    token = csrf_token(html)
    blank = admin.post(resolve_url(world, double.id), data={"csrf_token": token, "action": "", "comment": "ok"})
    assert blank.status_code == 400 and "Choose an option from the list." in text_of(blank)
    assert conflicts_of(app, world.distribution)[double.key].status == "open"
