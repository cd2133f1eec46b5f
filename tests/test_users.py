"""Users, invitations and passkey endpoints over HTTP (no authenticator: the browser tests run real ceremonies),
and the rules of ``server.domain.users``: who may invite and change whom, the last admin, the one-time links."""

import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

import server.auth  # noqa: F401  (before server.audit, which the domain imports)
from server.auth.views import safe_next
from server.clock import utcnow
from server.domain import DomainError
from server.domain.links import redeem_link
from server.domain.users import create_invitation, invite_user, update_user
from server.extensions import db
from server.models import AuditEntry, Passkey, Point, SignInLink, User, WebAuthnChallenge
from tests.helpers import csrf_token, sign_in_user, submit_form

META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
INVITATION_URL = re.compile(r'value="(https?://[^"]+/auth/invitation/([^"]+))"')


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return app_config | {"RATELIMIT_ENABLED": False}  # these tests call the same endpoints many times on purpose


def english(client):
    """Tests read the English UI (the French catalogue is filled in later)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def client(app):
    return english(app.test_client())


def new_client(app):
    return english(app.test_client())


@dataclass(frozen=True)
class People:
    """Ids: two points, an admin, a coordinator of point A, volunteers of A, of B, and of both."""

    point_a: int
    point_b: int
    admin: int
    coordinator: int
    volunteer_a: int
    volunteer_b: int
    volunteer_ab: int


@pytest.fixture
def people(app) -> People:
    with app.app_context():
        a = Point(name="Maison de quartier du Luzard", town="Noisiel")
        b = Point(name="Ferme du Buisson", town="Noisiel")
        admin = User(email="admin@example.org", display_name="Ada Admin", role="admin")
        coordinator = User(email="coord@example.org", display_name="Colette", role="coordinator", points=[a])
        vol_a = User(email="va@example.org", display_name="Victor A", role="volunteer", points=[a])
        vol_b = User(email="vb@example.org", display_name="Vera B", role="volunteer", points=[b])
        vol_ab = User(email="vab@example.org", display_name="Vic AB", role="volunteer", points=[a, b])
        db.session.add_all([a, b, admin, coordinator, vol_a, vol_b, vol_ab])
        db.session.commit()
        return People(a.id, b.id, admin.id, coordinator.id, vol_a.id, vol_b.id, vol_ab.id)


def page_csrf(client, url: str = "/auth/sign-in") -> str:
    match = META_CSRF.search(client.get(url).get_data(as_text=True))
    assert match
    return match.group(1)


def post_json(client, url: str, body, *, token: str | None, **kwargs):
    headers = {"Accept": "application/json", **({"X-CSRFToken": token} if token else {})}
    if isinstance(body, (dict, list)):
        return client.post(url, json=body, headers=headers, **kwargs)
    return client.post(url, data=body, headers=headers, **kwargs)


def user_by_email(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def invite(app, actor_id: int, **data) -> str:
    with app.app_context():
        actor = db.session.get(User, actor_id)
        invitation = invite_user(actor, {"role": "volunteer", "display_name": "New one", **data})
        db.session.commit()
        return invitation.token


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# Where people land.


def test_sign_in_lands_by_role(app, people):
    assert sign_in_user(app, new_client(app), people.admin).location.endswith("/admin/")
    assert sign_in_user(app, new_client(app), people.coordinator).location.endswith("/admin/")
    assert sign_in_user(app, new_client(app), people.volunteer_a).location.endswith("/app/")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/admin/users/", "/admin/users/"),
        ("/admin/?", "/admin/"),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("https://evil.example/", None),
        ("/a\nb", None),
        (None, None),
        (42, None),
    ],
)
def test_safe_next(value, expected):
    assert safe_next(value) == expected


# Invitations by an admin.


def test_admin_invites_a_coordinator(app, client, people):
    sign_in_user(app, client, people.admin)
    response = submit_form(
        client,
        "/admin/users/new",
        {
            "email": "  Nouvelle.Coord@Example.org ",
            "display_name": "Nadia",
            "role": "coordinator",
            "points": [str(people.point_a), str(people.point_b)],
        },
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    url, token = INVITATION_URL.search(html).groups()
    assert url.startswith(app.config["BASE_URL"])
    with app.app_context():
        user = user_by_email("nouvelle.coord@example.org")
        assert (user.role, user.display_name, user.point_ids) == (
            "coordinator",
            "Nadia",
            {people.point_a, people.point_b},
        )
        link = db.session.scalar(select(SignInLink).where(SignInLink.user_id == user.id))
        assert link.purpose == "invitation" and link.created_by_id == people.admin and link.used_at is None
        assert link.expires_at - link.created_at == timedelta(hours=72)
    assert actions(app)[-2:] == ["user.create", "user.invite"]

    invited = new_client(app)
    page = invited.get(f"/auth/invitation/{token}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "nouvelle.coord@example.org" in text and "Create my passkey" in text


def test_invitation_expires_after_72_hours(app, people):
    token = invite(app, people.admin, email="late@example.org")
    client = new_client(app)
    assert client.get(f"/auth/invitation/{token}").status_code == 200
    with app.app_context():
        link = db.session.scalar(select(SignInLink).where(SignInLink.purpose == "invitation"))
        assert timedelta(hours=71, minutes=59) < link.expires_at - utcnow() <= timedelta(hours=72)
        db.session.execute(update(SignInLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = client.get(f"/auth/invitation/{token}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    refused = post_json(client, f"/auth/invitation/{token}/options", {}, token=page_csrf(client))
    assert refused.status_code == 410
    assert refused.get_json()["error"]["reason"] == "invitation_expired"


def test_used_invitation_is_refused(app, people):
    token = invite(app, people.admin, email="once@example.org")
    with app.app_context():
        redeem_link(token, purpose="invitation")
        db.session.commit()
    client = new_client(app)
    assert client.get(f"/auth/invitation/{token}").status_code == 410
    refused = post_json(client, f"/auth/invitation/{token}/options", {}, token=page_csrf(client))
    assert (refused.status_code, refused.get_json()["error"]["reason"]) == (410, "invitation_used")


@pytest.mark.parametrize("forged", ["x" * 43, "not-a-token", "a" * 500])
def test_forged_invitation_is_refused(app, people, forged):
    token = invite(app, people.admin, email="real@example.org")
    client = new_client(app)
    assert client.get(f"/auth/invitation/{forged}").status_code == 410
    csrf = page_csrf(client)
    for endpoint in ("options", "verify"):
        body = {} if endpoint == "options" else {"ceremony": "x", "credential": {}}
        refused = post_json(client, f"/auth/invitation/{forged}/{endpoint}", body, token=csrf)
        assert (refused.status_code, refused.get_json()["error"]["reason"]) == (410, "invitation_unknown")
    # A sign-in link's token is no invitation, and an invitation's token is no sign-in link.
    assert client.get(f"/auth/link/{token}").status_code == 410


def test_invitation_options_then_garbage_answer_keeps_the_link(app, people):
    token = invite(app, people.admin, email="keep@example.org")
    client = new_client(app)
    csrf = page_csrf(client, f"/auth/invitation/{token}")
    started = post_json(client, f"/auth/invitation/{token}/options", {}, token=csrf)
    assert started.status_code == 200
    options = started.get_json()["options"]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["user"]["name"] == "keep@example.org"
    ceremony = started.get_json()["ceremony"]
    bad = {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"clientDataJSON": "e30"}}
    refused = post_json(
        client, f"/auth/invitation/{token}/verify", {"ceremony": ceremony, "credential": bad}, token=csrf
    )
    assert (refused.status_code, refused.get_json()["error"]["reason"]) == (400, "invalid")
    with app.app_context():
        assert db.session.scalar(select(SignInLink.used_at).where(SignInLink.purpose == "invitation")) is None
        assert db.session.scalar(select(func.count(Passkey.id))) == 0
        # The challenge is spent: the same ceremony cannot be tried again.
        assert db.session.scalar(select(WebAuthnChallenge.used_at)) is not None
    assert "invitation.refused" in actions(app)
    assert client.get(f"/auth/invitation/{token}").status_code == 200  # the invitee can still try again


def test_reinvite_cancels_the_earlier_link(app, client, people):
    first = invite(app, people.coordinator, email="lost.phone@example.org", points=[people.point_a])
    sign_in_user(app, client, people.coordinator)
    with app.app_context():
        user_id = user_by_email("lost.phone@example.org").id
    page = client.get("/admin/users/")
    response = client.post(
        f"/admin/users/{user_id}/invite", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    assert response.status_code == 200
    _, second = INVITATION_URL.search(response.get_data(as_text=True)).groups()
    assert second != first
    other = new_client(app)
    assert other.get(f"/auth/invitation/{first}").status_code == 410
    assert other.get(f"/auth/invitation/{second}").status_code == 200
    with app.app_context():
        links = db.session.scalars(select(SignInLink).where(SignInLink.user_id == user_id)).all()
        assert {link.created_by_id for link in links} == {people.coordinator}


# Invitations by a coordinator.


def test_coordinator_invites_a_volunteer_for_their_point(app, client, people):
    sign_in_user(app, client, people.coordinator)
    response = submit_form(
        client,
        "/admin/users/new",
        {"email": "benevole@example.org", "display_name": "Béa", "role": "volunteer", "points": [str(people.point_a)]},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        user = user_by_email("benevole@example.org")
        assert (user.role, user.point_ids) == ("volunteer", {people.point_a})


@pytest.mark.parametrize(
    ("role", "points"),
    [("coordinator", ["a"]), ("admin", ["a"]), ("volunteer", ["b"]), ("volunteer", ["a", "b"]), ("volunteer", [])],
    ids=["coordinator-role", "admin-role", "other-point", "one-other-point", "no-point"],
)
def test_coordinator_invitation_refused(app, client, people, role, points):
    sign_in_user(app, client, people.coordinator)
    ids = {"a": str(people.point_a), "b": str(people.point_b)}
    response = submit_form(
        client,
        "/admin/users/new",
        {"email": "nope@example.org", "display_name": "Nope", "role": role, "points": [ids[p] for p in points]},
    )
    assert response.status_code == 400
    with app.app_context():
        assert user_by_email("nope@example.org") is None
        assert db.session.scalar(select(func.count(SignInLink.id)).where(SignInLink.purpose == "invitation")) == 0


def test_coordinator_form_offers_only_volunteer_and_their_points(app, client, people):
    sign_in_user(app, client, people.coordinator)
    html = client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="volunteer"' in html and 'value="coordinator"' not in html and 'value="admin"' not in html
    assert "Maison de quartier du Luzard" in html and "Ferme du Buisson" not in html


def test_domain_refuses_coordinator_escalation(app, people):
    with app.app_context():
        coordinator = db.session.get(User, people.coordinator)
        for data, field in [
            ({"role": "admin", "points": [people.point_a]}, "role"),
            ({"role": "coordinator", "points": [people.point_a]}, "role"),
            ({"role": "volunteer", "points": [people.point_b]}, "points"),
            ({"role": "volunteer", "points": [999]}, "points"),
            ({"role": "superuser", "points": [people.point_a]}, "role"),
        ]:
            with pytest.raises(DomainError) as refused:
                invite_user(coordinator, {"email": "x@example.org", "display_name": "X", **data})
            assert refused.value.field == field, data
        for target in (people.volunteer_b, people.admin, people.coordinator):
            with pytest.raises(DomainError):
                create_invitation(coordinator, db.session.get(User, target))
        with pytest.raises(DomainError) as refused:
            update_user(coordinator, db.session.get(User, people.volunteer_a), {"role": "admin"})
        assert refused.value.field == "role"
        with pytest.raises(DomainError):
            update_user(coordinator, db.session.get(User, people.volunteer_b), {"display_name": "Taken over"})
        with pytest.raises(DomainError):
            update_user(coordinator, db.session.get(User, people.admin), {"active": False})
        db.session.rollback()
        assert db.session.get(User, people.volunteer_a).role == "volunteer"


def test_duplicate_email_is_refused_whatever_its_case(app, client, people):
    sign_in_user(app, client, people.admin)
    response = submit_form(
        client, "/admin/users/new", {"email": "VA@example.org", "display_name": "Twin", "role": "volunteer"}
    )
    assert response.status_code == 400
    assert "already has this e-mail" in response.get_data(as_text=True)
    with app.app_context(), pytest.raises(DomainError) as refused:
        invite_user(
            db.session.get(User, people.admin), {"email": "Va@Example.org", "display_name": "T", "role": "admin"}
        )
    assert refused.value.field == "email"


# Users list and edit.


def test_users_list_is_scoped(app, client, people):
    sign_in_user(app, client, people.coordinator)
    html = client.get("/admin/users/").get_data(as_text=True)
    for shown in ("coord@example.org", "va@example.org", "vab@example.org"):
        assert shown in html
    for hidden in ("vb@example.org", "admin@example.org"):
        assert hidden not in html
    assert client.get(f"/admin/users/{people.volunteer_b}/edit").status_code == 404
    assert client.get(f"/admin/users/{people.admin}/edit").status_code == 404
    token = csrf_token(html)
    assert client.post(f"/admin/users/{people.volunteer_b}/invite", data={"csrf_token": token}).status_code == 404

    admin = new_client(app)
    sign_in_user(app, admin, people.admin)
    html = admin.get("/admin/users/").get_data(as_text=True)
    for shown in ("coord@example.org", "va@example.org", "vb@example.org", "vab@example.org", "admin@example.org"):
        assert shown in html


def test_volunteer_cannot_open_users_pages(app, client, people):
    sign_in_user(app, client, people.volunteer_a)
    assert client.get("/admin/users/").status_code == 403
    assert client.get("/admin/users/new").status_code == 403


def test_coordinator_edits_a_volunteer_within_their_points(app, client, people):
    with app.app_context():
        c = db.session.get(User, people.coordinator)
        c.points.append(db.session.get(Point, people.point_b))  # now coordinates both…
        third = Point(name="Salle des fêtes", town="Torcy")
        db.session.add(third)
        db.session.commit()
        third_id = third.id
    sign_in_user(app, client, people.coordinator)
    url = f"/admin/users/{people.volunteer_a}/edit"
    # Role is not the coordinator's to change: the field is absent and a posted value is ignored.
    response = submit_form(
        client, url, {"display_name": "Victor", "role": "admin", "points": [str(people.point_b)], "active": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, people.volunteer_a)
        assert (user.display_name, user.role, user.point_ids) == ("Victor", "volunteer", {people.point_b})
    # A point they do not coordinate is refused.
    response = submit_form(client, url, {"display_name": "Victor", "points": [str(third_id)], "active": "y"})
    assert response.status_code == 400
    # Deactivating a volunteer of their point is allowed.
    assert submit_form(client, url, {"display_name": "Victor", "points": [str(people.point_b)]}).status_code == 302
    with app.app_context():
        assert db.session.get(User, people.volunteer_a).active is False
    assert "user.update" in actions(app)


def test_coordinator_keeps_the_volunteers_other_points(app, client, people):
    sign_in_user(app, client, people.coordinator)
    page = client.get(f"/admin/users/{people.volunteer_ab}/edit").get_data(as_text=True)
    assert "Ferme du Buisson" not in page  # point B is not theirs: not even shown
    response = submit_form(
        client, f"/admin/users/{people.volunteer_ab}/edit", {"display_name": "Vic AB", "points": [], "active": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, people.volunteer_ab).point_ids == {people.point_b}


def test_coordinator_edits_only_their_own_name(app, client, people):
    sign_in_user(app, client, people.coordinator)
    url = f"/admin/users/{people.coordinator}/edit"
    response = submit_form(client, url, {"display_name": "Colette C.", "points": [str(people.point_b)]})
    assert response.status_code == 302
    with app.app_context():
        me = db.session.get(User, people.coordinator)
        assert (me.display_name, me.point_ids, me.active, me.role) == (
            "Colette C.",
            {people.point_a},
            True,
            "coordinator",
        )


def test_last_active_admin_is_protected(app, client, people):
    sign_in_user(app, client, people.admin)
    url = f"/admin/users/{people.admin}/edit"
    for data in (
        {"display_name": "Ada", "role": "coordinator", "active": "y"},
        {"display_name": "Ada", "role": "admin"},
    ):
        response = submit_form(client, url, data)
        assert response.status_code == 400, data
        assert "last active administrator" in response.get_data(as_text=True)
    with app.app_context():
        admin = db.session.get(User, people.admin)
        assert (admin.role, admin.active) == ("admin", True)
        # With a second active admin, the first may step down.
        second = db.session.get(User, people.coordinator)
        update_user(admin, second, {"role": "admin"})
        db.session.commit()
    response = submit_form(client, url, {"display_name": "Ada", "role": "coordinator", "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, people.admin).role == "coordinator"
        with pytest.raises(DomainError):
            update_user(
                db.session.get(User, people.coordinator), db.session.get(User, people.coordinator), {"active": False}
            )


def test_deactivated_user_is_signed_out_and_cannot_be_invited(app, people):
    client = new_client(app)
    sign_in_user(app, client, people.volunteer_b)
    with app.app_context():
        admin = db.session.get(User, people.admin)
        update_user(admin, db.session.get(User, people.volunteer_b), {"active": False})
        db.session.commit()
        with pytest.raises(DomainError):
            create_invitation(admin, db.session.get(User, people.volunteer_b))
    assert client.get("/auth/passkeys").status_code == 302


# Passkey sign-in options: what the browser is told.


def add_passkey(user_id: int, credential_id: bytes, name: str = "Phone") -> int:
    passkey = Passkey(user_id=user_id, credential_id=credential_id, public_key=b"k", name=name, transports=["internal"])
    db.session.add(passkey)
    db.session.commit()
    return passkey.id


def test_sign_in_options_do_not_reveal_which_emails_exist(app, people):
    with app.app_context():
        add_passkey(people.volunteer_a, b"\x01" * 16)
        add_passkey(people.volunteer_b, b"\x02" * 16)
        update_user(db.session.get(User, people.admin), db.session.get(User, people.volunteer_b), {"active": False})
        db.session.commit()
    client = new_client(app)
    token = page_csrf(client)

    def allowed(email):
        response = post_json(client, "/auth/passkey/options", {"email": email}, token=token)
        assert response.status_code == 200
        body = response.get_json()
        assert set(body) == {"ceremony", "options"}
        return body["options"]["allowCredentials"]

    real = allowed("VA@example.org")
    assert [c["id"] for c in real] == ["AQEBAQEBAQEBAQEBAQEBAQ"]
    unknown, no_passkey, inactive = (
        allowed("ghost@example.org"),
        allowed("coord@example.org"),
        allowed("vb@example.org"),
    )
    for decoy in (unknown, no_passkey, inactive):
        assert len(decoy) == 1 and set(decoy[0]) == {"id", "type", "transports"}
    assert allowed("ghost@example.org") == unknown  # stable: asking twice tells nothing
    assert len({unknown[0]["id"], no_passkey[0]["id"], inactive[0]["id"]}) == 3
    discoverable = post_json(client, "/auth/passkey/options", {}, token=token).get_json()["options"]
    assert discoverable["allowCredentials"] == [] and discoverable["userVerification"] == "required"
    with app.app_context():  # no ceremony is bound to an account: the passkey that verifies says who it is
        assert (
            db.session.scalar(select(func.count(WebAuthnChallenge.id)).where(WebAuthnChallenge.user_id.is_not(None)))
            == 0
        )


def test_unknown_or_replayed_ceremony_is_refused_and_audited(app, people):
    client = new_client(app)
    token = page_csrf(client)
    credential = {"id": "AQ", "rawId": "AQ", "type": "public-key", "response": {}}
    refused = post_json(client, "/auth/passkey/verify", {"ceremony": "nope", "credential": credential}, token=token)
    assert (refused.status_code, refused.get_json()["error"]["reason"]) == (401, "unknown_ceremony")
    ceremony = post_json(client, "/auth/passkey/options", {}, token=token).get_json()["ceremony"]
    first = post_json(client, "/auth/passkey/verify", {"ceremony": ceremony, "credential": credential}, token=token)
    assert (first.status_code, first.get_json()["error"]["reason"]) == (401, "invalid")
    again = post_json(client, "/auth/passkey/verify", {"ceremony": ceremony, "credential": credential}, token=token)
    assert (again.status_code, again.get_json()["error"]["reason"]) == (401, "used")
    with app.app_context():
        reasons = db.session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "sign_in.refused").order_by(AuditEntry.id)
        ).all()
        assert [r["reason"] for r in reasons] == ["unknown_ceremony", "invalid", "used"]
    assert client.get("/auth/passkeys").status_code == 302  # still nobody


# Passkey management without an authenticator (adding one is in the browser tests).


def test_rename_and_remove_own_passkeys_only(app, client, people):
    with app.app_context():
        phone = add_passkey(people.volunteer_a, b"\x01" * 16, "Phone")
        laptop = add_passkey(people.volunteer_a, b"\x03" * 16, "Laptop")
        theirs = add_passkey(people.volunteer_b, b"\x02" * 16, "Theirs")
    sign_in_user(app, client, people.volunteer_a)
    page = client.get("/auth/passkeys")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Phone" in html and "Laptop" in html and "Theirs" not in html
    token = csrf_token(html)

    renamed = client.post(f"/auth/passkeys/{phone}/rename", data={"csrf_token": token, "name": "  Old phone "})
    assert renamed.status_code == 303
    assert client.post(f"/auth/passkeys/{phone}/rename", data={"csrf_token": token, "name": ""}).status_code == 303
    assert (
        client.post(f"/auth/passkeys/{phone}/rename", data={"csrf_token": token, "name": "x" * 81}).status_code == 303
    )
    for url in (f"/auth/passkeys/{theirs}/rename", f"/auth/passkeys/{theirs}/delete", "/auth/passkeys/999999/delete"):
        assert client.post(url, data={"csrf_token": token, "name": "Mine now", "confirm_last": "y"}).status_code == 404

    assert client.post(f"/auth/passkeys/{laptop}/delete", data={"csrf_token": token}).status_code == 303
    # The last one needs the confirmation: without it nothing is removed.
    refused = client.post(f"/auth/passkeys/{phone}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "This is your only passkey" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Passkey, phone).name == "Old phone"
        assert db.session.get(Passkey, laptop) is None
        assert db.session.get(Passkey, theirs).name == "Theirs"
    confirmed = client.post(f"/auth/passkeys/{phone}/delete", data={"csrf_token": token, "confirm_last": "y"})
    assert confirmed.status_code == 303
    with app.app_context():
        assert db.session.get(Passkey, phone) is None
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("passkey.%"))).all()
        assert [(e.action, e.user_id) for e in entries] == [
            ("passkey.rename", people.volunteer_a),
            ("passkey.delete", people.volunteer_a),
            ("passkey.delete", people.volunteer_a),
        ]
        assert entries[-1].details["last"] is True


# CSRF on every POST of these pages and endpoints.


def csrf_posts(people) -> list[tuple[str, bool]]:
    """(url, json) for every POST route of users, invitations and passkeys."""
    return [
        ("/auth/passkey/options", True),
        ("/auth/passkey/verify", True),
        ("/auth/invitation/{token}/options", True),
        ("/auth/invitation/{token}/verify", True),
        ("/auth/passkeys/options", True),
        ("/auth/passkeys/verify", True),
        ("/auth/passkeys/{passkey}/rename", False),
        ("/auth/passkeys/{passkey}/delete", False),
        ("/admin/users/new", False),
        (f"/admin/users/{people.volunteer_a}/edit", False),
        (f"/admin/users/{people.volunteer_a}/invite", False),
    ]


def test_every_post_needs_the_csrf_token(app, client, people):
    token = invite(app, people.admin, email="csrf@example.org")
    with app.app_context():
        passkey = add_passkey(people.admin, b"\x09" * 16, "Admin key")
    sign_in_user(app, client, people.admin)
    before = actions(app)
    for url, is_json in csrf_posts(people):
        url = url.format(token=token, passkey=passkey)
        body = {"ceremony": "x", "credential": {}, "email": "a@example.org", "name": "n"}
        for sent_token in (None, "forged-token"):
            if is_json:
                response = post_json(client, url, body, token=sent_token)
                assert response.status_code == 400, url
                assert response.get_json()["error"]["reason"] == "csrf_failed", url
            else:
                data = {**body, "display_name": "Changed", "role": "volunteer", "csrf_token": sent_token or ""}
                response = client.post(url, data=data)
                assert response.status_code == 400, url
    assert actions(app) == before
    with app.app_context():
        assert db.session.get(Passkey, passkey).name == "Admin key"
        assert db.session.get(User, people.volunteer_a).display_name == "Victor A"
        assert db.session.scalar(select(func.count(WebAuthnChallenge.id))) == 0
        assert user_by_email("a@example.org") is None


# Garbage in: a clear 4xx with a reason, never a 500.

GARBAGE = [
    ("not json", "text/plain", 400, "invalid_body"),
    ("{not json", "application/json", 400, "invalid_body"),
    ("[1, 2]", "application/json", 400, "invalid_body"),
    ('"text"', "application/json", 400, "invalid_body"),
    ("null", "application/json", 400, "invalid_body"),
    (b"\xff\xfe", "application/json", 400, "invalid_body"),
    ("[" * 50_000, "application/json", 400, "invalid_body"),
    ('{"ceremony": "' + "x" * 100_000 + '"}', "application/json", 413, "too_large"),
    ('{"email": 42, "ceremony": 42, "credential": "text", "name": []}', "application/json", 400, "invalid_field"),
    ('{"email": ["a"], "ceremony": null, "credential": null}', "application/json", 400, "invalid_field"),
]


@pytest.mark.parametrize(("body", "content_type", "status", "reason"), GARBAGE)
def test_json_endpoints_refuse_garbage(app, client, people, body, content_type, status, reason):
    token = invite(app, people.admin, email="garbage@example.org")
    sign_in_user(app, client, people.volunteer_a)
    csrf = page_csrf(client, "/auth/passkeys")
    urls = [
        "/auth/passkey/options",
        "/auth/passkey/verify",
        f"/auth/invitation/{token}/options",
        f"/auth/invitation/{token}/verify",
        "/auth/passkeys/options",
        "/auth/passkeys/verify",
    ]
    for url in urls:
        data = body if isinstance(body, bytes) else body.encode()
        response = client.post(url, data=data, content_type=content_type, headers={"X-CSRFToken": csrf})
        if reason == "invalid_field" and url.endswith("/options") and not url.startswith("/auth/passkey/"):
            assert response.status_code == 200, url  # registration options take no fields: an ignored body
            continue
        assert response.status_code == status, (url, response.status_code)
        assert response.is_json, url
        assert response.get_json()["error"]["reason"] == reason, url


@pytest.mark.parametrize(
    "credential",
    [
        {},
        {"id": 1},
        {"id": "AA", "rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "!!", "attestationObject": 3}},
        {"id": "AA", "rawId": "AA", "type": "nope", "response": {"clientDataJSON": "e30", "attestationObject": "oA"}},
        {
            "id": "AA",
            "rawId": "AA",
            "type": "public-key",
            "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA", "userHandle": 5},
        },
    ],
)
def test_garbage_credentials_are_refused_as_invalid(app, client, people, credential):
    token = invite(app, people.admin, email="cred@example.org")
    sign_in_user(app, client, people.volunteer_a)
    csrf = page_csrf(client, "/auth/passkeys")
    for options, verify, status in [
        ("/auth/passkey/options", "/auth/passkey/verify", 401),
        (f"/auth/invitation/{token}/options", f"/auth/invitation/{token}/verify", 400),
        ("/auth/passkeys/options", "/auth/passkeys/verify", 400),
    ]:
        ceremony = post_json(client, options, {}, token=csrf).get_json()["ceremony"]
        response = post_json(client, verify, {"ceremony": ceremony, "credential": credential}, token=csrf)
        assert response.status_code == status, (verify, response.get_data(as_text=True))
        assert response.get_json()["error"]["reason"] in ("invalid", "unknown_credential"), verify
    assert client.get("/auth/passkeys").status_code == 200  # a refused sign-in signs nobody in or out


def test_json_errors_answer_json_without_an_accept_header(app, client):
    token = page_csrf(client)
    response = client.post(
        "/auth/passkey/verify",
        data=json.dumps({"ceremony": 1}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 400 and response.get_json()["error"]["reason"] == "invalid_field"
