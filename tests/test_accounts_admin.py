"""Seeing the money and the admin's own money actions (docs/accounts.md, "Admin actions", "Seeing it", "Accounting
exports"): real form posts on both databases; the statement's running balance, the members list, the receipts, the
member page and the exports' totals."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

import server.auth  # noqa: F401  (before server.audit: see the import cycle note in audit)
from server.admin.exports import cell
from server.clock import utcnow
from server.domain.account_actions import correct, top_up
from server.domain.ledger import post
from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    AuditEntry,
    Distribution,
    Household,
    NetworkSettings,
    Point,
    Tier,
    User,
)
from tests.helpers import csrf_token, sign_in_user

NOW = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)


@pytest.fixture
def world(app) -> dict[str, int]:
    with time_machine.travel(NOW, tick=False), app.app_context():
        tier = Tier(name="Tarif plein", share_percent=100)
        lognes = Point(name="Le Buisson", town="Lognes")
        torcy = Point(name="Maison de quartier", town="Torcy")
        awa = Household(first_name="Awa", last_name="Diallo", tier=tier, point=lognes)
        admin = User(email="admin@example.org", display_name="Valérie Roux", role="admin")
        coordinator = User(email="coord@example.org", display_name="Karim Benali", role="coordinator", points=[lognes])
        other = User(email="other@example.org", display_name="Léa Petit", role="coordinator", points=[torcy])
        distribution = Distribution(
            point=lognes, starts_at=datetime(2026, 12, 4, 17, 0, tzinfo=UTC), ends_at=NOW + timedelta(hours=2)
        )
        db.session.add_all([tier, lognes, torcy, awa, admin, coordinator, other, distribution])
        db.session.flush()
        issue_ticket(awa)
        post(awa.id, "allowance", 15000, "cycle_credit", period="2026-12", occurred_at=NOW - timedelta(days=3))
        post(
            awa.id,
            "allowance",
            -4160,
            "payment",
            event_id="e-1",
            subject_event_id="e-1",
            distribution_id=distribution.id,
            occurred_at=NOW - timedelta(hours=1),
        )
        db.session.commit()
        return {
            "awa": awa.id,
            "token": awa.page_token,
            "admin": admin.id,
            "coordinator": coordinator.id,
            "other": other.id,
            "lognes": lognes.id,
        }


def signed_in(app, client, user_id: int):
    sign_in_user(app, client, user_id)
    return client


def page_text(response) -> str:
    return response.get_data(as_text=True)


def post_form(client, household_id: int, action: str, data: dict, prefix: str):
    page = client.get(f"/admin/members/{household_id}/accounts")
    assert page.status_code == 200
    body = {f"{prefix}-{key}": value for key, value in data.items()}
    body[f"{prefix}-csrf_token"] = csrf_token(page_text(page))
    body["csrf_token"] = body[f"{prefix}-csrf_token"]
    return client.post(f"/admin/members/{household_id}/{action}", data=body)


def balances(app, household_id: int) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Account.kind, Account.balance_cents).where(Account.household_id == household_id)
        ).all()
        for kind, cents in rows:
            account = db.session.scalar(
                select(Account).where(Account.household_id == household_id, Account.kind == kind)
            )
            assert cents == account.movements_sum_cents()
        return dict(rows)


def test_a_top_up_by_cheque_gives_a_receipt_the_member_sees(app, client, world):
    admin = signed_in(app, client, world["admin"])
    response = post_form(
        admin, world["awa"], "top-up", {"amount": "20", "method": "cheque", "reference": "1234567"}, "top_up"
    )
    assert response.status_code == 302 and "/receipts/" in response.location
    receipt = page_text(admin.get(response.location))
    assert "Versement par chèque n°" in receipt and "1234567" in receipt and "20,00" in receipt
    assert "Valérie Roux" in receipt and "Awa Diallo" in receipt
    assert balances(app, world["awa"])["prepaid"] == 2000
    with app.app_context():
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.top_up")).all()
        assert entry.details["amount_cents"] == 2000 and entry.details["reference"] == "1234567"
        number = entry.details["movement"]
    audit = page_text(admin.get("/admin/audit/"))
    assert "a crédité 20,00" in audit and "Awa Diallo" in audit

    member = page_text(client.get(f"/m/{world['token']}"))
    assert "+20,00\u00a0€ versement par chèque n°\u00a01234567, reçu n°\u00a0" + str(number) in member
    assert "−41,60\u00a0€ retrait du 4\u00a0décembre à Lognes" in member
    assert "+150,00\u00a0€ allocation de décembre 2026" in member
    own = client.get(f"/m/{world['token']}/receipts/{number}")
    assert own.status_code == 200 and "1234567" in page_text(own)
    assert client.get(f"/m/{'x' * len(world['token'])}/receipts/{number}").status_code == 404


@pytest.mark.parametrize(
    ("action", "prefix", "data", "field", "message"),
    [
        ("top-up", "top_up", {"amount": "douze", "method": "cash"}, "amount", "Saisissez un montant en euros"),
        ("top-up", "top_up", {"amount": "0", "method": "cash"}, "amount", "plus de 0,00"),
        ("top-up", "top_up", {"amount": "20", "method": "cheque", "reference": ""}, "reference", "numéro du chèque"),
        ("top-up", "top_up", {"amount": "20", "method": "bitcoin"}, "method", "Choisissez"),
        ("refund", "refund", {"amount": "5", "method": "cash"}, "amount", "ne contient que 0,00"),
        (
            "correction",
            "correction",
            {"account": "allowance", "direction": "debit", "amount": "200"},
            "reason",
            "Dites pourquoi",
        ),
        (
            "correction",
            "correction",
            {"account": "allowance", "direction": "debit", "amount": "200", "reason": "Erreur"},
            "amount",
            "jamais en dessous de zéro",
        ),
        (
            "correction",
            "correction",
            {"account": "prepaid", "direction": "credit", "amount": "2", "reason": "x", "corrects": "999999"},
            "corrects",
            "pas sur ce compte",
        ),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(
    app, client, world, action, prefix, data, field, message
):
    admin = signed_in(app, client, world["admin"])
    before = balances(app, world["awa"])
    response = post_form(admin, world["awa"], action, data, prefix)
    assert response.status_code == 400
    page = page_text(response)
    assert f'id="{prefix}-{field}-error"' in page and message in page
    assert balances(app, world["awa"]) == before


def test_refund_and_correction_are_posted_and_audited(app, client, world):
    admin = signed_in(app, client, world["admin"])
    post_form(admin, world["awa"], "top-up", {"amount": "30,00", "method": "cash"}, "top_up")
    response = post_form(
        admin, world["awa"], "refund", {"amount": "12,5", "method": "cash", "reason": "Départ"}, "refund"
    )
    assert response.status_code == 302
    with app.app_context():
        payment = db.session.scalar(select(AccountMovement).where(AccountMovement.kind == "payment"))
        payment_id = payment.id
    response = post_form(
        admin,
        world["awa"],
        "correction",
        {
            "account": "allowance",
            "direction": "credit",
            "amount": "1,60",
            "reason": "Panier compté deux fois",
            "corrects": str(payment_id),
        },
        "correction",
    )
    assert response.status_code == 302
    assert balances(app, world["awa"]) == {"prepaid": 3000 - 1250, "allowance": 15000 - 4160 + 160}
    with app.app_context():
        correction = db.session.scalar(select(AccountMovement).where(AccountMovement.kind == "correction"))
        assert correction.corrects_id == payment_id and correction.actor_id == world["admin"]
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("account.%"))))
        assert actions == {"account.top_up", "account.refund", "account.correct"}
    page = page_text(admin.get(f"/admin/members/{world['awa']}/accounts"))
    assert "Correction\u00a0: Panier compté deux fois" in page and "Remboursement en espèces\u00a0: Départ" in page
    assert f"corrige le n°\u00a0{payment_id}" in page


def test_a_coordinator_tops_up_at_their_point_but_does_not_correct_or_reach_another(app, client, world):
    coordinator = signed_in(app, client, world["coordinator"])
    response = post_form(coordinator, world["awa"], "top-up", {"amount": "10", "method": "cash"}, "top_up")
    assert response.status_code == 302
    page = page_text(coordinator.get(f"/admin/members/{world['awa']}/accounts"))
    assert "Corriger un compte" not in page
    refused = post_form(
        coordinator,
        world["awa"],
        "correction",
        {"account": "prepaid", "direction": "credit", "amount": "5", "reason": "x"},
        "correction",
    )
    assert refused.status_code == 400 and "Seul un administrateur" in page_text(refused)
    assert balances(app, world["awa"])["prepaid"] == 1000
    client.post("/auth/sign-out", data={"csrf_token": csrf_token(page)})
    other = signed_in(app, app.test_client(), world["other"])
    assert other.get(f"/admin/members/{world['awa']}/accounts").status_code == 404


def test_the_statement_runs_its_balance_across_pages(app, client, world):
    with app.app_context():
        awa = db.session.get(Household, world["awa"])
        admin = db.session.get(User, world["admin"])
        for n in range(1, 46):
            with time_machine.travel(NOW + timedelta(minutes=n), tick=False):
                top_up(awa, n * 100, "cash", None, actor=admin)
        db.session.commit()
    admin = signed_in(app, client, world["admin"])
    total = sum(range(1, 46)) * 100
    seen = []
    for page in (1, 2, 3):
        html = page_text(admin.get(f"/admin/members/{world['awa']}/accounts?prepaid_page={page}"))
        section = html.split("Solde prépayé</h3>")[1].split("</article>")[0]
        rows = [row for row in section.split("<tr>")[2:]]
        seen += rows
        if page < 3:
            assert "Plus anciens" in section
    assert len(seen) == 45
    # Newest first: the first row's balance is the account's; each next one is the previous minus its amount.
    first = seen[0]
    assert _money(total) in first
    last = seen[-1]
    assert _money(100) in last.split('class="num"')[-1]


def _money(cents: int) -> str:
    euros = f"{cents // 100:,}".replace(",", "\u202f")
    return f"{euros},{cents % 100:02d}\u00a0€"


def test_members_list_sorts_and_filters_by_money_and_membership(app, client, world):
    with time_machine.travel(NOW, tick=False), app.app_context():
        NetworkSettings.current().membership_fee_cents = 1000  # the network asks a yearly fee
        tier = db.session.scalar(select(Tier))
        lognes = db.session.get(Point, world["lognes"])
        for n in range(30):
            household = Household(first_name=f"Jean{n:02d}", last_name="Martin", tier=tier, point=lognes)
            household.membership_paid_until = utcnow().date() + timedelta(days=300) if n % 2 else None
            db.session.add(household)
            db.session.flush()
            post(household.id, "prepaid", (n - 10) * 100, "opening")
        db.session.commit()
    with time_machine.travel(NOW, tick=False):  # the membership column is read for the day of the page
        admin = signed_in(app, client, world["admin"])
        highest = page_text(admin.get("/admin/members/?sort=prepaid_desc"))
        assert highest.index("Jean29") < highest.index("Jean28") and "Jean00" not in highest  # page 2
        negative = page_text(admin.get("/admin/members/?negative=1"))
        assert "10 résultats" in negative and "Jean09" in negative and "Jean10" not in negative
        assert "Diallo" not in negative
        due = page_text(admin.get("/admin/members/?due=1&sort=prepaid_asc"))
        assert "16 résultats" in due and "Jean01" not in due and "à renouveler" in due
        allowance = page_text(admin.get("/admin/members/?allowance=1"))
        assert "1 résultat" in allowance and "Diallo" in allowance and "108,40" in allowance
        second = page_text(admin.get("/admin/members/?sort=prepaid_desc&page=2"))
        assert "Jean00" in second


def test_the_exports_reconcile(app, client, world):
    with app.app_context():
        awa = db.session.get(Household, world["awa"])
        admin = db.session.get(User, world["admin"])
        with time_machine.travel(NOW + timedelta(days=1), tick=False):
            top_up(awa, 2000, "cheque", "=1+1", actor=admin)
        with time_machine.travel(NOW + timedelta(days=2), tick=False):
            correct(awa, "prepaid", 500, "debit", "Chèque rejeté", actor=admin)
        db.session.commit()
    admin = signed_in(app, client, world["admin"])
    response = admin.get("/admin/exports/movements.csv?from=2026-12-01&to=2026-12-05")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 1 + 3  # the correction of the 6th is after the period
    kinds = [row[6] for row in rows[1:]]
    assert kinds == [
        "Allocation de décembre 2026",
        "Retrait du 4\u00a0décembre à Lognes",
        "Versement par chèque n°\u00a0=1+1",
    ]
    assert [row[8] for row in rows[1:]] == ["15000", "-4160", "2000"]

    at_day = admin.get("/admin/exports/balances.csv?at=2026-12-05")
    rows = list(csv.reader(io.StringIO(at_day.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    accounts = {row[3]: int(row[5]) for row in rows[1:] if row[0]}
    assert accounts == {"Allocation solidaire": 10840, "Solde prépayé": 2000}
    totals = {row[1]: int(row[5]) for row in rows[1:] if not row[0]}
    assert totals["Total des soldes"] == totals["Total des mouvements"] == totals["Crédits moins dépenses"] == 12840
    assert totals["Crédits"] == 17000 and totals["Dépenses et autres débits"] == -4160

    later = admin.get("/admin/exports/balances.csv?at=2026-12-31")
    rows = list(csv.reader(io.StringIO(later.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    totals = {row[1]: int(row[5]) for row in rows[1:] if not row[0]}
    with app.app_context():
        assert totals["Total des soldes"] == db.session.scalar(select(func.sum(Account.balance_cents))) == 12340

    bad = admin.get("/admin/exports/balances.csv?at=demain")
    assert (bad.status_code == 400 and "n’est pas une date" in page_text(bad)) or "pas une date" in page_text(bad)
    assert admin.get("/admin/exports/movements.csv?from=2026-12-05&to=2026-12-01").status_code == 400


def test_negative_amounts_reach_the_spreadsheet_as_numbers(app, client, world):
    """A debit's euros column is ``-41,60``, not ``'-41,60`` (which a spreadsheet reads as text and won't add up);
    text starting with ``-`` or ``=`` is still defused."""
    with app.app_context():
        awa = db.session.get(Household, world["awa"])
        admin = db.session.get(User, world["admin"])
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            correct(awa, "prepaid", 1876, "debit", "-2+3 rejeté", actor=admin)
        db.session.commit()
    admin = signed_in(app, client, world["admin"])
    body = admin.get("/admin/exports/movements.csv?from=2026-12-01&to=2026-12-05").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert [row[7] for row in rows[1:]] == ["150,00", "-41,60", "-18,76"]
    assert "'-" not in body
    assert [cell(text) for text in ("-2+3", "=1+1", "-", "-18,76", "-1876")] == [
        "'-2+3",
        "'=1+1",
        "'-",
        "-18,76",
        "-1876",
    ]
    balances = admin.get("/admin/exports/balances.csv?at=2026-12-05").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(balances.lstrip("\ufeff")), delimiter=";"))
    prepaid = next(row for row in rows[1:] if row[3] == "Solde prépayé")
    assert prepaid[4:6] == ["-18,76", "-1876"]
    assert "'-" not in balances


def test_signed_amounts_read_one_way_everywhere(app, client, world):
    """Movements always carry their sign ("+50,00 €", "−18,76 €"), balances a true minus sign ("−7,00 €"), on the
    accounts page, the household's edit page and the member page; never a hyphen before an amount."""
    with app.app_context():
        awa = db.session.get(Household, world["awa"])
        admin = db.session.get(User, world["admin"])
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            top_up(awa, 5000, "cash", "", actor=admin)
            correct(awa, "prepaid", 5700, "debit", "Chèque rejeté", actor=admin)
        db.session.commit()
    admin = signed_in(app, client, world["admin"])
    pages = {
        "accounts": page_text(admin.get(f"/admin/members/{world['awa']}/accounts")),
        "edit": page_text(admin.get(f"/admin/members/{world['awa']}/edit")),
        "member": page_text(app.test_client().get(f"/m/{world['token']}")),
    }
    for name, page in pages.items():
        text = page.replace("\u202f", " ").replace("\xa0", " ")
        assert "−7,00 €" in text, name  # the prepaid balance after +50,00 and −57,00
        assert "+50,00 €" in text and "−57,00 €" in text, name
        assert not re.search(r"-\d+,\d\d €", text), (name, re.findall(r".{30}-\d+,\d\d €", text))


def test_no_membership_to_renew_where_the_network_asks_no_fee(app, client, world):
    """Without a fee (the default), nobody is "to renew": the members list and the household page say nothing of
    it, as the member page and the phone do; once a fee is set, the unpaid are."""
    with time_machine.travel(NOW, tick=False):
        admin = signed_in(app, client, world["admin"])
        assert "à renouveler" not in page_text(admin.get("/admin/members/"))
        assert "Adhésion à renouveler" not in page_text(admin.get(f"/admin/members/{world['awa']}/accounts"))
        with app.app_context():
            NetworkSettings.current().membership_fee_cents = 1500
            db.session.commit()
        assert "à renouveler" in page_text(admin.get("/admin/members/"))
        assert "Adhésion à renouveler" in page_text(admin.get(f"/admin/members/{world['awa']}/accounts"))
