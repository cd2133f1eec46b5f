"""Finding a member without a ticket, and the pack leaving the phone once the day is over, in real Chromium at phone
size against the real server: a volunteer types any part of a first or last name (accents and case ignored) and
gets every expected member it fits, full names ordered by last name as on the paper sign-off sheet, namesakes told
apart by what they can confirm (their basket, else their member number), never by an amount alone. The lists show
the same names in the same order. Once the distribution has ended (plus the grace, ``WIPE_GRACE`` in packs.js) and
the phone has sent everything it recorded, the pack (names, orders, balances, ticket keys) is deleted from the
phone and the distributions list says so; an unsent event keeps it."""

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.clock import utcnow
from server.domain.devices import create_enrolment
from server.extensions import db
from server.models import Distribution, NetworkSettings, Point, SyncedEvent, User
from tests.browser import test_volunteer_app as screens
from tests.browser.shell import copy_built_pwa
from tests.browser.test_volunteer_app import POINT, start_day
from tests.browser.volunteer import download_and_open, enrol_and_sign_in
from tests.factories.primitives import (
    basket,
    distribution,
    eggs,
    full_tier,
    households,
    member_of,
    order,
    solidarity_tier,
    tickets,
)

PIN = "1357"
SHOTS = Path(os.environ.get("COMPTOIR_SHOTS", "/tmp/shots/search"))
GRACE = timedelta(hours=6)  # WIPE_GRACE_MS in pwa/src/packs.js

# (first name, last name, basket only?, tier): three João M., two of them João Martins with different baskets; two
# Awa Diallo with the same basket and tier (told apart by their number only).
PEOPLE = [
    ("Joël", "Grondin", False, "solidaire"),
    ("Ana", "Gonçalves", False, "plein"),
    ("João", "Martins", False, "solidaire"),
    ("João", "Martins", True, "plein"),
    ("João", "Martinez", False, "plein"),
    ("Awa", "Diallo", False, "solidaire"),
    ("Awa", "Diallo", False, "solidaire"),
    ("Jean-Luc", "N'Diaye", False, "plein"),
    ("Élodie", "Le Gall", False, "solidaire"),
]


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def app_config(app_config, tmp_path) -> dict:
    return app_config | {"PWA_DIST": str(copy_built_pwa(tmp_path / "dist"))}


world = screens.world  # the screens' four households (for the wipe)


@pytest.fixture
def namesakes(app) -> dict[str, list[int]]:
    """A point with a distribution under way and the nine households of PEOPLE, each with an order and a ticket;
    Victor, volunteer of the point. Full name → household ids, in PEOPLE's order."""
    with app.app_context():
        settings = NetworkSettings.current()
        settings.payment_methods = ["cash", "cheque"]
        point = Point(name=POINT, town="Noisiel")
        tiers = {"solidaire": solidarity_tier(), "plein": full_tier()}
        basket_m, box_of_eggs = basket(), eggs()
        here = distribution(point, utcnow(), starts_in=-timedelta(minutes=30), lasting=timedelta(minutes=90))
        members = households(point, [(first, last, tiers[tier]) for first, last, _, tier in PEOPLE])
        orders = [
            order(here, h, [(basket_m, 1)] if only else [(basket_m, 1), (box_of_eggs, 2)])
            for h, (_, _, only, _) in zip(members, PEOPLE, strict=True)
        ]
        admin = User(email="admin@example.org", role="admin")
        db.session.add_all([*orders, admin, member_of(point, "volunteer", "victor@example.org", "Victor")])
        db.session.flush()
        tickets(members)
        db.session.commit()
        found: dict[str, list[int]] = {}
        for h in members:
            found.setdefault(f"{h.first_name} {h.last_name}", []).append(h.id)
        return found


def ready(app, page: Page) -> None:
    """Enrol the phone, sign Victor in, download and open the day's distribution (nine members)."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        point = db.session.scalar(select(Point).where(Point.name == POINT))
        _offer, token = create_enrolment(admin, "Téléphone du Luzard", [point])
        db.session.commit()
    enrol_and_sign_in(app, page, f"/app/enrol#{token}", "victor@example.org", PIN)
    download_and_open(page, POINT, len(PEOPLE))


def search(page: Page, typed: str):
    page.get_by_label("Rechercher par nom").fill(typed)
    return page.get_by_role("list", name="Résultats de la recherche").get_by_role("button")


AMOUNT = re.compile(r"\d[\d\u202f\xa0 ]*,\d\d\s?€")


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_a_member_is_found_by_any_part_of_their_name_and_namesakes_are_told_apart(app, phone, namesakes):
    ready(app, phone)

    # Last names, with or without their accents, in any case: "grondin" and "Gonçalves" were not found.
    for typed in ("GRON", "Grondin", "grondin"):
        expect(search(phone, typed).locator("strong")).to_have_text(["Joël Grondin"])
    shoot(phone, "grondin")
    for typed in ("goncalves", "GONÇ", "ana gon", "gonçalves"):
        expect(search(phone, typed).locator("strong")).to_have_text(["Ana Gonçalves"])
    shoot(phone, "goncalves")
    # Compound names: each part, or all of it without the hyphen, apostrophe or space.
    for typed in ("ndiaye", "n'diaye", "diaye", "jean luc", "jeanluc", "luc"):
        expect(search(phone, typed).locator("strong")).to_have_text(["Jean-Luc N'Diaye"])
    for typed in ("le gall", "legall", "gall", "elodie"):
        expect(search(phone, typed).locator("strong")).to_have_text(["Élodie Le Gall"])
    # The words in any order.
    expect(search(phone, "martins joao").locator("strong")).to_have_text(["João Martins", "João Martins"])

    # "joao": three João M. were three identical buttons told apart only by the amount due. Now: full names, by
    # last name; the two João Martins by their basket; nothing about tiers.
    results = search(phone, "joao")
    expect(results.locator("strong")).to_have_text(["João Martinez", "João Martins", "João Martins"])
    texts = results.all_inner_texts()
    assert len({AMOUNT.sub("", text) for text in texts}) == 3, texts  # apart without the amounts
    both = sorted(texts[1:], key=lambda text: "Œufs" in text)
    assert "1 × Panier de légumes M\n" in both[0] and "1 × Panier de légumes M, 2 × Œufs plein air ×6" in both[1]
    assert "Panier" not in texts[0], texts  # the only João Martinez needs no more
    assert not any("Tarif" in text or "solidaire" in text for text in texts), texts
    shoot(phone, "joao")

    # Two Awa Diallo with the same basket: their member numbers.
    results = search(phone, "awa")
    expect(results.locator("strong")).to_have_text(["Awa Diallo", "Awa Diallo"])
    texts = results.all_inner_texts()
    first, second = namesakes["Awa Diallo"]
    assert len(texts) == 2 and f"n° {first}" in texts[0] and f"n° {second}" in texts[1], texts
    assert len({AMOUNT.sub("", text) for text in texts}) == 2, texts

    # Nobody: the message says so.
    expect(search(phone, "zzz")).to_have_count(0)
    expect(phone.get_by_text("Aucune commande à ce nom à cette distribution.")).to_be_visible()

    # The chosen João Martins is the one with the basket only.
    search(phone, "joao martins").filter(has_not_text="Œufs").click()
    expect(phone.get_by_role("heading", name="João Martins", level=1)).to_be_visible()
    basket_region = phone.get_by_role("region", name="À remettre")
    expect(basket_region).to_contain_text("1 × Panier de légumes M")
    expect(basket_region).not_to_contain_text("Œufs")


def test_the_lists_show_full_names_by_last_name_as_the_search_does(app, phone, namesakes):
    ready(app, phone)
    phone.get_by_role("button", name="Listes").click()
    waiting = phone.get_by_role("list", name="Pas encore remis").get_by_role("button")
    expect(waiting.locator("strong")).to_have_text(
        [
            "Awa Diallo",
            "Awa Diallo",
            "Ana Gonçalves",
            "Joël Grondin",
            "Élodie Le Gall",
            "João Martinez",
            "João Martins",
            "João Martins",
            "Jean-Luc N'Diaye",
        ]
    )
    texts = waiting.all_inner_texts()
    assert len({AMOUNT.sub("", text) for text in texts}) == len(PEOPLE), texts

    # The index itself: more than shown is counted; a pack of format 1 (display names only, still on a phone after
    # the app's update) is searched and ordered by that name.
    found = phone.evaluate(
        """async () => {
            const packs = await import('/assets/packs.js');
            const state = await import('/assets/store.js');
            const db = await state.database();
            const [record] = await db.getAll('packs');
            const index = packs.buildIndex(record.pack);
            const old = packs.buildIndex({ ...record.pack, format_version: 1, members: record.pack.members.map(
                ({ first_name, last_name, ...member }) => member) });
            return {
                some: index.find('jo', 2),
                old: old.search('joao m').map((m) => packs.fullName(m)),
                oldLast: old.search('martins').length,
            };
        }"""
    )
    assert found["some"]["total"] == 4  # Joël Grondin, João Martinez, João Martins ×2: the first two shown
    assert [(m["first_name"], m["last_name"]) for m in found["some"]["members"]] == [
        ("Joël", "Grondin"),
        ("João", "Martinez"),
    ]
    assert found["old"] == ["João M.", "João M.", "João M."] and found["oldLast"] == 0


# The wipe


def idb(page: Page, distribution_id: int) -> dict:
    """What IndexedDB holds for the distribution, read with IndexedDB itself."""
    return page.evaluate(
        """(id) => new Promise((resolve, reject) => {
            const opening = indexedDB.open('comptoir');
            opening.onerror = () => reject(opening.error);
            opening.onsuccess = () => {
                const db = opening.result;
                const tx = db.transaction(['packs', 'outbox', 'log']);
                const out = {};
                tx.objectStore('packs').getKey(id).onsuccess = (e) => { out.pack = e.target.result !== undefined; };
                tx.objectStore('outbox').count().onsuccess = (e) => { out.outbox = e.target.result; };
                tx.objectStore('log').count().onsuccess = (e) => { out.log = e.target.result; };
                tx.oncomplete = () => { db.close(); resolve(out); };
                tx.onerror = () => reject(tx.error);
            };
        })""",
        distribution_id,
    )


def record_refused_scan(page: Page, distribution_id: int) -> None:
    """One event recorded on the phone (a refused scan, through the app's own module): something to send."""
    page.evaluate(
        """async (id) => {
            const events = await import('/assets/events.js');
            await events.record('scan_refused', { reason: 'malformed', member_id: null }, { distributionId: id });
        }""",
        distribution_id,
    )


def ends_at(app, distribution_id: int) -> datetime:
    with app.app_context():
        return db.session.get(Distribution, distribution_id).ends_at.replace(tzinfo=UTC)


def test_the_pack_is_wiped_once_the_distribution_is_over_and_everything_is_sent(app, phone, world):
    start_day(app, phone, world)
    end = ends_at(app, world.distribution)
    phone.evaluate("async () => { await import('/assets/packs.js'); await import('/assets/events.js'); }")

    # The rule itself, with the phone's clock given: within the grace the pack stays, even with nothing to send.
    wipe = "async (now) => (await import('/assets/packs.js')).wipeEndedPacks({ now: Date.parse(now) })"
    assert phone.evaluate(wipe, (end + GRACE - timedelta(minutes=1)).isoformat()) == []
    assert idb(phone, world.distribution)["pack"] is True

    # At the point, offline: a refused scan is recorded and waits to be sent.
    phone.context.set_offline(True)
    record_refused_scan(phone, world.distribution)
    assert idb(phone, world.distribution) == {"pack": True, "outbox": 1, "log": 0}

    # Hours after the end, still offline: the unsent event keeps the pack, and the list says why.
    phone.clock.install(time=end + GRACE + timedelta(hours=1))
    assert phone.evaluate(wipe, (end + GRACE + timedelta(hours=1)).isoformat()) == []
    phone.reload()
    item = phone.get_by_role("listitem", name=re.compile(POINT))
    expect(item).to_contain_text("sera effacée de ce téléphone une fois tout envoyé")
    phone.locator("#distributions").evaluate("(list) => list.scrollIntoView()")
    shoot(phone, "kept")
    assert idb(phone, world.distribution)["pack"] is True

    # The connection is back: the event is sent, then the pack is deleted, and the list says so.
    phone.context.set_offline(False)
    expect(item).to_contain_text("Liste des adhérents effacée de ce téléphone", timeout=20000)
    phone.locator("#distributions").evaluate("(list) => list.scrollIntoView()")
    shoot(phone, "cleared")
    assert idb(phone, world.distribution) == {"pack": False, "outbox": 0, "log": 0}  # what was sent: the server's
    with app.app_context():
        sent = db.session.scalars(select(SyncedEvent).where(SyncedEvent.distribution_id == world.distribution)).all()
        assert [event.type for event in sent] == ["scan_refused"]
    expect(item.get_by_role("button")).to_have_count(0)  # nothing to open, nor to download again
    expect(phone.get_by_role("navigation")).to_be_hidden()  # no distribution open any more

    # Once more from a fresh start: it stays cleared, and says so in English too.
    phone.reload()
    expect(item).to_contain_text("Liste des adhérents effacée de ce téléphone")
    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("listitem", name=re.compile(POINT))).to_contain_text("Member list cleared from this phone")


def test_a_phone_reopened_after_its_distribution_ended_opens_on_the_home_list(app, phone, world):
    """Reopened while the distribution runs, the app goes back to its Scanner; reopened once it is over (the
    volunteer still signed in: an evening distribution ends before the shift's midnight), it opens on the home
    list, which says the distribution is over and what becomes of its pack, not on a Scanner of a finished day."""
    start_day(app, phone, world)
    end = ends_at(app, world.distribution)
    phone.reload()
    expect(phone.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()

    # The shift stays valid past the end whatever the hour this runs at (the server gives it until midnight).
    phone.evaluate(
        """async (until) => {
            const store = await import('/assets/store.js');
            const shift = await store.getCurrentShift();
            await store.putShift({ ...shift, validUntil: until });
        }""",
        (end + timedelta(days=1)).isoformat(),
    )
    phone.clock.install(time=end + timedelta(minutes=5))
    phone.reload()
    expect(phone.get_by_role("heading", name="Bénévole : Victor")).to_be_visible()  # home, still signed in
    expect(phone.get_by_role("heading", name="Scanner", exact=True)).to_be_hidden()
    item = phone.get_by_role("listitem", name=re.compile(POINT))
    expect(item).to_contain_text("terminée")
    expect(item).to_contain_text("la liste des adhérents sera effacée de ce téléphone")
