"""One-time sign-in links: the bootstrap path into the admin."""

from datetime import timedelta

from sqlalchemy import select, update

from server.clock import utcnow
from server.extensions import db
from server.models import AuditEntry, SignInLink, User
from tests.helpers import csrf_token, make_sign_in_token, sign_in_as_admin, submit_form


def test_admin_pages_need_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/auth/sign-in" in response.location


def test_link_signs_in_once(app, client):
    token = make_sign_in_token(app, "Ada@Example.org")
    page = client.get(f"/auth/link/{token}")
    assert page.status_code == 200
    assert "ada@example.org" in page.get_data(as_text=True)
    # Opening the link (as a mail scanner would) does not use it up.
    response = submit_form(client, f"/auth/link/{token}", {})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200

    other = app.test_client()
    reused = other.get(f"/auth/link/{token}")
    assert reused.status_code == 410
    assert other.get("/admin/").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.action)) == "sign_in.link"


def test_expired_link_is_refused(app, client):
    token = make_sign_in_token(app, "late@example.org")
    with app.app_context():
        db.session.execute(update(SignInLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = client.get(f"/auth/link/{token}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True) or "expiré" in response.get_data(as_text=True)


def test_forged_link_is_refused(app, client):
    make_sign_in_token(app, "real@example.org")
    for forged in ["x" * 43, "not-a-token", "%00", "a" * 500]:
        response = client.get(f"/auth/link/{forged}")
        assert response.status_code in (404, 410), forged
    assert client.get("/admin/").status_code == 302


def test_link_post_without_csrf_is_refused(app, client):
    token = make_sign_in_token(app, "csrf@example.org")
    response = client.post(f"/auth/link/{token}", data={})
    assert response.status_code == 400
    assert "form" in response.get_data(as_text=True)  # "form" / "formulaire"
    with app.app_context():
        assert db.session.scalar(select(SignInLink.used_at)) is None
    assert client.get("/admin/").status_code == 302


def test_concurrent_second_redemption_loses(app, client):
    """Two browsers holding the same link page: only the first POST signs in."""
    token = make_sign_in_token(app, "race@example.org")
    first, second = app.test_client(), app.test_client()
    token_a = csrf_token(first.get(f"/auth/link/{token}").get_data(as_text=True))
    token_b = csrf_token(second.get(f"/auth/link/{token}").get_data(as_text=True))
    assert first.post(f"/auth/link/{token}", data={"csrf_token": token_a}).status_code == 302
    assert second.post(f"/auth/link/{token}", data={"csrf_token": token_b}).status_code == 410
    assert second.get("/admin/").status_code == 302


def test_sign_out(app, client):
    sign_in_as_admin(app, client, "out@example.org")
    page = client.get("/admin/").get_data(as_text=True)
    response = client.post("/auth/sign-out", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_admin_link_command_prints_a_working_link(app, runner):
    result = runner.invoke(args=["admin", "link", "boss@example.org"])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    assert url.startswith("http://localhost:5000/auth/link/")
    client = app.test_client()
    path = url.removeprefix("http://localhost:5000")
    assert submit_form(client, path, {}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_admin_link_command_refuses_bad_email(runner):
    result = runner.invoke(args=["admin", "link", "not an email"])
    assert result.exit_code != 0
    assert "e-mail" in result.output


def test_admin_link_never_promotes_a_coordinator_unless_told(app, runner):
    """A coordinator's e-mail is refused with what to do; --keep-role signs them in as a coordinator (the demo's
    coordinators), --promote makes them an administrator, and the audit log says so."""
    with app.app_context():
        db.session.add(User(email="coord@example.org", display_name="Coord", role="coordinator"))
        db.session.commit()
    refused = runner.invoke(args=["admin", "link", "coord@example.org"])
    assert refused.exit_code != 0 and "--keep-role" in refused.output and "--promote" in refused.output
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == "coord@example.org")) == "coordinator"

    kept = runner.invoke(args=["admin", "link", "coord@example.org", "--keep-role"])
    assert kept.exit_code == 0, kept.output
    client = app.test_client()
    signed_in = submit_form(client, kept.output.strip().splitlines()[-1].removeprefix("http://localhost:5000"), {})
    assert signed_in.status_code == 302 and client.get("/admin/").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == "coord@example.org")) == "coordinator"

    promoted = runner.invoke(args=["admin", "link", "coord@example.org", "--promote"])
    assert promoted.exit_code == 0, promoted.output
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == "coord@example.org")) == "admin"
        changes = db.session.scalars(select(AuditEntry.details).where(AuditEntry.action == "user.update")).all()
        assert any(details.get("changes") == {"role": ["coordinator", "admin"]} for details in changes)
    assert runner.invoke(args=["admin", "link", "nobody@example.org", "--keep-role"]).exit_code != 0
