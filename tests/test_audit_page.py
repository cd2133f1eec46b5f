"""The audit log page: admins only; newest first; filters by action, user and local dates; garbage never a 500."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from server.audit import record
from server.extensions import db
from server.models import AuditEntry, User
from tests.helpers import sign_in_user

URL = "/admin/audit/"
ROW_ACTION = re.compile(r'<tr data-action="([^"]+)">')


def actions_shown(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return ROW_ACTION.findall(response.get_data(as_text=True))


def add_entry(action: str, at: datetime, *, user_id: int | None = None, remote_addr: str = "192.0.2.7", **details):
    db.session.add(
        AuditEntry(action=action, at=at, user_id=user_id, target="thing:1", details=details, remote_addr=remote_addr)
    )


def make_user(app, email: str, role: str) -> int:
    with app.app_context():
        user = User(email=email, display_name=email.split("@")[0], role=role)
        db.session.add(user)
        db.session.commit()
        return user.id


@pytest.fixture
def entries(app):
    """A small log: a coordinator's edits, a CLI action, an anonymous one, around one Paris midnight."""
    coordinator = make_user(app, "coord@example.org", "coordinator")
    with app.app_context():
        # 2026-03-10 00:30 in Paris is 2026-03-09 23:30 UTC (winter time, UTC+1).
        add_entry("tier.create", datetime(2026, 3, 9, 23, 30, tzinfo=UTC), user_id=coordinator, name="Tarif plein")
        add_entry(
            "tier.update",
            datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
            user_id=coordinator,
            changes={"share_percent": [100, 70]},
        )
        add_entry("sign_in_link.create", datetime(2026, 3, 10, 22, 30, tzinfo=UTC), remote_addr="cli", via="cli")
        add_entry("signxin.other", datetime(2026, 3, 10, 23, 30, tzinfo=UTC))  # 2026-03-11 00:30 in Paris
        db.session.commit()
    return {"coordinator": coordinator}


def test_admin_sees_who_what_when_and_from_where_newest_first(app, admin_client, entries):
    response = admin_client.get(URL + "?lang=en&from=2026-03-01&to=2026-03-31")
    assert actions_shown(response) == ["signxin.other", "sign_in_link.create", "tier.update", "tier.create"]
    html = response.get_data(as_text=True)
    assert "coord@example.org" in html  # who
    assert "Command line (CLI)" in html  # who, for the CLI entry
    assert "Someone not signed in" in html  # who, for an entry without a user outside the CLI
    assert "changed the tier" in html and "share 100 → 70" in html  # what: a sentence, the changes in words
    assert "Tarif plein" in html  # in the technical details
    assert "thing:1" in html  # the target
    assert "10 Mar 2026, 00:30:00" in html  # when, in local time: tier.create at 23:30 UTC the day before
    assert "192.0.2.7" in html  # from where


def test_times_are_local(app, admin_client, entries):
    html = admin_client.get(URL + "?lang=en&action=tier.update").get_data(as_text=True)
    assert "10 Mar 2026, 13:00:00" in html  # 12:00 UTC is 13:00 in Paris in March


def test_the_sign_in_itself_is_in_the_log(app, admin_client):
    assert "sign_in.link" in actions_shown(admin_client.get(URL))


@pytest.mark.parametrize("role", ["coordinator", "volunteer"])
def test_other_roles_are_refused(app, client, role):
    sign_in_user(app, client, make_user(app, f"{role}@example.org", role))
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/sign-in" in response.location


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=tier", ["tier.update", "tier.create"]),
        ("action=tier.upd", ["tier.update"]),
        ("action=TIER.", ["tier.update", "tier.create"]),  # case does not matter
        ("action=sign_in", ["sign_in_link.create"]),  # "_" is a character, not LIKE's wildcard
        ("action=%25in", []),  # nor is "%"
        ("action=nothing", []),
        ("user=cli", ["sign_in_link.create"]),
        ("from=2026-03-10&to=2026-03-10", ["sign_in_link.create", "tier.update", "tier.create"]),
        ("from=2026-03-11", ["signxin.other"]),
        ("to=2026-03-09", []),
        ("from=2026-03-10&to=2026-03-10&action=tier&user=cli", []),
    ],
)
def test_filters(app, admin_client, entries, query, expected):
    assert [a for a in actions_shown(admin_client.get(f"{URL}?{query}")) if a != "sign_in.link"] == expected


def test_filter_by_user(app, admin_client, entries):
    coordinator = entries["coordinator"]
    response = admin_client.get(f"{URL}?user={coordinator}")
    assert actions_shown(response) == ["tier.update", "tier.create"]
    assert f'<option value="{coordinator}" selected>' in response.get_data(as_text=True)


def test_pagination(app, admin_client):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        for n in range(30):
            add_entry(f"bulk.n{n:02d}", start + timedelta(minutes=n))
        db.session.commit()
    first = actions_shown(admin_client.get(URL + "?action=bulk."))
    second = actions_shown(admin_client.get(URL + "?action=bulk.&page=2"))
    assert first == [f"bulk.n{n:02d}" for n in range(29, 4, -1)]
    assert second == [f"bulk.n{n:02d}" for n in range(4, -1, -1)]
    past_the_end = admin_client.get(URL + "?action=bulk.&page=3")  # the last page, the filter kept
    assert past_the_end.status_code == 302 and past_the_end.location == URL + "?action=bulk.&page=2"


def test_entries_written_by_record_show(app, admin_client):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.4"}):
        record("point.create", target="point:9", name="Halle de Torcy")
        db.session.commit()
    html = admin_client.get(URL + "?action=point.").get_data(as_text=True)
    assert "point:9" in html and "198.51.100.4" in html and "Halle de Torcy" in html


def test_odd_details_are_summarised(app, admin_client):
    with app.app_context():
        when = datetime(2026, 2, 1, tzinfo=UTC)
        add_entry("odd.long", when, text="x" * 500, nested={"a": [1, 2]}, nothing=None)
        db.session.add(AuditEntry(action="odd.list", at=when, details=["a", "b"], remote_addr=""))
        db.session.add(AuditEntry(action="odd.empty", at=when, details={}, remote_addr=""))
        db.session.commit()
    response = admin_client.get(URL + "?action=odd.")
    assert sorted(actions_shown(response)) == ["odd.empty", "odd.list", "odd.long"]
    assert "x" * 500 in response.get_data(as_text=True)  # in full, in the expandable details


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-45",
        "from=0001-01-01&to=0001-01-01",
        "from=9999-12-31&to=9999-12-31",
        "from=2026-W10-1",
        "from=20260310",
        "to=%00",
        "from=2026-03-10T12:00",
        "user=-1",
        "user=0",
        "user=99999999999999999999999",
        "user=abc",
        "user=%00",
        "action=%00tier",
        "action=" + "x" * 5000,
        "action=%5C",
        "action=%E2%80%AE",
        "page=abc",
        "page=-5",
        "page=0",
        "page=99999999999999999999999",
        "page=2147483647",
        "lang=xx&from=&to=&user=&action=",
        "from=2026-03-10&from=garbage",
    ],
)
def test_garbage_parameters_never_fail(app, admin_client, entries, query):
    response = admin_client.get(f"{URL}?{query}", follow_redirects=True)  # an odd page: one that exists
    assert response.status_code in (200, 400), response.status_code


def test_french_audit_sentences_say_connexion_and_name_the_point_without_an_article(app):
    """No "créneau" (a volunteer signs in on a phone) and no "à Salle des fêtes" (the point's name has its own
    article, or none): the point in brackets."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    with app.test_request_context(), force_locale("fr"):
        assert _("%(who)s started a shift on the phone %(target)s.", who="Awa", target="T1") == (
            "Awa : connexion sur le téléphone T1."
        )
        assert _("%(who)s ended a shift on the phone %(target)s.", who="Awa", target="T1") == (
            "Awa : déconnexion du téléphone T1."
        )
        assert _("the distribution of %(day)s at %(point)s", day="4 décembre", point="Salle des fêtes") == (
            "la distribution du 4 décembre (Salle des fêtes)"
        )
