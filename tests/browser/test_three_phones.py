"""Three phones, all offline, spread a distribution's day between them through their screens (issue 17, the proof
with three phones): A hands over Awa's order, B Jean-Luc's, C refuses Elouan's; A shows C its day, then B does (each
filmed by C's camera from the middle of the loop, one frame in ten dropped); C then refuses to hand either order
over again; C reads A's screen once more and shows A what A lacks (B's events and its own), so A knows Jean-Luc's
order is handed over too. Only C comes online: the server holds every event once, each attributed to the phone that
recorded it, A's and B's noted as brought by C; A and B online after it add nothing. The admin's distribution log
shows each event once, the recording phone, and « apporté par Téléphone C » beside A's and B's.
Real Chromium (three phones and the admin's laptop), real server, real signatures."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.extensions import db
from server.models import Device
from tests.browser import test_volunteer_app as screens
from tests.browser.animated_qr import HOOKS, capture_frames, played, write_animation
from tests.browser.test_phone_to_phone import (
    camera_phone,
    hand_over_awa,
    open_exchange,
    refuse_elouan,
    share_frames,
    sharing_phone,
    sync_and_wait,
    synced,
)
from tests.browser.test_volunteer_app import World, open_by_name, start_day
from tests.helpers import make_sign_in_token

world = screens.world
ADMIN = {"viewport": {"width": 1280, "height": 800}}
ALREADY = "Déjà remis par {}"  # the phone that did, by its name in the pack
CASH = "Tout remis · payé en espèces"


@pytest.fixture
def backend() -> str:
    return "sqlite"


def filming_phone(browser, tmp_path: Path, name: str, base_url: str) -> tuple[Page, Path]:
    """A phone whose camera films the video it returns (the test writes the other phone's screen there) and whose
    share screen the test can film in turn (``HOOKS``)."""
    video = tmp_path / f"{name}.y4m"
    context = camera_phone(browser, tmp_path / name, video, base_url)
    context.add_init_script(HOOKS)
    return (context.pages[0] if context.pages else context.new_page()), video


def hand_over_jean_luc(page: Page) -> None:
    open_by_name(page, "jean", "Jean-Luc N.")
    page.get_by_role("button", name=CASH).click()
    expect(page.get_by_role("status").filter(has_text="Enregistré")).to_contain_text("tout remis")


def receive(page: Page, video: Path, frames: list, words: str) -> None:
    """``page`` films ``frames`` from the middle of the loop, one in ten dropped, and says ``words``."""
    write_animation(video, played(frames, start=len(frames) // 2, drop_every=10))
    open_exchange(page, "Recevoir d’un autre téléphone")
    expect(page.locator("#receive-result")).to_have_text(words, timeout=60000)
    assert page.locator("#receive-progress").get_attribute("value") == "100"


def stop_sharing(page: Page) -> None:
    page.get_by_role("button", name="Arrêter le partage").click()


def refuses_again(page: Page, typed: str, name: str, by: str) -> None:
    """The member's order was handed over by another phone: said so, by its name, and no button hands it over again."""
    open_by_name(page, typed, name)
    expect(page.get_by_role("region", name=ALREADY.format(by))).to_be_visible()
    expect(page.get_by_role("button", name=CASH)).to_be_hidden()


def device_ids(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(Device.name, Device.id)).tuples().all())


def test_three_offline_phones_spread_the_day_and_the_server_and_the_log_hold_each_event_once(
    app, browser, live_server, world: World, tmp_path
):
    phone_a, video_a = filming_phone(browser, tmp_path, "a", live_server)
    start_day(app, phone_a, world, name="Téléphone A")
    phone_b = sharing_phone(browser, live_server)
    start_day(app, phone_b, world, name="Téléphone B")
    phone_c, video_c = filming_phone(browser, tmp_path, "c", live_server)
    start_day(app, phone_c, world, name="Téléphone C")
    for phone in (phone_a, phone_b, phone_c):
        phone.context.set_offline(True)

    hand_over_awa(phone_a)  # a hand-over and its payment
    hand_over_jean_luc(phone_b)  # the same
    refuse_elouan(phone_c)  # C's own action

    # A shows C its day, then B does.
    _parts, frames = share_frames(phone_a)
    receive(phone_c, video_c, frames, "1 action reçue de Téléphone A.")
    stop_sharing(phone_a)
    phone_c.get_by_role("button", name="Arrêter", exact=True).click()
    _parts, frames = share_frames(phone_b)
    receive(phone_c, video_c, frames, "1 action reçue de Téléphone B.")
    stop_sharing(phone_b)
    phone_c.get_by_role("button", name="Arrêter", exact=True).click()

    # C knows both orders are handed over: neither can be handed over again there.
    refuses_again(phone_c, "awa", "Awa D.", "Téléphone A")
    refuses_again(phone_c, "jean", "Jean-Luc N.", "Téléphone B")

    # C reads A's screen once more (nothing new), then shows A what A lacks: B's two events and C's own refusal.
    _parts, frames = share_frames(phone_a)
    write_animation(video_c, played(frames, start=len(frames) // 3, drop_every=10))
    open_exchange(phone_c, "Recevoir d’un autre téléphone")
    expect(phone_c.locator("#receive-result")).to_contain_text("Rien de nouveau", timeout=60000)
    stop_sharing(phone_a)
    phone_c.get_by_role("button", name="Montrer à Téléphone A ce qui lui manque").click()
    summary = phone_c.locator("#share-summary")
    expect(summary).to_have_text(
        re.compile(r"^Ce qui manque à Téléphone A : 2 actions de cette distribution, en \d+ parties?\.$")
    )
    parts = int(re.search(r"en (\d+) parties?\.", summary.inner_text()).group(1))
    frames = capture_frames(phone_c, parts * 3 + 4)
    receive(phone_a, video_a, frames, "2 actions reçues de Téléphone C.")
    stop_sharing(phone_c)
    # C lacks nothing A has: A offers no answer; shown anyway (the hidden button's handler), words and no code.
    expect(phone_a.get_by_role("button", name="Montrer à Téléphone C ce qui lui manque")).to_be_hidden()
    phone_a.evaluate("document.getElementById('receive-answer').click()")
    expect(phone_a.locator("#share-summary")).to_have_text(
        "Téléphone C a déjà tout ce que ce téléphone a de cette distribution."
    )
    expect(phone_a.locator("#share-qr")).to_be_hidden()
    stop_sharing(phone_a)
    # A now knows Jean-Luc's order is handed over; A's pack, downloaded before B was enrolled, does not name B.
    refuses_again(phone_a, "jean", "Jean-Luc N.", "un autre téléphone")

    # Only C comes online: it uploads its refusal and carries A's and B's events, signed by them.
    phone_c.context.set_offline(False)
    sync_and_wait(phone_c)
    devices = device_ids(app)
    a, b, c = devices["Téléphone A"], devices["Téléphone B"], devices["Téléphone C"]
    rows = synced(app, world)
    recorded = sorted((row.device_id, row.relayed_by_device_id, row.type) for row in rows)
    assert recorded == sorted(
        [(a, c, "handover"), (a, c, "payment"), (b, c, "handover"), (b, c, "payment"), (c, None, "handover")]
    )
    stored = {row.event_id: (row.device_id, row.relayed_by_device_id) for row in rows}

    # Then A and B: everything they send is already there (duplicates); nothing doubles, nothing changes hands.
    for phone in (phone_a, phone_b):
        phone.context.set_offline(False)
        sync_and_wait(phone)
    assert {row.event_id: (row.device_id, row.relayed_by_device_id) for row in synced(app, world)} == stored

    # The admin's distribution log: each event once, by the phone that recorded it, A's and B's brought by C.
    admin = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR").new_page()
    admin.goto(f"/auth/link/{make_sign_in_token(app, 'admin@example.org')}")
    admin.get_by_role("button", name="Se connecter").click()
    admin.goto(f"/admin/distributions/{world.distribution}/log")
    expect(admin.locator("table.timeline tbody tr")).to_have_count(5)
    names = {a: "Téléphone A", b: "Téléphone B", c: "Téléphone C"}
    for event_id, (recorder, carrier) in stored.items():
        phone_cell = admin.locator(f"#event-{event_id} td").nth(1)
        assert phone_cell.inner_text().splitlines()[0] == names[recorder]
        if carrier is None:
            expect(phone_cell).to_have_text(names[recorder])
            expect(phone_cell.locator(".relayed-by")).to_have_count(0)
        else:
            expect(phone_cell.locator(".relayed-by")).to_have_text(f"apporté par {names[carrier]}")
    admin.context.close()
    for phone in (phone_a, phone_b, phone_c):
        phone.context.close()
