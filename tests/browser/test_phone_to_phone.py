"""Phone to phone with no network (issue 17, "Exchange between phones"): phone A's animated QR code, captured from its
screen frame by frame, played by phone B's fake camera from the middle of the loop with frames dropped; B stores A's
hand-over as if pulled, refuses to hand the same order over again, answers back with only what A lacks, and, back online
alone, uploads its own event and carries A's, signed by A, which the server keeps attributed to A (store and forward;
A's own upload then finds them there). A transfer cut short stays at its percent and says parts are missing; a member
ticket shown instead, and a transfer altered on the way, are refused in plain words; nothing is stored from any of them.
Real Chromium, real server, real tickets and events (``test_volunteer_app``'s distribution)."""

import re
import time
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from server.extensions import db
from server.models import Distribution, SyncedEvent
from tests.browser import test_volunteer_app as screens
from tests.browser.animated_qr import HOOKS, capture_frames, played, write_animation
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.shell import qr_image, write_y4m
from tests.browser.test_volunteer_app import World, open_by_name, start_day
from tests.browser.volunteer import camera_args, stored_outbox
from tests.factories.volunteer_app import POINT

world = screens.world
RECEIVED = re.compile(r"\d+ actions? reçues? de Téléphone du Luzard\.")


@pytest.fixture
def backend() -> str:
    return "sqlite"


def camera_phone(browser, profile: Path, video: Path, base_url: str) -> BrowserContext:
    """Phone B: a persistent profile whose camera films ``video`` (a blank frame until the test writes one)."""
    write_y4m(video, [qr_image("blank")])
    context = browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, *camera_args(video)],
        base_url=base_url,
        locale="fr-FR",
        **PHONE,
    )
    return context


def receiving_phone(app, browser, base_url: str, world: World, tmp_path: Path) -> tuple[BrowserContext, Page, Path]:
    """Phone B, its day started, then offline: its context, its page, and the video its camera films."""
    video = tmp_path / "camera.y4m"
    context = camera_phone(browser, tmp_path / "b", video, base_url)
    page = context.pages[0] if context.pages else context.new_page()
    start_day(app, page, world)
    context.set_offline(True)
    return context, page, video


def sharing_phone(browser, base_url: str) -> Page:
    context = browser.new_context(**PHONE, base_url=base_url, locale="fr-FR")
    context.add_init_script(HOOKS)
    return context.new_page()


def hand_over_awa(page: Page) -> None:
    open_by_name(page, "awa", "Awa D.")
    page.get_by_text("Autre paiement").click()
    page.get_by_role("button", name="Le reste en espèces").click()
    page.get_by_role("button", name="Valider la remise").click()
    expect(page.get_by_role("status").filter(has_text="Enregistré")).to_have_text(
        "Enregistré : Awa Diallo — tout remis, payé : 20,40 €."
    )


def refuse_elouan(page: Page) -> None:
    open_by_name(page, "elouan", "Elouan B.")
    page.get_by_text("Remise partielle, remplacement ou refus").click()
    page.get_by_role("radio", name="Refusé : rien remis").check()
    page.get_by_role("button", name="Valider la remise").click()
    expect(page.get_by_role("status").filter(has_text="Enregistré")).to_have_text(
        "Enregistré : Elouan Bréhat — refusé."
    )


def open_exchange(page: Page, button: str) -> None:
    page.get_by_role("button", name="Scanner", exact=True).click()
    page.get_by_text("Autres téléphones", exact=True).click()
    page.get_by_role("button", name=button).click()


def share_frames(
    page: Page, count_per_part: int = 3, button: str = "Partager avec un autre téléphone"
) -> tuple[int, list]:
    """Phone A shows « Partager »: how many parts its message has, and its frames (``count_per_part`` per part)."""
    open_exchange(page, button)
    expect(page.get_by_text("Montrez cet écran à l’autre téléphone.")).to_be_visible()
    summary = page.locator("#share-summary")
    expect(summary).to_contain_text(re.compile(r"en \d+ parties?\."))
    parts = int(re.search(r"en (\d+) parties?\.", summary.inner_text()).group(1))
    return parts, capture_frames(page, parts * count_per_part + 4)


# Phone A's own envelope with its hand-over altered, as the frames of a transfer (their texts).
ALTERED = """async (distributionId) => {
    const [exchange, transfer] = await Promise.all([import('/assets/exchange.js'), import('/assets/transfer.js')]);
    const envelope = await exchange.eventsEnvelope(distributionId);
    const handover = envelope.events.find((event) => event.type === 'handover');
    handover.payload = { ...handover.payload, outcome: 'refused' };
    const sender = await transfer.encodeTransfer(envelope);
    return Array.from({ length: sender.parts * 3 }, () => sender.nextFrame());
}"""


def sync_and_wait(page: Page) -> None:
    """Send, and wait for the whole attempt: the bar says « Tout est envoyé » once the phone's own actions are sent,
    while it still carries the other phones' ones (« Envoi en cours · Tout est envoyé »)."""
    page.get_by_role("button", name="Envoyer", exact=True).click()
    bar = page.locator("#sync-text")
    expect(bar).to_contain_text("Tout est envoyé", timeout=20000)
    expect(bar).not_to_contain_text("Envoi en cours", timeout=20000)


def synced(app, world: World) -> list[SyncedEvent]:
    with app.app_context():
        rows = db.session.scalars(select(SyncedEvent).where(SyncedEvent.distribution_id == world.distribution)).all()
        db.session.expunge_all()
        return rows


def logged(page: Page) -> list[dict]:
    return page.evaluate("async () => (await (await import('/assets/store.js')).database()).getAll('log')")


def received_from_phones(page: Page) -> list[dict]:
    return page.evaluate(
        """async () => {
            const store = await import('/assets/store.js');
            return (await (await store.database()).getAll('log')).filter((entry) => entry.via === 'phone');
        }"""
    )


def test_a_hand_over_goes_from_phone_to_phone_through_the_screen(app, browser, live_server, world: World, tmp_path):
    sender = sharing_phone(browser, live_server)
    start_day(app, sender, world)
    sender.context.set_offline(True)
    receiver_context, receiver, video = receiving_phone(app, browser, live_server, world, tmp_path)

    hand_over_awa(sender)
    refuse_elouan(receiver)  # B's own action, which A lacks
    parts, frames = share_frames(sender)
    assert parts >= 2  # a hand-over and its payment: an animated code, not a single frame
    # Counted as B will count them: a hand-over and its payment are one action on both phones.
    expect(sender.locator("#share-summary")).to_have_text(f"1 action de cette distribution, en {parts} parties.")
    # B's camera starts in the middle of the loop and misses one frame in ten.
    write_animation(video, played(frames, start=len(frames) // 2, drop_every=10))

    open_exchange(receiver, "Recevoir d’un autre téléphone")
    expect(receiver.locator("#receive-result")).to_have_text(RECEIVED, timeout=60000)
    assert receiver.locator("#receive-result").inner_text() == "1 action reçue de Téléphone du Luzard."
    assert receiver.locator("#receive-progress").get_attribute("value") == "100"

    # B then shows A what A lacks: its own refusal only, not what it just received from A.
    receiver.get_by_role("button", name="Montrer à Téléphone du Luzard ce qui lui manque").click()
    expect(receiver.locator("#share-summary")).to_have_text(
        re.compile(r"^Ce qui manque à Téléphone du Luzard : 1 action de cette distribution, en \d+ parties?\.$")
    )
    receiver.get_by_role("button", name="Arrêter le partage").click()

    stored = received_from_phones(receiver)
    assert sorted(entry["event"]["type"] for entry in stored) == ["handover", "payment"]
    assert all(entry["own"] is False for entry in stored)
    # Received events never go to the outbox: B never uploads A's events as its own (it carries them, signed by A).
    assert [event["type"] for event in stored_outbox(receiver)] == ["handover"]
    own_event = stored_outbox(receiver)[0]["id"]
    sent = {entry["event"]["id"]: entry["event"] for entry in stored}
    for event in stored_outbox(sender):
        assert sent[event["id"]] == event  # every key passed through untouched

    # B now knows Awa collected at A.
    open_by_name(receiver, "awa", "Awa D.")
    expect(receiver.get_by_role("region", name="Déjà remis par Téléphone du Luzard")).to_be_visible()
    expect(receiver.get_by_role("button", name="Tout remis · payé en espèces")).to_be_hidden()

    # The same frames again: nothing new, nothing doubled.
    receiver.get_by_role("button", name="Scanner", exact=True).click()
    open_exchange(receiver, "Recevoir d’un autre téléphone")
    expect(receiver.locator("#receive-result")).to_contain_text("Rien de nouveau", timeout=60000)
    assert len(received_from_phones(receiver)) == 2

    # B back online alone: it uploads its own refusal and carries A's two events, signed by A (store and forward):
    # the server keeps each once, attributed to the phone that recorded it, and notes which phone brought it. Until
    # then its bar counts both (A's hand-over and payment as one action), never « Tout est envoyé », and the home
    # screen tells them apart.
    receiver.get_by_role("button", name="Arrêter").click()
    expect(receiver.locator(".sync-words")).to_have_text("Hors connexion · 2 à envoyer")
    expect(receiver.locator("#sync-details")).to_contain_text(
        "1 enregistrement à envoyer. "
        "1 enregistrement d’un autre téléphone à envoyer : ce téléphone l’apporte au serveur."
    )
    receiver_context.set_offline(False)
    sync_and_wait(receiver)
    rows = {row.event_id: row for row in synced(app, world)}
    assert sorted(rows) == sorted([own_event, *sent])
    b_device = rows[own_event].device_id
    assert rows[own_event].relayed_by_device_id is None
    assert {(rows[event_id].device_id, rows[event_id].relayed_by_device_id) for event_id in sent} == {
        (rows[next(iter(sent))].device_id, b_device)
    }
    assert rows[next(iter(sent))].device_id != b_device
    # Then A: its two events are already there (duplicates); B's next pull confirms them, no longer « via phone ».
    sender.context.set_offline(False)
    sync_and_wait(sender)
    sync_and_wait(receiver)
    assert sorted(row.event_id for row in synced(app, world)) == sorted([own_event, *sent])
    deadline = time.monotonic() + 15
    while received_from_phones(receiver):
        assert time.monotonic() < deadline, "B still holds A's events as received from a phone, not pulled"
        receiver.wait_for_timeout(200)
    assert len(logged(receiver)) == 3
    receiver_context.close()
    sender.context.close()


def test_a_cut_transfer_a_member_ticket_and_an_altered_transfer_are_refused_and_nothing_is_stored(
    app, browser, live_server, world: World, tmp_path
):
    sender = sharing_phone(browser, live_server)
    start_day(app, sender, world)
    # The test alters A's transfer through the app's modules (entries not precached as such): loaded now, online.
    sender.evaluate("async () => { await import('/assets/exchange.js'); await import('/assets/transfer.js'); }")
    sender.context.set_offline(True)
    receiver_context, receiver, video = receiving_phone(app, browser, live_server, world, tmp_path)
    hand_over_awa(sender)
    parts, frames = share_frames(sender)

    # Only one frame of a message in several parts: B reads it again and again, and says parts are missing.
    write_animation(video, played(frames, keep=1))
    open_exchange(receiver, "Recevoir d’un autre téléphone")
    missing = receiver.locator("#receive-missing")
    expect(missing).to_contain_text(f"Il manque encore des parties (parties lues : 1 sur {parts},", timeout=30000)
    percent = int(receiver.locator("#receive-progress").get_attribute("value"))
    assert 0 < percent < 100
    expect(receiver.locator("#receive-result")).to_be_hidden()
    assert received_from_phones(receiver) == []

    # A member ticket held in front of the camera instead: said so, nothing stored.
    write_y4m(video, [qr_image(world.tickets["Élodie M."])])
    receiver.get_by_role("button", name="Arrêter").click()
    open_exchange(receiver, "Recevoir d’un autre téléphone")
    expect(receiver.get_by_role("alert")).to_have_text(
        "Ce code est un ticket d’adhérent, pas un partage entre téléphones. Rien n’a été enregistré. "
        "Scannez l’écran de l’autre téléphone.",
        timeout=30000,
    )
    assert received_from_phones(receiver) == []

    # A's transfer altered on the way (the hand-over's outcome changed): its chain breaks at the payment; refused.
    texts = sender.evaluate(ALTERED, world.distribution)
    write_animation(video, [qr_image(text) for text in texts])
    receiver.get_by_role("button", name="Arrêter").click()
    open_exchange(receiver, "Recevoir d’un autre téléphone")
    expect(receiver.get_by_role("alert")).to_have_text(
        "Ce partage a été modifié en route : ses actions ne se suivent pas. Rien n’a été enregistré.", timeout=30000
    )
    assert received_from_phones(receiver) == []
    assert stored_outbox(receiver) == []
    receiver_context.close()
    sender.context.close()


# Phone A's pack envelope with one character of the pack's bytes changed on the way, as the frames of a transfer.
ALTERED_PACK = """async (distributionId) => {
    const [exchange, transfer] = await Promise.all([import('/assets/exchange.js'), import('/assets/transfer.js')]);
    const envelope = await exchange.peerPackEnvelope(distributionId);
    const middle = Math.floor(envelope.bytes.length / 2);
    const swapped = envelope.bytes[middle] === 'A' ? 'B' : 'A';
    envelope.bytes = envelope.bytes.slice(0, middle) + swapped + envelope.bytes.slice(middle + 1);
    const sender = await transfer.encodeTransfer(envelope);
    return Array.from({ length: sender.parts * 3 }, () => sender.nextFrame());
}"""

# Every painted frame, what the share screen shows when its code is on screen (its summary): what a camera could read.
WATCH_SHARE = """() => {
    window.shareSeen = [];
    const look = () => {
        const canvas = document.getElementById('share-qr');
        if (!document.getElementById('screen-share').hidden && !canvas.hidden && canvas.dataset.frame) {
            window.shareSeen.push(document.getElementById('share-summary').textContent);
        }
        window.shareWatch = requestAnimationFrame(look);
    };
    look();
}"""

HELD_PACK = "async (d) => (await (await import('/assets/packs.js')).getPack(d))?.from ?? null"  # who handed it over


def test_a_phone_without_the_pack_receives_it_from_another_phone_and_works_offline(
    app, browser, live_server, world: World, tmp_path
):
    """Phone A (downloaded the pack, then offline) shows its pack; phone B (enrolled, signed in, the network's keys,
    no pack, offline) receives it from its home screen: an altered one is refused in words and nothing is kept, the
    genuine one (camera from the middle of the loop, 1 frame in 10 dropped) is kept, and B opens the distribution
    offline and finds a member by name. The pack knows no event of the day: B is told to read A's actions too, and
    « Recevoir ses actions » takes them (A's share screen never shows a frame of the pack meanwhile), so B knows
    Awa's order was handed over at A."""
    sender = sharing_phone(browser, live_server)
    start_day(app, sender, world)
    sender.evaluate("async () => { await import('/assets/exchange.js'); await import('/assets/transfer.js'); }")
    sender.context.set_offline(True)
    hand_over_awa(sender)  # after the download: the pack does not hold it
    video = tmp_path / "camera.y4m"
    receiver_context = camera_phone(browser, tmp_path / "b", video, live_server)
    receiver = receiver_context.pages[0] if receiver_context.pages else receiver_context.new_page()
    start_day(app, receiver, world, download=False)
    receiver.evaluate("async () => { await import('/assets/packs.js'); }")
    receiver_context.set_offline(True)

    parts, frames = share_frames(sender, button="Partager la distribution avec un téléphone qui ne l’a pas")
    expect(sender.locator("#share-summary")).to_have_text(
        re.compile(rf"^La distribution {re.escape(POINT)} \(4 adhérents\), en \d+ parties?\.$")
    )
    assert parts >= 2

    # An altered pack first: refused in plain words, nothing kept.
    write_animation(video, [qr_image(text) for text in sender.evaluate(ALTERED_PACK, world.distribution)])
    receiver.get_by_role("button", name="Recevoir d’un autre téléphone").click()
    expect(receiver.get_by_role("alert")).to_have_text(
        "Distribution refusée : elle n’est pas signée par le serveur.", timeout=60000
    )
    assert receiver.evaluate(HELD_PACK, world.distribution) is None

    # Then A's genuine pack, the camera starting mid-loop and missing one frame in ten.
    write_animation(video, played(frames, start=len(frames) // 2, drop_every=10))
    receiver.get_by_role("button", name="Recevoir à nouveau").click()
    expect(receiver.locator("#receive-result")).to_have_text(
        "Distribution reçue de Téléphone du Luzard.", timeout=60000
    )
    assert receiver.evaluate(HELD_PACK, world.distribution) == "peer"
    expect(receiver.locator("#receive-pack-events")).to_have_text(
        "Recevez aussi ses actions : sur Téléphone du Luzard, touchez « Partager avec un autre téléphone »."
    )
    expect(receiver.get_by_role("button", name="Recevoir ses actions")).to_be_visible()
    receiver.get_by_role("button", name=f"Ouvrir la distribution {POINT}").click()
    expect(receiver.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
    open_by_name(receiver, "awa", "Awa D.")

    # The same pack shown again, received from the distribution's own screen: taken the same way, nothing new.
    receiver.get_by_role("button", name="Scanner", exact=True).click()
    open_exchange(receiver, "Recevoir d’un autre téléphone")
    expect(receiver.locator("#receive-result")).to_have_text(
        "Rien de nouveau : ce téléphone avait déjà cette version de la distribution que Téléphone du Luzard lui a "
        "montrée.",
        timeout=60000,
    )
    expect(receiver.locator("#receive-pack-events")).to_be_visible()

    # A then shows its events: from the tap on, the share screen shows the pack's last frame or summary never again.
    sender.get_by_role("button", name="Scanner", exact=True).click()
    expect(sender.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
    sender.evaluate(WATCH_SHARE)
    parts, frames = share_frames(sender)
    expect(sender.locator("#share-summary")).to_have_text(f"1 action de cette distribution, en {parts} parties.")
    seen = sender.evaluate("() => { cancelAnimationFrame(window.shareWatch); return window.shareSeen; }")
    assert seen and all(summary.startswith("1 action de cette distribution") for summary in seen), seen
    write_animation(video, played(frames, start=len(frames) // 2, drop_every=10))
    receiver.get_by_role("button", name="Recevoir ses actions").click()
    expect(receiver.locator("#receive-result")).to_have_text("1 action reçue de Téléphone du Luzard.", timeout=60000)
    receiver.get_by_role("button", name="Arrêter", exact=True).click()
    open_by_name(receiver, "awa", "Awa D.")
    expect(receiver.get_by_role("region", name="Déjà remis par Téléphone du Luzard")).to_be_visible()
    receiver_context.close()
    sender.context.close()


def test_a_phone_keeps_the_actions_it_carries_past_the_wipe_until_the_server_has_them(
    app, browser, live_server, world: World, tmp_path
):
    """Nothing of its own left to send, a phone that carries another phone's actions keeps the distribution's data
    past the wipe's time (its pack and those actions): they are wiped once the server has them too."""
    sender = sharing_phone(browser, live_server)
    start_day(app, sender, world)
    sender.context.set_offline(True)
    receiver_context, receiver, video = receiving_phone(app, browser, live_server, world, tmp_path)
    receiver_context.set_offline(False)  # the wipe's module, loaded as the app loads it, to call it offline below
    receiver.evaluate("async () => { await import('/assets/packs.js'); }")
    receiver_context.set_offline(True)
    hand_over_awa(sender)
    _parts, frames = share_frames(sender)
    write_animation(video, played(frames))
    open_exchange(receiver, "Recevoir d’un autre téléphone")
    expect(receiver.locator("#receive-result")).to_have_text(RECEIVED, timeout=60000)
    assert stored_outbox(receiver) == [] and len(received_from_phones(receiver)) == 2

    with app.app_context():
        late = db.session.get(Distribution, world.distribution).ends_at.replace(tzinfo=UTC) + timedelta(hours=7)
    wipe = "async (now) => (await import('/assets/packs.js')).wipeEndedPacks({ now: Date.parse(now) })"
    assert receiver.evaluate(wipe, late.isoformat()) == []
    assert len(received_from_phones(receiver)) == 2

    receiver.get_by_role("button", name="Arrêter").click()
    receiver_context.set_offline(False)
    sync_and_wait(receiver)
    assert len(synced(app, world)) == 2
    assert [note["distributionId"] for note in receiver.evaluate(wipe, late.isoformat())] == [world.distribution]
    receiver_context.close()
