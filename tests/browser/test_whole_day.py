"""A whole distribution day, end to end: real Chromium (the Debian package) at phone size, the real server behind
waitress on 127.0.0.1, the real database (SQLite, and PostgreSQL where a test says so), real tickets the server
issued read through Chromium's fake camera, a virtual passkey authenticator. Then what the admin's distribution log
shows of it, two phones handing over the same order without a network, the server going down during a sync, and the
network's week at the point (issue 15): a shortage recorded before members come, a line weighed at the hand-over, one
cheque per producer, extras sold to a member from his prepaid account and to an anonymous buyer in cash, then the
admin's log, producers' report (page and CSV), cheques by producer and prepaid account read after the sync.

The screens' own tests are ``test_volunteer_app.py``; this file reuses its distribution (``world``: four households
with the same order, Élodie with account balances, Jean-Luc's first ticket revoked) and its helpers."""

import csv
import io
import os
import re
import time
from pathlib import Path

import pytest
from babel.dates import format_date
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from server.domain.contract_orders import local_day
from server.domain.extras import set_extra
from server.domain.ledger import account_for, post
from server.extensions import db
from server.models import (
    Account,
    AccountMovement,
    Conflict,
    Distribution,
    Household,
    Order,
    OrderLine,
    Producer,
    Product,
    SyncedEvent,
    User,
)
from tests.browser import test_volunteer_app as screens
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, PORT
from tests.browser.shell import copy_built_pwa, qr_image, write_y4m
from tests.browser.test_pwa_data import run
from tests.browser.test_volunteer_app import PIN, POINT, World, open_by_code, open_by_name, point_id, start_day
from tests.browser.volunteer import (
    CAMERA_TIMEOUT_MS,
    DiesAfterCommit,
    Server,
    camera_args,
    camera_off,
    download_and_open,
    enrol_and_sign_in,
    enrolment_link,
    figure,
    forge_ticket,
    logged_event_ids,
    page_text,
    show_ticket,
    stored_outbox,
)
from tests.helpers import make_sign_in_token, sign_in_as_admin
from tests.phones import enrol_phone

SCREEN_WORDS = re.compile(r"null|undefined|NaN|None")
ADMIN = {"viewport": {"width": 1280, "height": 800}}
world = screens.world  # the screens' tests' distribution (a fixture), today at the Maison de quartier du Luzard


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the whole day runs on both backends (parametrized); the fault tests on SQLite


@pytest.fixture
def app_config(app_config, tmp_path) -> dict:
    # A private copy of the built app: a rebuild elsewhere meanwhile never changes what this test's phone runs.
    return app_config | {"PWA_DIST": str(copy_built_pwa(tmp_path / "dist"))}


@pytest.fixture
def server(app):
    """The app on the tests' port, in a server the test stops and starts again."""
    served = Server(app, PORT)
    yield served
    served.stop()


def admin_client(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in_as_admin(app, client, "admin@example.org")
    return client


def the_log(app, world: World) -> str:
    """The distribution's log as the admin reads it a minute after the sync: once cron looked for conflicts."""
    assert app.test_cli_runner().invoke(args=["sync", "check-conflicts"]).exit_code == 0
    answer = admin_client(app).get(f"/admin/distributions/{world.distribution}/log")
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def synced(app, world: World) -> list[SyncedEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(SyncedEvent).where(SyncedEvent.distribution_id == world.distribution).order_by(SyncedEvent.position)
        ).all()
        db.session.expunge_all()
        return rows


def open_account(app, household_id: int, kind: str, cents: int) -> None:
    with app.app_context():
        account = Account(household=db.session.get(Household, household_id), kind=kind)
        db.session.add_all([account, AccountMovement(account=account, amount_cents=cents, reason="Versement")])
        db.session.commit()


def launch_phone(browser, profile: Path, video: Path, base_url: str, *, offline: bool = False) -> BrowserContext:
    """A phone as a browser keeps it: a persistent profile (IndexedDB, the service worker and its caches survive
    a restart), a camera filming ``video``, 360×640."""
    return browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, *camera_args(video)],
        base_url=base_url,
        locale="fr-FR",
        offline=offline,
        **PHONE,
    )


def other_payment(page: Page) -> None:
    """Open the member screen's "Autre paiement": every method, split as wished."""
    page.get_by_text("Autre paiement").click()


def other_hand_over(page: Page) -> None:
    """Open the member screen's partial, substituted or refused hand-over."""
    page.get_by_text("Remise partielle, remplacement ou refus").click()


def confirm(page: Page, message: str) -> None:
    page.get_by_role("button", name="Valider la remise").click()
    expect(page.get_by_role("status").filter(has_text="Enregistré")).to_have_text(message)


def tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Écrans").get_by_role("button", name=name).click()


def sync_now(page: Page) -> None:
    page.get_by_role("button", name="Envoyer", exact=True).click()


# 1. The day.


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_whole_day_offline_with_a_browser_restart_then_the_admin_log(app, browser, server, world, tmp_path):
    open_account(app, world.members["Jean-Luc N."], "allowance", 2000)
    open_account(app, world.members["Elouan B."], "prepaid", 2500)
    link = enrolment_link(admin_client(app), "Téléphone du Luzard", point_id(app))
    profile, video = tmp_path / "profile", tmp_path / "camera.y4m"
    write_y4m(video, [qr_image(world.tickets["Élodie M."])])

    # Before leaving, online: enrolled from the admin's link, Victor signed in (passkey + PIN), the day downloaded.
    phone = launch_phone(browser, profile, video, server.start())
    page = phone.pages[0]
    enrol_and_sign_in(app, page, link, "victor@example.org", PIN)
    download_and_open(page, POINT, 4)

    # At the point: no network from here on.
    phone.set_offline(True)
    expect(page.locator("#network")).to_have_text("Hors connexion")
    tab(page, "Caisse")
    page.get_by_label("Fond de caisse à l’ouverture").fill("50")
    page.get_by_role("button", name="Enregistrer le fond de caisse").click()
    expect(page.get_by_role("status").filter(has_text="Fond de caisse")).to_have_text(
        "Fond de caisse enregistré : 50,00 €."
    )

    # Élodie's ticket, read by the camera: cash, 20 € handed over, change given.
    tab(page, "Scanner")
    page.get_by_role("button", name="Allumer la caméra").click()
    expect(page.get_by_role("heading", name="Élodie Martin", level=1)).to_be_visible(timeout=CAMERA_TIMEOUT_MS)
    page.get_by_label("Somme donnée", exact=True).fill("20")
    expect(page.locator("#quick-change")).to_have_text("Monnaie à rendre : 5,72 €")
    page.get_by_role("button", name="Tout remis · payé en espèces").click()  # one tap
    expect(page.get_by_role("status").filter(has_text="Enregistré")).to_have_text(
        "Enregistré : Élodie Martin — tout remis, payé : 14,28 €, monnaie à rendre : 5,72 €."
    )

    # A forged ticket: Élodie's, altered to name Awa. Refused, and the refusal recorded.
    show_ticket(page, video, forge_ticket(world.tickets["Élodie M."], world.members["Awa D."]))
    expect(page.get_by_role("heading", name="Ticket refusé")).to_be_visible(timeout=CAMERA_TIMEOUT_MS)
    expect(page.get_by_role("alert").filter(has_text="Ticket falsifié ou abîmé.")).to_be_visible()
    expect(page.get_by_text("Le refus est enregistré.")).to_be_visible()
    page.get_by_role("button", name="Ticket suivant").click()

    # Awa: part by card (the terminal's reference), the rest by cheque (its number).
    show_ticket(page, video, world.tickets["Awa D."])
    expect(page.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible(timeout=CAMERA_TIMEOUT_MS)
    other_payment(page)
    page.get_by_label("Montant par carte").fill("10")
    page.get_by_label("Référence du terminal de carte").fill("TPE 4471-0093")
    page.get_by_role("button", name="Le reste par chèque").click()
    expect(page.get_by_label("Montant par chèque", exact=True)).to_have_value("10,40")
    page.get_by_label("Numéro du chèque", exact=True).fill("0004521")
    confirm(page, "Enregistré : Awa Diallo — tout remis, payé : 20,40 €.")

    # Jean-Luc (his re-issued ticket) pays with his solidarity allowance, Elouan from his prepaid account.
    show_ticket(page, video, world.tickets["Jean-Luc N."])
    expect(page.get_by_role("heading", name="Jean-Luc Ngô", level=1)).to_be_visible(timeout=CAMERA_TIMEOUT_MS)
    other_payment(page)
    page.get_by_role("button", name="Le reste de l’allocation solidaire").click()
    expect(page.get_by_label("Montant de l’allocation solidaire")).to_have_value("14,28")
    confirm(page, "Enregistré : Jean-Luc Ngô — tout remis, payé : 14,28 €.")
    show_ticket(page, video, world.tickets["Elouan B."])
    expect(page.get_by_role("heading", name="Elouan Bréhat", level=1)).to_be_visible(timeout=CAMERA_TIMEOUT_MS)
    other_payment(page)
    page.get_by_role("button", name="Le reste du compte prépayé").click()
    expect(page.get_by_label("Montant du compte prépayé")).to_have_value("20,40")
    confirm(page, "Enregistré : Elouan Bréhat — tout remis, payé : 20,40 €.")
    camera_off(page)

    # Closing: the cash box holds the float and the cash taken.
    tab(page, "Caisse")
    page.get_by_label("Espèces comptées à la clôture").fill("64,28")
    page.get_by_role("button", name="Enregistrer le comptage de clôture").click()
    expect(page.get_by_role("definition").last).to_have_text("caisse juste")
    expect(page.locator("#sync-text")).to_contain_text("7 à envoyer")  # 12 events, 7 actions
    recorded = stored_outbox(page)
    assert [(event["type"], event["payload"].get("method")) for event in recorded] == [
        ("cash_count", None),
        ("handover", None),
        ("payment", "cash"),
        ("scan_refused", None),
        ("handover", None),
        ("payment", "cheque"),  # the methods in the network's order
        ("payment", "card"),
        ("handover", None),
        ("payment", "allowance"),
        ("handover", None),
        ("payment", "prepaid"),
        ("cash_count", None),
    ]
    assert recorded[3]["payload"] == {"reason": "bad_signature", "member_id": None}

    # The browser is closed (the phone's battery died, the app was swiped away) and opened again, still offline.
    # Offline for real: at its start the browser hands the service worker its pending Background Sync before the
    # context's offline emulation reaches the worker, so the server is down too.
    phone.close()
    server.stop()
    phone = launch_phone(browser, profile, video, server.url, offline=True)
    page = phone.pages[0]
    page.goto("/app/")
    expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()  # back on the open distribution
    expect(page.locator("#network")).to_contain_text("Hors connexion")
    expect(page.locator("#sync-text")).to_contain_text("7 à envoyer")  # 12 events, 7 actions
    assert stored_outbox(page) == recorded

    # Back in the network: the app syncs (by itself, or when asked), and the server has each event once.
    server.start()
    phone.set_offline(False)
    sync_now(page)
    expect(page.locator("#sync-text")).to_contain_text("Tout est envoyé")
    expect(page.locator("#sync-error")).to_be_hidden()
    assert stored_outbox(page) == []
    phone.close()
    rows = synced(app, world)
    assert [row.event_id for row in rows] == [event["id"] for event in recorded]
    assert [row.payload for row in rows] == [{**event["payload"]} for event in recorded]

    # The admin's log of the distribution: exactly these events, and what they add up to.
    html = the_log(app, world)
    assert sorted(logged_event_ids(html)) == sorted(event["id"] for event in recorded)
    assert (figure(html, "orders"), figure(html, "collected")) == ("4", "4")
    assert (figure(html, "partially_collected"), figure(html, "not_collected")) == ("0", "0")
    assert figure(html, "due") == figure(html, "paid") == "€69.36"
    assert figure(html, "method-cash") == "€14.28"
    assert figure(html, "method-cheque") == "€10.40"
    assert figure(html, "method-card") == "€10.00"
    assert figure(html, "method-prepaid") == figure(html, "prepaid") == "€20.40"
    assert figure(html, "method-allowance") == figure(html, "allowance") == "€14.28"
    assert figure(html, "solidarity") == "€12.24"  # Élodie's and Jean-Luc's 30 %
    text = page_text(html)
    assert "Téléphone du Luzard €50.00 €14.28 €64.28 €64.28 €0.00" in text
    assert "Tickets refused: forged or altered ticket (1)" in text
    assert "TPE 4471-0093" in text and "0004521" in text
    assert "No conflict: the phones' events agree." in text


# 2. Two phones, one order.


def pulled_from_others(page: Page) -> int:
    """How many events of other phones this phone holds (its log's entries that are not its own)."""
    return run(page, "return (await store.database()).getAll('log').then((log) => log.filter((e) => !e.own).length);")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_phones_offline_hand_over_the_same_order_and_the_admin_sees_the_conflict(app, browser, live_server, world):
    phones = []
    for _ in range(2):
        page = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR").new_page()
        start_day(app, page, world)
        page.context.set_offline(True)
        phones.append(page)

    # Awa goes to one volunteer, then, the queue being long, to the other: neither phone can know.
    for page, method in zip(phones, ["Le reste en espèces", "Le reste par carte"], strict=True):
        open_by_name(page, "awa", "Awa D.")
        expect(page.get_by_role("alert").filter(has_text="DÉJÀ REMIS")).to_have_count(0)
        other_payment(page)
        page.get_by_role("button", name=method).click()
        confirm(page, "Enregistré : Awa Diallo — tout remis, payé : 20,40 €.")

    for page in phones:
        page.context.set_offline(False)
        sync_now(page)
        expect(page.locator("#sync-text")).to_contain_text("Tout est envoyé")
    # The first phone hears about the second's hand-over: by this sync, or by one of its own (back online, every
    # minute, the service worker's) that got there first on a busy machine, which then says "Rien de nouveau".
    sync_now(phones[0])
    status = phones[0].get_by_role("status").filter(has_text=re.compile("reçus des autres téléphones|Rien de nouveau"))
    expect(status).to_have_count(1)
    # The "Rien de nouveau" may still be that of the sync that ran before the second phone's upload: wait for this one.
    deadline = time.monotonic() + 15
    while pulled_from_others(phones[0]) != 2:
        assert time.monotonic() < deadline, f"the first phone holds {pulled_from_others(phones[0])} events of others"
        phones[0].wait_for_timeout(100)
    for page in phones:
        page.context.close()

    rows = synced(app, world)
    assert [row.type for row in rows] == ["handover", "payment"] * 2
    assert len({row.device_id for row in rows}) == 2
    html = the_log(app, world)
    text = page_text(html)
    assert figure(html, "collected") == "1" and figure(html, "paid") == "€40.80"
    assert "Order handed over twice · To resolve" in text
    assert "The order of Awa Diallo was handed over twice." in text
    assert "€40.80 was paid for €20.40 due: €20.40 too much." in text  # the overpayment is part of it
    assert "Paid more than due" not in text
    with app.app_context():
        kinds = sorted(db.session.scalars(select(Conflict.kind).where(Conflict.distribution_id == world.distribution)))
    assert kinds == ["double_handover"]


# 3. The server goes down during a sync.


def record_a_few_events(page: Page, world: World) -> list[dict]:
    """Three members, five events, offline."""
    open_by_code(page, world.codes["Élodie M."])
    other_payment(page)
    page.get_by_role("button", name="Le reste en espèces").click()
    confirm(page, "Enregistré : Élodie Martin — tout remis, payé : 14,28 €.")
    open_by_code(page, world.codes["Awa D."])
    other_payment(page)
    page.get_by_role("button", name="Le reste par carte").click()
    confirm(page, "Enregistré : Awa Diallo — tout remis, payé : 20,40 €.")
    open_by_name(page, "elouan", "Elouan B.")
    other_hand_over(page)
    page.get_by_role("radio", name="Refusé : rien remis").check()
    confirm(page, "Enregistré : Elouan Bréhat — refusé.")
    expect(page.locator("#sync-text")).to_contain_text("3 à envoyer")  # 5 events, 3 members
    return stored_outbox(page)


@pytest.mark.parametrize("fault", ["down", "dies_after_commit"])
def test_the_server_stops_during_a_sync_and_restarts_nothing_lost_nothing_doubled(app, browser, server, world, fault):
    base = server.start()
    context = browser.new_context(**PHONE, base_url=base, locale="fr-FR")
    page = context.new_page()
    answers: list[dict] = []  # every answer to an upload, the page's and the service worker's
    context.on("response", lambda r: answers.append(r.json()) if r.url.endswith("/api/events") else None)
    start_day(app, page, world)
    page.context.set_offline(True)
    recorded = record_a_few_events(page, world)
    ids = [event["id"] for event in recorded]

    server.stop()
    if fault == "dies_after_commit":
        # The server takes the upload, commits it, and dies before its answer leaves.
        fault_injector = DiesAfterCommit(app, server)
        server.start(fault_injector)
    page.context.set_offline(False)
    sync_now(page)
    failure = page.get_by_role("alert").filter(has_text="Le serveur")
    expect(failure).to_contain_text("Rien n’est perdu")
    expect(page.locator("#sync-text")).to_contain_text("3 à envoyer")  # 5 events, 3 members
    if fault == "dies_after_commit":
        assert fault_injector.tripped.is_set()
        server.stop()
        assert [row.event_id for row in synced(app, world)] == ids  # stored, though the phone never heard so
    else:
        assert synced(app, world) == []
    assert answers == []  # no answer ever reached the phone
    assert stored_outbox(page) == recorded

    # A new server process on the same port, the same database: the phone sends again.
    server.start()
    sync_now(page)
    expect(page.locator("#sync-text")).to_contain_text("Tout est envoyé")
    assert stored_outbox(page) == []
    context.close()
    assert [row.event_id for row in synced(app, world)] == ids  # each event once
    statuses = [result["status"] for answer in answers for result in answer["results"]]
    expected = "duplicate" if fault == "dies_after_commit" else "accepted"
    assert statuses == [expected] * len(ids)


def test_the_server_helper_really_stops(app, server):
    """What the fault test relies on: once stopped, nothing answers on the port, open connections included."""
    import http.client

    server.start()
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
    connection.request("GET", "/app/")
    assert connection.getresponse().read()
    server.stop()
    with pytest.raises(OSError):
        connection.request("GET", "/app/")
        connection.getresponse()
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", PORT, timeout=5).request("GET", "/app/")
    server.start()
    fresh = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
    fresh.request("GET", "/app/")
    assert fresh.getresponse().status == 200


# 4. The network's week at the point: a shortage, a weight, extras, one cheque per producer.


def week_at_the_point(app, world: World) -> dict[str, int]:
    """Set before the phone downloads the day: the basket is the Ferme du Luzard's (cheques to "EARL du Luzard"),
    the eggs and the honey Les Œufs de Brou's, the Comté the Fromagerie des Monts', the Brie the Ferme de Meaux's;
    Awa also ordered about 500 g of Comté at 24,50 €/kg, Jean-Luc about 300 g of Brie at 22,00 €/kg; three jars of
    honey (6,50 €) are on sale as extras; Elouan put 50,00 € on his prepaid account and paid his whole order from it
    (20,40 €) the day before, from another phone."""
    with app.app_context():
        farm = Producer(name="Ferme du Luzard", cheque_payee="EARL du Luzard")
        hens = Producer(name="Les Œufs de Brou")
        dairy = Producer(name="Fromagerie des Monts")
        meaux = Producer(name="Ferme de Meaux")
        db.session.add_all([farm, hens, dairy, meaux])
        db.session.flush()
        db.session.get(Product, world.basket).producer_id = farm.id
        db.session.get(Product, world.eggs).producer_id = hens.id
        cheese = Product(code="COMTE", name="Comté", unit_price_cents=2450, sold_by="kg", producer_id=dairy.id)
        honey = Product(code="MIEL", name="Miel de fleurs", unit="pot", unit_price_cents=650, producer_id=hens.id)
        brie = Product(code="BRIE", name="Brie de Meaux", unit_price_cents=2200, sold_by="kg", producer_id=meaux.id)
        db.session.add_all([cheese, honey, brie])
        db.session.flush()
        awa = db.session.get(Order, world.orders["Awa D."])
        awa.lines.append(OrderLine(product=cheese, quantity=500, unit_price_cents=2450))
        jean_luc = db.session.get(Order, world.orders["Jean-Luc N."])
        jean_luc.lines.append(OrderLine(product=brie, quantity=300, unit_price_cents=2200))
        set_extra(db.session.get(Distribution, world.distribution), honey.id, 3, actor=None)
        post(world.members["Elouan B."], "prepaid", 5000, "opening")
        victor = db.session.scalar(select(User.id).where(User.email == "victor@example.org"))
        db.session.commit()
        ids = {"farm": farm.id, "hens": hens.id, "dairy": dairy.id, "cheese": cheese.id, "honey": honey.id}
        ids |= {"meaux": meaux.id, "brie": brie.id}
    other = enrol_phone(app, [point_id(app)], victor, name="Téléphone de Sami")
    paid = other.record(
        "payment",
        {"order_id": world.orders["Elouan B."], "amount_cents": 2040, "method": "prepaid", "from_prepaid_cents": 2040},
        world.distribution,
    )
    assert other.push([paid]).status_code == 200
    return ids


def money_fr(cents: int) -> str:
    """An amount as the French screens write it: "26,76 €"."""
    return f"{cents // 100},{cents % 100:02d} €"


def balance(app, household_id: int, kind: str) -> int:
    with app.app_context():
        return account_for(household_id, kind).balance_cents


def shot(page: Page, name: str) -> None:
    if folder := os.environ.get("COMPTOIR_SHOTS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_networks_week_offline_shortage_weight_extras_and_cheques_then_the_admin_checks(
    app, browser, live_server, world
):
    """Offline at the point, then the admin checks every figure against what the rules give, computed here in cents
    from the data: a shortage, a substitution (Brie for the Comté, priced), a weight, extras, cheques."""
    ids = week_at_the_point(app, world)
    with app.app_context():
        basket_cents, eggs_cents, honey_cents = (
            db.session.get(Product, product).unit_price_cents for product in (world.basket, world.eggs, ids["honey"])
        )
    page = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR").new_page()
    start_day(app, page, world)
    page.context.set_offline(True)  # at the point

    # Before members come: the hen house called, no eggs today.
    tab(page, "Listes")
    page.get_by_text("Manquants (livraison incomplète)", exact=True).click()
    page.get_by_label("Produit manquant").select_option(label="Œufs plein air ×6")
    page.get_by_label("Quantité livrée pour ceux qui n’ont pas encore récupéré (0 : rien)").fill("0")
    page.get_by_role("button", name="Enregistrer le manquant").click()
    page.get_by_role("dialog").get_by_role("button", name="Oui, enregistrer").click()
    expect(page.locator("#message")).to_have_text("Manquant enregistré : Œufs plein air ×6.")
    shot(page, "week-shortage")

    # The cheese maker brought no Comté: Brie de Meaux instead, at its price in the pack, 22,00 €/kg.
    page.get_by_text("Remplacements (un produit pour un autre)", exact=True).click()
    page.get_by_label("Produit remplacé").select_option(label="Comté")
    page.get_by_label("Remplacé par").select_option(label="Brie de Meaux")
    expect(page.get_by_label("Prix plein du remplaçant")).to_have_value("22,00")
    page.get_by_role("button", name="Enregistrer le remplacement").click()
    page.get_by_role("dialog", name="Remplacer Comté par Brie de Meaux ?").get_by_role(
        "button", name="Oui, enregistrer"
    ).click()
    expect(page.locator("#message")).to_have_text("Remplacement enregistré : Comté → Brie de Meaux.")
    expect(page.locator("#substitutions li")).to_have_text(["Comté → Brie de Meaux à 22,00 €/kg"])
    shot(page, "week-substitution")

    # Awa (full price): her basket, 15,00 €, and Brie for her Comté weighed, 480 g × 22,00 €/kg = 10,56 €; no eggs.
    # Two cheques, one per producer: the Brie's.
    cheese_cents = (480 * 2200 + 500) // 1000  # sync.pricing: grams × price per kg, to the nearest cent
    open_by_code(page, world.codes["Awa D."])
    expect(page.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()
    expect(page.locator(".to-hand-over")).to_contain_text("Manquant : Œufs plein air ×6, 0 sur la commande de 2.")
    expect(page.locator(".to-hand-over")).to_contain_text("Remplacé : Comté → Brie de Meaux à 22,00 €/kg.")
    page.get_by_label("Poids de « Brie de Meaux » (commandé ≈ 500 g)").fill("480")
    expect(page.locator("#to-collect")).to_have_text(money_fr(1500 + cheese_cents))
    shot(page, "week-awa-weighed")
    page.get_by_label(re.compile("^N° du chèque à l’ordre d’EARL du Luzard : 15,00\\s€$")).fill("0001234")
    page.get_by_label(re.compile("^N° du chèque à l’ordre de Ferme de Meaux : 10,56\\s€$")).fill("0005678")
    shot(page, "week-awa")
    page.get_by_role("button", name="Tout remis · payé par 2 chèques").click()
    expect(page.get_by_role("status").filter(has_text="Enregistré")).to_have_text(
        f"Enregistré : Awa Diallo — tout remis, payé : {money_fr(1500 + cheese_cents)}."
    )

    # Elouan paid 20,40 € yesterday: the eggs' 5,40 € come back to his prepaid account; nothing to collect. He buys
    # two jars of honey from his prepaid account.
    open_by_code(page, world.codes["Elouan B."])
    expect(page.get_by_role("heading", name="Elouan Bréhat", level=1)).to_be_visible()
    expect(
        page.get_by_text("Produit manquant : 5,40 € payés avant reviennent sur les comptes du foyer.")
    ).to_be_visible()
    shot(page, "week-elouan")
    page.get_by_role("button", name="Tout remis · rien à encaisser").click()
    expect(page.get_by_role("status").filter(has_text="Enregistré")).to_contain_text("Elouan Bréhat — tout remis")
    open_by_code(page, world.codes["Elouan B."])
    # Handed over: his basket as the shortage left it, no eggs.
    expect(page.get_by_role("heading", name="Déjà remis par ce téléphone")).to_be_visible()
    expect(page.locator(".to-hand-over")).to_contain_text("Manquant : Œufs plein air ×6, 0 sur la commande de 2.")
    expect(page.locator(".to-hand-over li")).to_have_text(["1 × Panier de légumes M"])
    page.get_by_text("Vendre des extras", exact=True).click()
    page.locator("#sale").get_by_label(re.compile("^Miel de fleurs")).fill("2")
    page.locator("#sale").get_by_role("radio", name="Compte prépayé").check()
    expect(page.locator("#sale-total")).to_have_text("13,00 €")
    shot(page, "week-elouan-sale")
    page.get_by_role("button", name="Enregistrer la vente").click()
    page.get_by_role("dialog", name="Enregistrer la vente ?").get_by_role("button", name="Oui, enregistrer").click()
    expect(page.locator("#message")).to_have_text("Enregistré : Vente d’extras de 13,00 € à Elouan Bréhat.")

    # Someone passing by buys the last jar, in cash.
    shot(page, "week-after-sale")
    tab(page, "Scanner")
    page.get_by_text("Vente d’extras sans adhérent", exact=True).click()
    expect(page.locator(f"#anon-sale-about-{ids['honey']}")).to_have_text("6,50 € pièce · reste 1")
    page.locator(f"#anon-sale-qty-{ids['honey']}").fill("1")
    page.locator("#anon-sale-confirm").click()
    page.get_by_role("dialog", name="Enregistrer la vente ?").get_by_role("button", name="Oui, enregistrer").click()
    expect(page.locator("#message")).to_contain_text("Enregistré : Vente d’extras de 6,50 € à un acheteur anonyme")

    recorded = stored_outbox(page)
    assert [event["type"] for event in recorded] == [
        "shortage",
        "substitution",
        "handover",
        "payment",
        "payment",
        "handover",
        "sale",
        "sale",
    ]

    # Back in the network.
    page.context.set_offline(False)
    sync_now(page)
    expect(page.locator("#sync-text")).to_contain_text("Tout est envoyé")
    assert [row.event_id for row in synced(app, world)][-len(recorded) :] == [event["id"] for event in recorded]

    # The admin, at 1280×800.
    admin = page.context.browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR").new_page()
    admin.goto(f"/auth/link/{make_sign_in_token(app, 'coordination@example.org')}")
    admin.get_by_role("button", name="Se connecter").click()
    # The log says each event in words.
    admin.goto(f"/admin/distributions/{world.distribution}/log")
    timeline = admin.locator("table.timeline").inner_text().replace("\xa0", " ")  # "15,00 €": a no-break space
    for words in [
        "Manquant\tŒufs plein air ×6 · rien livré",
        "Remplacé\tComté → Brie de Meaux à 22,00 €/kg pour les commandes pas encore remises",
        "Awa Diallo · Tout · pesé : Brie de Meaux (480 g) · la commande",
        "Awa Diallo · 15,00 € · Chèque (0001234) · ordre : EARL du Luzard · la commande",
        f"Awa Diallo · {money_fr(cheese_cents)} · Chèque (0005678) · ordre : Ferme de Meaux · la commande",
        "Elouan Bréhat · Tout · la commande",
        f"Vente d'extras\tElouan Bréhat · 2 × Miel de fleurs · {money_fr(2 * honey_cents)} · Solde prépayé",
        f"Vente d'extras\tAcheteur anonyme · 1 × Miel de fleurs · {money_fr(honey_cents)} · Espèces",
    ]:
        assert words in timeline, words
    assert set(logged_event_ids(admin.content())) >= {event["id"] for event in recorded}
    assert admin.get_by_text(SCREEN_WORDS).count() == 0
    shot(admin, "week-log")

    # The producers' report: the shortage, the substitution, the weight's amount, what each producer is owed (the
    # full price of what was handed over: Awa and Elouan pay the full price, no solidarity share). The Comté did not
    # come (not owed); the Brie given in its place is owed to its farm, Jean-Luc's 300 g still to collect.
    admin.goto(f"/admin/distributions/{world.distribution}/producers")
    expected = {
        "Ferme de Meaux": ["0,3 kg", "0,48 kg", "0 kg", "0 kg", "0,3 kg", "0 kg", money_fr(cheese_cents), "0,00 €"],
        "Ferme du Luzard": ["4", "2", "0", "0", "2", "0", money_fr(2 * basket_cents), "0,00 €"],
        "Fromagerie des Monts": ["0,5 kg", "0 kg", "0,5 kg", "0 kg", "0 kg", "0 kg", "0,00 €", "0,00 €"],
        # The honey sold as extras (3 jars, at full price), then the eggs: none came, none owed.
        "Les Œufs de Brou": [
            *["0", "0", "0", "0", "0", "3", money_fr(3 * honey_cents), "0,00 €"],
            *["8", "0", "8", "0", "0", "0", "0,00 €", "0,00 €"],
        ],
    }
    for producer, cells in expected.items():
        report = admin.locator("section.producer-report").filter(has_text=producer)
        expect(report.locator("tbody tr td.num")).to_have_text(cells)
    assert admin.get_by_text(SCREEN_WORDS).count() == 0
    shot(admin, "week-producers")
    answer = admin.context.request.get(f"/admin/distributions/{world.distribution}/producers.csv")
    assert answer.ok
    rows = list(csv.reader(io.StringIO(answer.text().lstrip("\ufeff")), delimiter=";"))
    basket = basket_cents
    assert [[*row[3:13], row[15]] for row in rows[1:]] == [
        ["Ferme de Meaux", "BRIE", "Brie de Meaux", "kg", "300", "480", "0", "0", "300", "0", str(cheese_cents)],
        ["Ferme du Luzard", "LEG-M", "Panier de légumes M", "piece", "4", "2", "0", "0", "2", "0", str(2 * basket)],
        ["Fromagerie des Monts", "COMTE", "Comté", "kg", "500", "0", "500", "0", "0", "0", "0"],
        ["Les Œufs de Brou", "MIEL", "Miel de fleurs", "piece", "0", "0", "0", "0", "0", "3", str(3 * honey_cents)],
        ["Les Œufs de Brou", "OEUF-6", "Œufs plein air ×6", "piece", "8", "0", "8", "0", "0", "0", "0"],
    ]

    # The cheques, by producer.
    admin.goto("/admin/cheques/")
    by_producer = admin.locator("#cheques-by-producer tbody tr")
    expect(by_producer).to_have_count(2)
    expect(by_producer.nth(0)).to_have_text(
        re.compile(rf"Ferme de Meaux\s+Ferme de Meaux\s+1\s+{money_fr(cheese_cents)[:-2]}\s€")
    )
    expect(by_producer.nth(1)).to_have_text(re.compile(r"Ferme du Luzard\s+EARL du Luzard\s+1\s+15,00\s€"))
    expect(admin.locator("#cheques tbody tr")).to_have_count(2)
    shot(admin, "week-cheques")

    # Elouan's prepaid account: 50,00 € put in, his order paid the day before, the eggs that did not come given back,
    # the honey: exactly that, on the server and on his page.
    prepaid = 5000 - (basket_cents + 2 * eggs_cents) + 2 * eggs_cents - 2 * honey_cents
    assert balance(app, world.members["Elouan B."], "prepaid") == prepaid == 2200
    admin.goto(f"/admin/members/{world.members['Elouan B.']}/accounts")
    expect(admin.locator("main")).to_contain_text(f"Solde prépayé : {money_fr(prepaid)}")
    with app.app_context():
        day = format_date(local_day(db.session.get(Distribution, world.distribution)), "d MMMM", locale="fr")
    expect(admin.locator("main")).to_contain_text(
        f"Produit manquant le {day} à Noisiel : payé avant, rendu sur le compte"
    )
    assert admin.get_by_text(SCREEN_WORDS).count() == 0
    shot(admin, "week-member")
    admin.context.close()
    page.context.close()
