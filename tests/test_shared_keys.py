"""Several app servers sharing nothing but the database and COMPTOIR_SECRET_KEY: two apps built with ``create_app``
on the same database, each with its own instance folder, must agree on tickets, sessions, decoy passkeys and the
VAPID key; the private keys live sealed in the database (server/sealed.py), never in an instance folder."""

import os
import threading
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from server import create_app
from server.domain.tickets import issue_ticket, revocation_list, ticket_text
from server.extensions import db
from server.models import Household, Point, SealedKey, TicketKey, Tier
from server.push_keys import application_server_key
from server.ticket_keys import private_key, public_keys
from sync import tickets
from tests.conftest import make_config
from tests.helpers import csrf_token, sign_in_as_admin

SHARED_SECRET = "the-secret-every-server-is-given"
ISSUED_ON = date(2026, 1, 5)


def _build(config: dict, instance: Path, **extra):
    return create_app(config | {"INSTANCE_PATH": str(instance), **extra})


@pytest.fixture
def servers(backend, request, tmp_path):
    """Two app servers on one database, each with its own (empty) instance folder."""
    config = make_config(backend, request, tmp_path, SECRET_KEY=SHARED_SECRET)
    one, two = _build(config, tmp_path / "one"), _build(config, tmp_path / "two")
    with one.app_context():
        if backend == "postgresql":
            db.drop_all()
        db.create_all()
    yield one, two
    for app in (one, two):
        with app.app_context():
            db.session.remove()
    with one.app_context():
        if backend == "postgresql":
            db.drop_all()
        db.engine.dispose()
    with two.app_context():
        db.engine.dispose()


def _member(app, first_name: str = "Awa") -> int:
    with app.app_context():
        point = db.session.scalar(select(Point)) or Point(name="Ferme du Buisson", town="Noisiel")
        tier = db.session.scalar(select(Tier)) or Tier(name="Tarif plein", share_percent=100)
        household = Household(first_name=first_name, last_name="Diallo", tier=tier, point=point)
        db.session.add(household)
        db.session.commit()
        return household.id


def _issue(app, household_id: int) -> str:
    with app.app_context():
        text_ = issue_ticket(db.session.get(Household, household_id))
        db.session.commit()
        return text_


def _text_of(app, household_id: int) -> str:
    with app.app_context():
        return ticket_text(db.session.get(Household, household_id))


def _verify(app, text_: str) -> tickets.Ticket:
    with app.app_context():
        return tickets.verify(text_, public_keys(), revocation_list())


def _no_key_files(*apps) -> None:
    for app in apps:
        folder = Path(app.instance_path)
        assert not list(folder.glob("ticket_keys/*.pem")) and not (folder / "vapid_private.pem").exists()


def test_a_ticket_issued_on_one_server_shows_verifies_and_is_reissued_on_the_other(servers):
    one, two = servers
    member = _member(one)
    first = _issue(one, member)
    assert _text_of(two, member) == first
    with two.app_context():
        token = db.session.get(Household, member).page_token
    for app in (one, two):
        page = app.test_client().get(f"/m/{token}")
        assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)

    admin = two.test_client()
    sign_in_as_admin(two, admin, "admin@example.org")
    assert admin.get(f"/admin/members/{member}/ticket").status_code == 200
    page = admin.get(f"/admin/members/{member}/ticket").get_data(as_text=True)
    answer = admin.post(f"/admin/members/{member}/ticket/issue", data={"csrf_token": csrf_token(page)})
    assert answer.status_code == 302
    second = _text_of(one, member)
    assert second != first and _verify(one, second).serial == 1
    with pytest.raises(tickets.TicketRefused):
        _verify(two, first)
    _no_key_files(one, two)


def test_a_rotation_on_one_server_signs_on_the_other_at_once(servers):
    one, two = servers
    awa, li, paul = _member(one, "Awa"), _member(one, "Li"), _member(one, "Paul")
    assert _verify(one, _issue(two, awa)).key_id == 1  # the first key, created by server two

    rotated = one.test_cli_runner().invoke(args=["tickets", "rotate-key"])
    assert rotated.exit_code == 0, rotated.output
    li_ticket = _issue(two, li)
    assert _verify(one, li_ticket).key_id == 2
    assert _verify(two, _text_of(two, awa)).key_id == 1  # printed cards stay valid

    withdrawn = two.test_cli_runner().invoke(args=["tickets", "withdraw-key", "1"])
    assert withdrawn.exit_code == 0, withdrawn.output
    with one.app_context():
        assert set(public_keys()) == {2}
    paul_ticket = _issue(one, paul)
    assert _verify(two, paul_ticket).key_id == 2


def test_a_session_and_a_form_from_one_server_are_accepted_by_the_other(servers):
    one, two = servers
    member = _member(one)
    browser = one.test_client()
    sign_in_as_admin(one, browser, "admin@example.org")
    page = browser.get(f"/admin/members/{member}/ticket").get_data(as_text=True)
    cookie = browser.get_cookie("comptoir_session")
    other = two.test_client()
    other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    assert other.get("/admin/").status_code == 200
    answer = other.post(f"/admin/members/{member}/ticket/issue", data={"csrf_token": csrf_token(page)})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert _verify(two, _text_of(one, member)).serial == 0


def test_an_unknown_address_gets_the_same_decoy_passkey_on_every_server(servers):
    def decoy(app):
        client = app.test_client()
        page = client.get("/auth/sign-in").get_data(as_text=True)
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        answer = client.post(
            "/auth/passkey/options",
            json={"email": "nobody@example.org"},
            headers={"Accept": "application/json", "X-CSRFToken": token},
        )
        assert answer.status_code == 200
        return [credential["id"] for credential in answer.get_json()["options"]["allowCredentials"]]

    one, two = servers
    assert decoy(one) == decoy(two) and len(decoy(one)) == 1


def test_every_server_serves_the_same_push_key_kept_sealed_in_the_database(servers):
    one, two = servers
    served = one.test_client().get("/api/push/key").get_json()["public_key"]
    assert len(served) == 87
    assert two.test_client().get("/api/push/key").get_json()["public_key"] == served
    with one.app_context():
        (row,) = db.session.scalars(select(SealedKey)).all()
        assert row.name == "vapid" and "PRIVATE" not in row.sealed and served not in row.sealed
    _no_key_files(one, two)


def test_two_servers_starting_at_once_make_one_push_key_and_one_first_ticket_key(servers):
    one, two = servers
    members = {one: _member(one, "Awa"), two: _member(one, "Li")}
    barrier = threading.Barrier(2)
    keys: dict = {}
    errors: list = []

    def start(app):
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                keys[app] = application_server_key()
                barrier.wait(timeout=10)
                issue_ticket(db.session.get(Household, members[app]))
                db.session.commit()
        except Exception as exc:  # reported below: a thread's exception would otherwise be lost
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(app,)) for app in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert keys[one] == keys[two]
    with one.app_context():
        assert db.session.scalar(select(func.count()).select_from(SealedKey)) == 1
        assert db.session.scalars(select(TicketKey.id)).all() == [1]
    for app in (one, two):
        assert _verify(one, _text_of(two, members[app])).key_id == 1


def test_a_server_given_another_secret_says_so_instead_of_failing(servers, tmp_path):
    one, _two = servers
    member = _member(one)
    _issue(one, member)
    with one.app_context():
        token = db.session.get(Household, member).page_token
    served = one.test_client().get("/api/push/key").get_json()["public_key"]
    config = {key: one.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS")}
    wrong = _build(config, tmp_path / "wrong", SECRET_KEY="not-the-shared-secret")
    try:
        page = wrong.test_client().get(f"/m/{token}")
        assert page.status_code == 503
        assert "COMPTOIR_SECRET_KEY" in page.get_data(as_text=True)
        answer = wrong.test_client().get("/api/push/key")
        assert answer.status_code == 503 and answer.get_json()["error"]["reason"] == "sealed_keys_unreadable"
        refused = wrong.test_cli_runner().invoke(args=["tickets", "issue-missing"])
        assert refused.exit_code == 1 and "COMPTOIR_SECRET_KEY" in refused.output, refused.output
        assert "Traceback" not in refused.output
        checked = wrong.test_cli_runner().invoke(args=["secrets", "check"])
        assert checked.exit_code == 1 and "does not open with this server's secret key" in checked.output

        # The master secret changed on purpose: the old one as a fallback opens the keys, reseal seals them anew.
        rotated = _build(
            config, tmp_path / "rotated", SECRET_KEY="not-the-shared-secret", SECRET_KEY_FALLBACKS=[SHARED_SECRET]
        )
        assert rotated.test_client().get(f"/m/{token}").status_code == 200
        resealed = rotated.test_cli_runner().invoke(args=["secrets", "reseal"])
        assert resealed.exit_code == 0 and "2 keys sealed again" in resealed.output, resealed.output
        after = _build(config, tmp_path / "after", SECRET_KEY="not-the-shared-secret")
        assert after.test_client().get(f"/m/{token}").status_code == 200
        assert after.test_client().get("/api/push/key").get_json()["public_key"] == served
        assert "2 keys open" in after.test_cli_runner().invoke(args=["secrets", "check"]).output
        assert one.test_client().get(f"/m/{token}").status_code == 503
    finally:
        for app in (wrong,):
            with app.app_context():
                db.engine.dispose()


# Upgrading from instance files (before 0018_sealed_keys).


def _pem(key) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


@pytest.mark.parametrize("start", ["first request", "prepare"])
def test_an_upgrade_imports_the_instance_files_and_old_tickets_still_verify(empty_app, tmp_path, start):
    from py_vapid import Vapid02

    from tests.push_service import public_key_b64

    holder = empty_app  # the server that holds today's files in its instance folder
    ticket_key = Ed25519PrivateKey.generate()
    public = ticket_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    vapid = Vapid02()
    vapid.generate_keys()
    with holder.app_context():
        upgrade(revision="0017_distribution_checks")
        db.session.execute(
            text("INSERT INTO ticket_keys (id, public_key, created_at) VALUES (1, :public, :now)"),
            {"public": public, "now": "2026-01-05 10:00:00.000000"},
        )
        db.session.commit()
    folder = Path(holder.instance_path) / "ticket_keys"
    folder.mkdir(mode=0o700)
    (folder / f"1-{public[:8].hex()}.pem").write_bytes(_pem(ticket_key))
    (Path(holder.instance_path) / "vapid_private.pem").write_bytes(vapid.private_pem())
    old_ticket = tickets.sign(tickets.Ticket(key_id=1, member_id=7, serial=0, issued_on=ISSUED_ON), ticket_key)

    if start == "prepare":
        upgraded = holder.test_cli_runner().invoke(args=["prepare", "--no-demo"])
        assert upgraded.exit_code == 0 and "Imported into the database, sealed: ticket key 1" in upgraded.output
    else:
        upgraded = holder.test_cli_runner().invoke(args=["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        assert holder.test_client().get("/auth/sign-in").status_code == 200  # its first request imports the files
    config = {key: holder.config[key] for key in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")}
    config["SQLALCHEMY_ENGINE_OPTIONS"] = holder.config["SQLALCHEMY_ENGINE_OPTIONS"]
    other = _build(config, tmp_path / "other")  # a new server: no files at all
    try:
        with other.app_context():
            assert tickets.verify(old_ticket, public_keys()).key_id == 1
            again = tickets.Ticket(key_id=1, member_id=7, serial=0, issued_on=ISSUED_ON)
            assert tickets.sign(again, private_key(1)) == old_ticket
        assert other.test_client().get("/api/push/key").get_json()["public_key"] == public_key_b64(vapid.public_key)
        assert os.path.exists(folder / f"1-{public[:8].hex()}.pem")  # left in place, to delete after a backup
        again = holder.test_cli_runner().invoke(args=["secrets", "import"])
        assert again.exit_code == 0 and "nothing to import" in again.output, again.output
    finally:
        with other.app_context():
            db.engine.dispose()


def test_the_secret_and_its_fallbacks_come_from_the_environment(monkeypatch, tmp_path):
    from server.sealed import seal, unseal

    monkeypatch.setenv("COMPTOIR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    monkeypatch.setenv("COMPTOIR_SECRET_KEY", "new-secret")
    monkeypatch.setenv("COMPTOIR_SECRET_KEY_FALLBACKS", "old-one, old-two")
    app = create_app()
    assert app.config["SECRET_KEY"] == "new-secret" and not (tmp_path / "secret_key").exists()
    assert app.config["SECRET_KEY_FALLBACKS"] == ["old-one", "old-two"]
    with app.app_context():
        assert unseal(seal(b"a key", "vapid", secret="old-two"), "vapid", "the test key") == b"a key"
        assert seal(b"a key", "vapid") != seal(b"a key", "vapid")  # a fresh nonce each time
        assert unseal(seal(b"a key", "vapid"), "vapid", "x", secrets=["new-secret"]) == b"a key"
