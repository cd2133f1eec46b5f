"""The scanner (pwa/src/scanner.js) reads real QR codes of tickets the server issued, filmed by Chromium's fake
camera: through the ZXing WebAssembly polyfill (Chromium on Linux has no native BarcodeDetector), whose .wasm
comes from this server only; it beeps and vibrates once per read, reads a code held in view once, and queues
different codes instead of replacing the one on screen."""

import pytest
from playwright.sync_api import expect

from server.domain.tickets import issue_ticket
from server.extensions import db
from server.models import Household, Point, Tier
from tests.browser.conftest import PHONE
from tests.browser.shell import copy_built_pwa, launch_camera_browser, qr_image, wait_for, write_y4m


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the scanner never touches the database: one backend is enough


@pytest.fixture
def app_config(app_config, tmp_path) -> dict:
    return app_config | {"PWA_DIST": str(copy_built_pwa(tmp_path / "dist"))}


def issue_tickets(app, count: int) -> list[str]:
    with app.app_context():
        point = Point(name="Maison de quartier du Luzard", town="Noisiel")
        tier = Tier(name="Tarif plein", share_percent=100)
        members = [Household(first_name=f"M{n}", last_name="Martin", tier=tier, point=point) for n in range(count)]
        db.session.add_all([point, tier, *members])
        db.session.flush()
        tickets = [issue_ticket(member) for member in members]
        db.session.commit()
    return tickets


# Spies on the beep and the vibration, then a scanner on a <video> in the volunteer app's page. Reads are kept
# with their done() callbacks, which the test calls when it decides the volunteer is finished.
START = """async (decoder) => {
    window.feedback = { oscillators: 0, vibrations: 0 };
    const createOscillator = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function () {
        window.feedback.oscillators += 1;
        return createOscillator.call(this);
    };
    navigator.vibrate = () => { window.feedback.vibrations += 1; return true; };
    const { startScanner } = await import('/assets/scanner.js');
    const video = document.createElement('video');
    video.width = 320;
    document.body.prepend(video);
    window.reads = [];
    window.dones = [];
    window.errors = [];
    window.scanner = await startScanner(video, {
        decoder,
        onRead(text, done) { window.reads.push(text); window.dones.push(done); },
        onError(reason) { window.errors.push(reason); },
    });
    return window.scanner.decoder;
}"""


def open_app(camera_browser, live_server):
    context = camera_browser.new_context(**PHONE, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    requests: list[str] = []
    csp: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: csp.append(message.text) if "Content Security Policy" in message.text else 0)
    page.goto("/app/")
    expect(page.get_by_role("heading", name="Téléphone non enregistré")).to_be_visible()
    return page, requests, csp


@pytest.mark.parametrize("decoder", ["auto", "polyfill"])
def test_reads_a_real_ticket_through_the_webassembly_decoder(app, browser, live_server, tmp_path, decoder):
    [ticket] = issue_tickets(app, 1)
    video = write_y4m(tmp_path / "ticket.y4m", [qr_image(ticket)])
    camera = launch_camera_browser(browser, video)
    try:
        page, requests, csp = open_app(camera, live_server)
        assert page.evaluate("typeof window.BarcodeDetector") == "undefined"  # Chromium on Linux: no native one
        assert page.evaluate(START, decoder) == "polyfill"
        wait_for(page, "window.reads.length === 1", 10)
        assert page.evaluate("window.reads") == [ticket]
        assert page.evaluate("[window.scanner.pending, window.scanner.queued]") == [1, 0]

        # Held in front of the camera, the same ticket is not read again, even after done().
        page.evaluate("window.dones[0]()")
        page.wait_for_timeout(2500)
        assert page.evaluate("window.reads") == [ticket]
        assert page.evaluate("window.scanner.pending") == 0
        assert page.evaluate("window.feedback") == {"oscillators": 1, "vibrations": 1}
        assert page.evaluate("window.errors") == []

        # The fake camera has no torch: the app hides the button.
        assert page.evaluate("window.scanner.torchSupported") is False
        assert page.evaluate("window.scanner.setTorch(true)") is False

        wasm = [url for url in requests if url.endswith(".wasm")]
        assert len(wasm) == 1 and wasm[0].startswith(f"{live_server}/assets/zxing_reader-"), wasm
        assert all(url.startswith(live_server) for url in requests), requests  # no CDN, nothing else
        assert not csp, csp

        page.evaluate("window.scanner.stop()")
        assert page.evaluate("document.querySelector('video').srcObject") is None
    finally:
        camera.close()


def test_successive_codes_are_queued_not_overwritten(app, browser, live_server, tmp_path):
    first, second = issue_tickets(app, 2)
    # One second of each ticket in turn, played in a loop by the fake camera.
    video = write_y4m(tmp_path / "two.y4m", [qr_image(first)] * 10 + [qr_image(second)] * 10, fps=10)
    camera = launch_camera_browser(browser, video)
    try:
        page, _requests, _csp = open_app(camera, live_server)
        page.evaluate(START, "auto")
        wait_for(page, "window.scanner.queued === 1", 10)
        # The volunteer is still on the first member: the second waits, both codes keep passing by, nothing else.
        page.wait_for_timeout(2500)
        reads = page.evaluate("window.reads")
        assert len(reads) == 1 and reads[0] in (first, second)
        assert page.evaluate("[window.scanner.pending, window.scanner.queued]") == [2, 1]
        assert page.evaluate("window.feedback.oscillators") == 2  # one beep per code, when it was read

        page.evaluate("window.dones[0]()")
        wait_for(page, "window.reads.length === 2")
        assert sorted(page.evaluate("window.reads")) == sorted([first, second])
        assert page.evaluate("[window.scanner.pending, window.scanner.queued]") == [1, 0]

        page.evaluate("window.dones[1]()")
        page.wait_for_timeout(1500)
        assert len(page.evaluate("window.reads")) == 2  # each code still passes by every 2 s: not read again
        assert page.evaluate("window.scanner.pending") == 0

        # Paused, nothing is decoded; resumed, a code seen again after a pause longer than 2 s is a new read.
        page.evaluate("window.scanner.pause()")
        page.wait_for_timeout(2500)
        assert page.evaluate("[window.scanner.scanning, window.reads.length]") == [False, 2]
        page.evaluate("window.scanner.resume()")
        wait_for(page, "window.reads.length === 3", 5)
        page.evaluate("window.scanner.stop()")
    finally:
        camera.close()


def test_a_native_barcode_detector_is_preferred(app, browser, live_server, tmp_path):
    """Where the browser reads QR codes itself (Android Chrome), no WebAssembly is fetched. Chromium on Linux has no
    native detector, so a stand-in plays it here: the point is the choice, the reading is tested above."""
    video = write_y4m(tmp_path / "blank.y4m", [qr_image("NATIVE")])
    camera = launch_camera_browser(browser, video)
    try:
        page, requests, _csp = open_app(camera, live_server)
        page.evaluate(
            """() => {
                window.BarcodeDetector = class {
                    static async getSupportedFormats() { return ['qr_code', 'ean_13']; }
                    async detect() { return [{ rawValue: 'FROM-THE-NATIVE-DETECTOR' }]; }
                };
            }"""
        )
        assert page.evaluate(START, "auto") == "native"
        wait_for(page, "window.reads.length === 1")
        assert page.evaluate("window.reads") == ["FROM-THE-NATIVE-DETECTOR"]
        assert not [url for url in requests if url.endswith(".wasm") or "qr-polyfill" in url]
        page.evaluate("window.scanner.stop()")
    finally:
        camera.close()


def test_camera_refused_is_a_clear_reason(app, browser, live_server):
    """In the ordinary test browser nobody grants the camera: startScanner rejects with a stable reason."""
    context = browser.new_context(**PHONE, base_url=live_server)
    page = context.new_page()
    page.goto("/app/")
    reason = page.evaluate(
        """async () => {
            const { startScanner } = await import('/assets/scanner.js');
            try {
                await startScanner(document.createElement('video'), { onRead() {} });
                return 'started';
            } catch (error) {
                return `${error.name}:${error.reason}`;
            }
        }"""
    )
    assert reason in ("ScannerError:camera_denied", "ScannerError:camera_not_found", "ScannerError:camera_unavailable")
    context.close()
