"""The distribution log's timeline filtered by phone, volunteer and type of event, and paged with its filters kept
(issue 14): GET parameters, counts, an empty result said so, bad values ignored and said so. Events from two phones
through the real API, on SQLite and PostgreSQL (the day of tests/test_distribution_log.py)."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from server.clock import utcnow
from tests import test_distribution_log as log_tests
from tests.phones import enrol_phone
from tests.test_distribution_log import log_url, pushed, text_of

# The day of tests/test_distribution_log.py: its world, its two phones' events, an admin reading in English.
world, day, admin = log_tests.world, log_tests.day, log_tests.admin

MAIN_EVENTS = 20  # the day's events at the main distribution: 7 by phone 1, 13 by phone 2


def rows(response) -> list[str]:
    return re.findall(r'<tr id="event-([0-9a-f-]+)"', response.get_data(as_text=True))


def ids(day, *names: str) -> set[str]:
    return {day.events[name]["id"] for name in names}


PHONE_1 = ("open1", "alice", "alice_pay", "bruno", "bruno_pay", "david1", "close1")
PAYMENTS = ("alice_pay", "bruno_pay", "david_pay", "emma_wrong", "emma_pay", "gaelle_pay")


def test_unfiltered_the_timeline_counts_every_event_and_offers_the_filters(world, day, admin):
    response = admin.get(log_url(world))
    html, page = response.get_data(as_text=True), text_of(response)
    assert len(rows(response)) == MAIN_EVENTS and f"{MAIN_EVENTS} events" in page
    form = html[html.index('class="timeline-filters"') :].split("</form>")[0]
    one, two = day.phones
    assert f'<option value="{one.device_id}">Phone 1</option>' in form
    assert f'<option value="{two.device_id}">Phone 2</option>' in form
    assert f'<option value="{world.volunteers[1]}">Omar Haddad</option>' in form
    assert '<option value="payment">Payment</option>' in form and '<option value="note">Note</option>' in form
    assert 'value="top_up"' not in form  # only the types this log holds
    assert "Show every event" not in page


def test_each_filter_and_their_combination(world, day, admin):
    one, two = day.phones
    by_phone = admin.get(log_url(world), query_string={"phone": one.device_id})
    assert set(rows(by_phone)) == ids(day, *PHONE_1)
    assert "7 events of 20" in text_of(by_phone) and "Show every event" in text_of(by_phone)
    assert f'<option value="{one.device_id}" selected>' in by_phone.get_data(as_text=True)

    by_volunteer = admin.get(log_url(world), query_string={"volunteer": world.volunteers[1]})
    assert set(rows(by_volunteer)) == {e["id"] for e in two.sent if e["distribution_id"] == world.distribution}
    assert "13 events of 20" in text_of(by_volunteer)

    by_type = admin.get(log_url(world), query_string={"type": "payment"})
    assert set(rows(by_type)) == ids(day, *PAYMENTS)
    assert "6 events of 20" in text_of(by_type)

    both = admin.get(log_url(world), query_string={"phone": two.device_id, "type": "payment"})
    assert set(rows(both)) == ids(day, "david_pay", "emma_wrong", "emma_pay", "gaelle_pay")
    assert "4 events of 20" in text_of(both)
    # Canonical order within the filter, the voided payment still struck through.
    html = both.get_data(as_text=True)
    assert f'<tr id="event-{day.events["emma_wrong"]["id"]}" class="voided">' in html
    # The figures still count every event.
    assert 'data-figure="paid">' in html and "€52.09" in text_of(both)


def test_no_event_matching_is_said_so(world, day, admin):
    one, _two = day.phones
    response = admin.get(log_url(world), query_string={"phone": one.device_id, "type": "note"})
    assert response.status_code == 200 and rows(response) == []
    page = text_of(response)
    assert "0 events of 20" in page and "No event matches these filters. Show every event" in page
    assert "No event synced yet" not in page


def test_the_count_reads_in_french(world, day, admin):
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    one, _two = day.phones
    page = text_of(admin.get(log_url(world), query_string={"phone": one.device_id}))
    assert "7 événements sur 20" in page and "Afficher tous les événements" in page
    assert "20 événements" in text_of(admin.get(log_url(world)))


@pytest.mark.parametrize(
    "query, message",
    [
        ({"phone": "nope"}, "recorded by the phone asked for"),
        ({"volunteer": "abc"}, "recorded by the volunteer asked for"),
        ({"volunteer": "²"}, "recorded by the volunteer asked for"),
        ({"volunteer": "9" * 5000}, "recorded by the volunteer asked for"),
        ({"volunteer": "999999"}, "recorded by the volunteer asked for"),
        ({"type": "<script>"}, "of the type asked for"),
        ({"type": "top_up"}, "of the type asked for"),
        ({"phone": "\x00"}, "recorded by the phone asked for"),
        ({"device": "zzz"}, "recorded by the phone asked for"),  # the phones' word elsewhere: read as "phone"
    ],
)
def test_bad_filter_values_are_ignored_and_said_so(world, day, admin, query, message):
    response = admin.get(log_url(world), query_string=query)
    assert response.status_code == 200
    page = text_of(response)
    assert message in page and len(rows(response)) == MAIN_EVENTS and f"{MAIN_EVENTS} events" in page
    assert "<script>" not in response.get_data(as_text=True).split('class="timeline-filters"')[1]


def test_a_good_filter_stays_beside_a_bad_one(world, day, admin):
    response = admin.get(log_url(world), query_string={"type": "payment", "volunteer": "x"})
    assert set(rows(response)) == ids(day, *PAYMENTS)
    assert "recorded by the volunteer asked for" in text_of(response)


def test_pages_keep_the_filters_and_links_find_an_event(app, world, admin):
    one = enrol_phone(app, [world.point], world.volunteers[0], "Phone 1")
    two = enrol_phone(app, [world.point], world.volunteers[1], "Phone 2")
    d, o, start = world.distribution, world.orders, utcnow()
    notes = [one.record("note", {"text": f"Note {n}"}, d, at=start + timedelta(seconds=n)) for n in range(1, 248)]
    alice = one.record("handover", {"order_id": o["Alice"], "outcome": "all"}, d, at=start + timedelta(minutes=5))
    pushed(one, [*notes, alice])
    others = [two.record("note", {"text": f"Autre {n}"}, d, at=start + timedelta(seconds=n)) for n in range(1, 60)]
    pushed(two, others)

    query = {"phone": one.device_id, "type": "note"}
    first = admin.get(log_url(world), query_string=query)
    assert len(rows(first)) == 200 and "247 events of 307" in text_of(first) and "Page 1 of 2" in text_of(first)
    html = first.get_data(as_text=True)
    link = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    parts = urlsplit(link)
    assert parts.path == log_url(world) and parts.fragment == "timeline"
    assert parse_qs(parts.query) == {"phone": [one.device_id], "type": ["note"], "page": ["2"]}
    second = admin.get(f"{parts.path}?{parts.query}")
    assert set(rows(second)) == {note["id"] for note in notes[200:]} and "Page 2 of 2" in text_of(second)
    assert "Events 201 to 247 of 247." in text_of(second)

    # A link to one event (from an order's page) opens the page showing it: within the filters if they keep it,
    # else in the whole log; an unknown event opens the timeline.
    found = admin.get(log_url(world), query_string={**query, "event": notes[230]["id"]})
    assert found.status_code == 302
    parts = urlsplit(found.location)
    assert parse_qs(parts.query) == {"phone": [one.device_id], "type": ["note"], "page": ["2"]}
    assert parts.fragment == f"event-{notes[230]['id']}"
    outside = urlsplit(admin.get(log_url(world), query_string={**query, "event": alice["id"]}).location)
    assert parse_qs(outside.query) == {"page": ["2"]} and outside.fragment == f"event-{alice['id']}"
    unknown = urlsplit(admin.get(log_url(world), query_string={"event": "x"}).location)
    assert unknown.query == "" and unknown.fragment == "timeline"


def test_timeline_rows_link_to_their_order(world, day, admin):
    html = admin.get(log_url(world), query_string={"type": "handover"}).get_data(as_text=True)
    row = html[html.index(f'id="event-{day.events["bruno"]["id"]}"') :].split("</tr>")[0]
    assert f'href="/admin/orders/{world.orders["Bruno"]}"' in row
    note = admin.get(log_url(world), query_string={"type": "note"}).get_data(as_text=True)
    assert "/admin/orders/" not in note.split('class="striped timeline"')[1]
