"""What the distribution log tells a coordinator on the day (issue 12): one double hand-over by two phones is one
conflict settled by one decision; cash boxes counted and not counted are told apart, and what a phone recorded after
its closing count is named as such; members are expected until the distribution ends. Two phones upload through the
real API, on SQLite and PostgreSQL."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from server.clock import utcnow
from server.domain.events import event_json
from server.extensions import db
from server.models import Distribution, SyncedEvent
from sync.chain import check_chain
from sync.events import parse_event
from tests.factories.distribution_log import DistributionLogWorld, distribution_log_world
from tests.helpers import csrf_token, sign_in_as_admin
from tests.phones import enrol_phone
from tests.test_distribution_log import (
    conflicts_of,
    cron_checks_conflicts,
    figure,
    log_url,
    pushed,
    resolve_url,
    text_of,
)


@pytest.fixture
def world(app) -> DistributionLogWorld:
    with app.app_context():
        return distribution_log_world()


@pytest.fixture
def admin(app):
    return admin_at(app)


def two_phones_hand_over_david(app, world, *, payments_later: bool = False):
    """Both phones hand over David's basket (15,00 €) and each takes its payment: cash on phone 1, card on phone 2."""
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    two = enrol_phone(app, [world.point], world.volunteers[1], "Phone 2")
    d, order, now = world.distribution, world.orders["David"], utcnow()
    e = {"first": one.record("handover", {"order_id": order, "outcome": "all"}, d, at=now)}
    e["first_pay"] = one.record("payment", {"order_id": order, "amount_cents": 1500, "method": "cash"}, d, at=now)
    later = now + timedelta(seconds=2)  # phone 2 a moment after
    e["second"] = two.record("handover", {"order_id": order, "outcome": "all"}, d, at=later)
    e["second_pay"] = two.record(
        "payment", {"order_id": order, "amount_cents": 1500, "method": "card", "method_details": "TPE 42"}, d, at=later
    )
    pushed(one, [e["first"], e["first_pay"]])
    if payments_later:
        pushed(two, [e["second"]])
        cron_checks_conflicts(app)
        pushed(two, [e["second_pay"]])
    else:
        pushed(two, [e["second"], e["second_pay"]])
    cron_checks_conflicts(app)
    return e


# (8) A double hand-over and its overpayment: one conflict, one decision.


def test_a_double_handover_and_its_overpayment_are_one_conflict(app, world, admin):
    e = two_phones_hand_over_david(app, world)
    conflicts = conflicts_of(app, world.distribution)
    assert [c.kind for c in conflicts.values()] == ["double_handover"]
    (conflict,) = conflicts.values()
    ids = sorted(e[name]["id"] for name in ("first", "second"))
    assert conflict.key == f"double_handover:{world.orders['David']}:{ids[0]}:{ids[1]}"
    assert conflict.details["excess_cents"] == 1500
    assert conflict.details["handovers"] == [e["first"]["id"], e["second"]["id"]]
    assert conflict.details["second_payments"] == [e["second_pay"]["id"]]
    assert sorted(conflict.event_ids) == sorted(event["id"] for event in e.values())
    page = text_of(admin.get(log_url(world)))
    assert "(1 to resolve)" in page and "Paid more than due" not in page
    assert "The order of David Éluard was handed over twice." in page
    assert "First by Phone 1 at " in page and ", then by Phone 2 at " in page
    assert "€30.00 was paid for €15.00 due: €15.00 too much." in page
    assert "Keeping the first hand-over undoes the second one and the payment recorded with it (€15.00)." in page
    # Checking again changes nothing: the same conflict, stored once.
    admin.post(
        f"/admin/distributions/{world.distribution}/conflicts/check",
        data={"csrf_token": csrf_token(admin.get(log_url(world)).get_data(as_text=True))},
    )
    assert conflicts_of(app, world.distribution).keys() == conflicts.keys()


def test_payments_arriving_later_join_the_stored_conflict_under_its_key(app, world, admin):
    e = two_phones_hand_over_david(app, world, payments_later=True)
    conflicts = conflicts_of(app, world.distribution)
    assert [c.kind for c in conflicts.values()] == ["double_handover"]
    (conflict,) = conflicts.values()
    assert conflict.details["second_payments"] == [e["second_pay"]["id"]] and conflict.details["excess_cents"] == 1500


def test_keeping_the_first_handover_undoes_the_second_and_its_payment_in_one_decision(app, world, admin):
    e = two_phones_hand_over_david(app, world)
    html = admin.get(log_url(world)).get_data(as_text=True)
    (conflict,) = conflicts_of(app, world.distribution).values()
    assert 'value="keep_first"' in html and "Both were real: two baskets were handed over" in html
    assert 'value="void_event"' not in html  # "the first event" means nothing for a pair
    assert figure(html, "paid") == "€30.00"

    answer = admin.post(
        resolve_url(world, conflict.id),
        data={"csrf_token": csrf_token(html), "action": "keep_first", "comment": "Scanné deux fois, carte remboursée."},
    )
    assert answer.status_code == 302, text_of(answer)
    with app.app_context():
        rows = db.session.scalars(
            select(SyncedEvent)
            .where(SyncedEvent.distribution_id == world.distribution, SyncedEvent.device_id.is_(None))
            .order_by(SyncedEvent.device_seq)
        ).all()
        events = [parse_event(event_json(row, None)) for row in rows]
        assert [(event.payload.action, event.payload.event_id) for event in events] == [
            ("void_event", e["second"]["id"]),
            ("void_event", e["second_pay"]["id"]),
        ]
        assert {event.payload.conflict_key for event in events} == {conflict.key}
        assert check_chain(events) == []  # the server's chain: one link after the other
    after = admin.get(log_url(world))
    html, page = after.get_data(as_text=True), text_of(after)
    assert figure(html, "paid") == "€15.00" and figure(html, "collected") == "1"
    assert "to resolve)" not in page
    assert "Keep the first hand-over: undo the second one and the payment recorded with it" in page
    assert f'<tr id="event-{e["second"]["id"]}" class="voided">' in html
    assert f'<tr id="event-{e["second_pay"]["id"]}" class="voided">' in html
    assert [c.status for c in conflicts_of(app, world.distribution).values()] == ["resolved"]
    cron_checks_conflicts(app)
    assert [c.status for c in conflicts_of(app, world.distribution).values()] == ["resolved"]


def test_both_were_real_lets_the_events_stand(app, world, admin):
    two_phones_hand_over_david(app, world)
    html = admin.get(log_url(world)).get_data(as_text=True)
    (conflict,) = conflicts_of(app, world.distribution).values()
    answer = admin.post(
        resolve_url(world, conflict.id),
        data={"csrf_token": csrf_token(html), "action": "accept", "comment": "Deux paniers, David a payé les deux."},
    )
    assert answer.status_code == 302
    after = admin.get(log_url(world))
    assert figure(after.get_data(as_text=True), "paid") == "€30.00"
    assert "Both were real: two baskets were handed over" in text_of(after)
    refused = admin.post(
        resolve_url(world, conflict.id),
        data={"csrf_token": csrf_token(html), "action": "void_event", "comment": "x"},
    )
    assert refused.status_code == 400  # not a decision this conflict offers


# (7) Cash boxes: counted and not counted apart; what came after the count named.


def test_cash_boxes_counted_and_not_counted_and_a_handover_after_the_count(app, world, admin):
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    two = enrol_phone(app, [world.point], world.volunteers[1], "Phone 2")
    d, o = world.distribution, world.orders
    e = {"open1": one.record("cash_count", {"kind": "opening", "total_cents": 5000}, d)}
    e["alice"] = one.record("handover", {"order_id": o["Alice"], "outcome": "all"}, d)
    e["alice_pay"] = one.record("payment", {"order_id": o["Alice"], "amount_cents": 1770, "method": "cash"}, d)
    e["close1"] = one.record("cash_count", {"kind": "closing", "total_cents": 6770}, d)
    e["emma"] = one.record("handover", {"order_id": o["Emma"], "outcome": "all"}, d)
    e["emma_pay"] = one.record("payment", {"order_id": o["Emma"], "amount_cents": 700, "method": "cash"}, d)
    pushed(one, list(e.values()))
    e["open2"] = two.record("cash_count", {"kind": "opening", "total_cents": 2000}, d)
    e["chloe"] = two.record("handover", {"order_id": o["Chloé"], "outcome": "all"}, d)
    e["chloe_pay"] = two.record("payment", {"order_id": o["Chloé"], "amount_cents": 1000, "method": "cash"}, d)
    pushed(two, [e["open2"], e["chloe"], e["chloe_pay"]])

    response = admin.get(log_url(world))
    html, page = response.get_data(as_text=True), text_of(response)
    # Phone 1 counted what it expected when it counted: no gap; Emma's 7,00 € came after, and says so.
    assert "Counted at closing Phone Opening float Cash taken before the count Expected Counted Difference" in page
    assert "Phone 1 €50.00 €17.70 €67.70 €67.70 €0.00 After this phone's count: €7.00 in cash" in page
    # Each member once, with their events: "Emma Bernard (Hand-over 18:02, Payment 18:02)."
    # (the day is written too when the phone's clock has passed midnight since the distribution started)
    when = r"(?:\d+ \w+ \d{4}, )?[\d:]+"
    assert re.search(rf"Recorded: Emma Bernard \( ?Hand-over {when} ?, Payment {when} ?\)\.", page), page  # links
    assert page.count("Emma Bernard (") == 1
    assert "-€7.00" not in page
    # Phone 2 never counted: apart, and in no total.
    assert "Not counted at closing Phone Opening float Cash taken Expected in the box" in page
    assert "Phone 2 €20.00 €10.00 €30.00" in page
    assert "This box was not counted at closing: it is in no total" in page
    assert figure(html, "cash-expected") == "€67.70" and figure(html, "cash-counted") == "€67.70"
    assert figure(html, "cash-difference") == "€0.00"
    for name in ("emma", "emma_pay"):
        row = html[html.index(f'id="event-{e[name]["id"]}"') :].split("</tr>")[0]
        assert "recorded after this phone&#39;s count" in row or "recorded after this phone's count" in row
    row = html[html.index(f'id="event-{e["alice"]["id"]}"') :].split("</tr>")[0]
    assert "recorded after" not in row


# (9) Before the distribution has ended, members not served yet are expected, not absent.


def admin_at(app, email: str = "admin@example.org"):
    """An admin signed in now (a session from another time of the clock is not one)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in_as_admin(app, client, email)
    return client


def test_members_are_expected_until_the_distribution_ends(app, world, time_machine):
    with app.app_context():
        distribution = db.session.get(Distribution, world.distribution)
        starts, ends = distribution.starts_at, distribution.ends_at
    time_machine.move_to(starts - timedelta(hours=3), tick=False)
    page = text_of(admin_at(app).get(log_url(world)))
    assert "basket not collected" not in page
    assert "Orders not collected yet" in page and "Farid Zeroual expected €7.00" in page
    time_machine.move_to(ends - timedelta(minutes=1), tick=False)
    assert "basket not collected" not in text_of(admin_at(app, "admin2@example.org").get(log_url(world)))
    time_machine.move_to(ends + timedelta(minutes=1), tick=False)
    page = text_of(admin_at(app, "admin3@example.org").get(log_url(world)))
    assert "Members not collected" in page and "Farid Zeroual basket not collected €7.00" in page
    assert "expected €7.00" not in page
    assert utcnow() > ends


# (13) The audit log in sentences.


def test_the_audit_log_tells_a_resolution_in_a_sentence_with_links(app, world, admin):
    two_phones_hand_over_david(app, world)
    html = admin.get(log_url(world)).get_data(as_text=True)
    (conflict,) = conflicts_of(app, world.distribution).values()
    admin.post(
        resolve_url(world, conflict.id),
        data={"csrf_token": csrf_token(html), "action": "keep_first", "comment": "Carte remboursée."},
    )
    response = admin.get("/admin/audit/?action=conflict.")
    html, page = response.get_data(as_text=True), text_of(response)
    sentence = html[html.index('<p class="audit-sentence">') :].split("</p>")[0]
    assert "conflict.resolve" not in sentence and conflict.key not in sentence
    words = text_of_html(sentence)
    assert words.startswith("admin resolved the conflict “Order handed over twice” of the distribution of ")
    assert "at Maison du Luzard. Decision: Keep the first hand-over: undo the second one" in words
    assert "Comment: “Carte remboursée.”" in words
    assert f'href="/admin/distributions/{world.distribution}/log"' in sentence
    assert 'href="/admin/users/' in sentence  # who decided
    # The raw entry stays for support, folded away.
    assert "Technical details (for support)" in page and conflict.key in html


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()


def test_the_audit_log_in_french(app, world, admin):
    two_phones_hand_over_david(app, world)
    html = admin.get(log_url(world)).get_data(as_text=True)
    (conflict,) = conflicts_of(app, world.distribution).values()
    admin.post(
        resolve_url(world, conflict.id),
        data={"csrf_token": csrf_token(html), "action": "accept", "comment": "Deux paniers."},
    )
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    html = admin.get("/admin/audit/?action=conflict.").get_data(as_text=True)
    words = text_of_html(html[html.index('<p class="audit-sentence">') :].split("</p>")[0])
    assert words.startswith("admin a résolu le conflit « Commande remise deux fois » de la distribution du ")
    assert "Les deux étaient réelles : deux paniers ont été remis" in words


def test_the_after_count_line_names_each_member_once_and_stops_at_three(app, world, admin):
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    d, o = world.distribution, world.orders
    events = [one.record("cash_count", {"kind": "closing", "total_cents": 0}, d)]
    for name in ("Alice", "Bruno", "Chloé", "David", "Emma"):
        events.append(one.record("handover", {"order_id": o[name], "outcome": "all"}, d))
        events.append(one.record("payment", {"order_id": o[name], "amount_cents": 100, "method": "cash"}, d))
    pushed(one, events)
    page = text_of(admin.get(log_url(world)))
    assert "€5.00 in cash, not in the count above. Recorded: Alice Martin ( Hand-over" in page  # a link
    assert "and 2 others." in page
    assert page.count("Alice Martin (") == 1 and "David Éluard (" not in page
