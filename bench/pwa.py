"""Volunteer app figures in real Chromium (the Debian package, headless, driven by Playwright) with the CPU slowed
4× through the DevTools protocol, against the real app behind waitress on 127.0.0.1 (SQLite in a temporary folder,
a private copy of ``pwa/dist``): an offline cold start to the scan screen, the time from a ticket's decode to its
member's screen (real tickets the server signed, filmed by Chromium's fake camera), and the app shell's weight.

Run: .venv/bin/python bench/pwa.py   (port: COMPTOIR_BENCH_PORT, default 5140; Chromium: COMPTOIR_CHROMIUM)

The phone is set up as a volunteer does it before leaving, online: enrolled from its one-time link, signed in with
a passkey (Chromium's virtual authenticator) and a PIN, the day's distribution of 1,000 members (``bench/sync.py``'s
``make_distribution``, moved to today) downloaded and opened, the service worker controlling the page. Each measure
is one function taking a scratch folder and returning rows ``(figure, value, target)``; ``main`` runs them in order
and prints one table. A measure builds its own app, database, browser profile and phone, so measures never share
state. ``Emulation.setCPUThrottlingRate`` {rate: 4} is sent on the page's own CDP session before each timed load or
scan; it slows the page's renderer, not the service worker nor the browser process.
"""

import base64
import gzip
import logging
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # first: ``import sync`` must find the package, not bench/sync.py

from flask import Flask  # noqa: E402
from playwright.sync_api import BrowserContext, CDPSession, Page, Playwright, expect, sync_playwright  # noqa: E402

from bench.sync import make_distribution  # noqa: E402
from server import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from sync.chain import event_hash  # noqa: E402
from sync.events import parse_event  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE  # noqa: E402
from tests.browser.shell import copy_built_pwa, precache, qr_image, wait_for, write_y4m  # noqa: E402
from tests.browser.volunteer import (  # noqa: E402
    camera_args,
    download_and_open,
    enrol_and_sign_in,
    show_ticket,
)
from tests.served import serving  # noqa: E402

Row = tuple[str, str, str]  # figure, value, target

PORT = int(os.environ.get("COMPTOIR_BENCH_PORT", "5140"))
MEMBERS = 1000
CPU_SLOWDOWN = 4
STARTS = 10  # cold starts timed, after one untimed
SCANS = 20  # scans timed, after one untimed
SEED = 20261123
VOLUNTEER = "victor@example.org"
PIN = "2468"
TIMEOUT_S = 60.0  # for anything the slowed-down page must reach
SNAPSHOT: Path | None = None  # the copy of pwa/dist every measure copies (taken by main)

# Injected into every document before its own scripts (the DevTools protocol, not a <script>: CSP does not apply).
# Start: the scan screen is interactive once its section is shown, the open distribution's name is written in it
# (the pack is loaded and indexed: state.index is set before the screen is drawn) and the manual code field is
# enabled. A MutationObserver notes the first moment it is so; the next frame after it is when it is on screen.
# Scan: the app's own `comptoir:scan-screen` mark (pwa/src/screens/scan.js), plus when the frame after it rendered.
PROBE = """(() => {
  const after = (record) => requestAnimationFrame(() => setTimeout(() => record(performance.now())));
  window.__bench = { ready: null, shown: null, scans: [] };
  const ready = () => {
    const screen = document.getElementById('screen-scan');
    const code = document.getElementById('code-input');
    const name = document.getElementById('scan-distribution');
    return Boolean(screen && !screen.hidden && screen.checkVisibility() && code && !code.disabled
      && name && name.textContent.trim());
  };
  const observer = new MutationObserver(() => {
    if (window.__bench.ready !== null || !ready()) return;
    window.__bench.ready = performance.now();
    observer.disconnect();
    after((at) => { window.__bench.shown = at; });
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  const mark = performance.mark.bind(performance);
  performance.mark = (name, options) => {
    const entry = mark(name, options);
    if (name === 'comptoir:scan-screen') {
      const scan = { at: entry.startTime, detail: entry.detail, shown: null };
      window.__bench.scans.push(scan);
      after((at) => { scan.shown = at; });
    }
    return entry;
  };
})()"""

NAVIGATION = """(() => {
  const [entry] = performance.getEntriesByType('navigation');
  return { ...window.__bench, workerStart: entry.workerStart, responseEnd: entry.responseEnd,
           domContentLoaded: entry.domContentLoadedEventEnd };
})()"""

NATIVE_QR = """async () => 'BarcodeDetector' in self
  && (await self.BarcodeDetector.getSupportedFormats()).includes('qr_code')"""


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def ms(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} / {percentile(values, 0.9):.0f} ms"


# The world: the app, 1,000 members at today's distribution, a volunteer for its point, an enrolled phone.


@dataclass(frozen=True)
class World:
    app: Flask
    point: str
    enrol_link: str
    tickets: list[tuple[str, str]]  # (display name, ticket text) of members picked at random


def built_app(folder: Path) -> Path:
    """A private copy of the built app (``pwa/dist``), from the one ``main`` took at the start: a rebuild meanwhile
    never changes what a measure's phone runs, and every measure runs the same build."""
    return copy_built_pwa(folder / "dist") if SNAPSHOT is None else Path(shutil.copytree(SNAPSHOT, folder / "dist"))


def bench_app(folder: Path, wsgi_dist: Path) -> Flask:
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": str(folder / "instance"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
            "RATELIMIT_ENABLED": False,
            "BASE_URL": f"http://localhost:{PORT}",  # the passkeys' relying party and the enrolment link
            "PWA_DIST": str(wsgi_dist),
        }
    )
    with app.app_context():
        db.create_all()
    return app


def make_world(folder: Path, picked: int = 0) -> World:
    """``bench/sync.py``'s distribution of 1,000 members, moved to today (started 30 min ago, for another hour);
    a volunteer for its point; a one-time enrolment link for a phone of that point; the current tickets (signed by
    the server, as it renders them on the member's card and page) of ``picked`` members."""
    from server.clock import utcnow
    from server.domain.devices import create_enrolment
    from server.domain.tickets import ticket_text
    from server.models import Distribution, Order, User

    app = bench_app(folder, built_app(folder))
    distribution_id = make_distribution(app, MEMBERS)
    with app.app_context():
        distribution = db.session.get(Distribution, distribution_id)
        now = utcnow()
        distribution.starts_at, distribution.ends_at = now - timedelta(minutes=30), now + timedelta(hours=1)
        point = distribution.point
        admin = User(email="admin@example.org", role="admin")
        volunteer = User(email=VOLUNTEER, role="volunteer", display_name="Victor", points=[point])
        db.session.add_all([admin, volunteer])
        db.session.flush()
        _offer, token = create_enrolment(admin, "Téléphone 1", [point])
        orders = db.session.query(Order).filter_by(distribution_id=distribution_id).order_by(Order.id).all()
        households = [order.household for order in random.Random(SEED).sample(orders, picked)]
        tickets = [(f"{h.first_name} {h.last_name}", ticket_text(h)) for h in households]  # as the member screen heads
        db.session.commit()
        return World(app, point.name, f"http://localhost:{PORT}/app/enrol#{token}", tickets)


def launch_phone(playwright: Playwright, profile: Path, *, offline: bool = False, args=()) -> BrowserContext:
    """A phone as a browser keeps it: a persistent profile (IndexedDB, the service worker and its caches survive
    a restart), 360×640, French."""
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, *args],
        base_url=f"http://localhost:{PORT}",
        locale="fr-FR",
        offline=offline,
        **PHONE,
    )
    context.add_init_script(PROBE)
    return context


def ready_for_the_day(world: World, page: Page) -> None:
    """Enrol, sign in, download and open today's distribution (online); wait until the service worker controls."""
    enrol_and_sign_in(world.app, page, world.enrol_link, VOLUNTEER, PIN)
    download_and_open(page, world.point, MEMBERS)
    wait_for(page, "navigator.serviceWorker.controller !== null", TIMEOUT_S)


def slow_down(page: Page, session: CDPSession | None = None) -> CDPSession:
    """The page's renderer at 1/4 of this machine's speed (a mid-range phone), from now on, navigations included.
    Returns the page's CDP session, to keep (and pass again): a session that goes away takes its emulation along."""
    session = session or page.context.new_cdp_session(page)
    session.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return session


def settled(page: Page, expression: str) -> None:
    """Wait until ``expression`` holds, asking four times a second: the page times itself, so asking seldom keeps
    the questions (each a task on the page's main thread) from slowing what is timed."""
    deadline = time.monotonic() + TIMEOUT_S
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {TIMEOUT_S} s: {expression}"
        page.wait_for_timeout(250)


# 1. Offline cold start.


def start_figures(folder: Path) -> list[Row]:
    """From the navigation to /app/ (offline: the service worker answers) to the scan screen interactive, with the
    distribution of 1,000 members it was running loaded; a restarted browser, then a new tab in a running one."""
    world = make_world(folder)
    profile = folder / "profile"
    with sync_playwright() as playwright:
        with serving(world.app, PORT):
            phone = launch_phone(playwright, profile)
            ready_for_the_day(world, phone.pages[0])
            phone.close()

        # The server is down too, so nothing can come from the network (not even the worker's Background Sync,
        # which a starting browser hands the worker before the context's offline emulation reaches it).
        def load(page: Page) -> dict:
            session = slow_down(page)
            page.goto("/app/", wait_until="commit")
            settled(page, "window.__bench && window.__bench.shown !== null")
            timings = page.evaluate(NAVIGATION)
            assert page.evaluate("navigator.serviceWorker.controller !== null"), "not served by the service worker"
            session.detach()
            expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
            expect(page.get_by_label("Code manuel")).to_be_enabled()
            return timings

        cold = []
        for run in range(STARTS + 1):
            phone = launch_phone(playwright, profile, offline=True)
            timings = load(phone.pages[0])
            phone.close()
            if run:
                cold.append(timings)

        phone = launch_phone(playwright, profile, offline=True)
        warm = []
        for run in range(STARTS + 1):
            page = phone.new_page()
            timings = load(page)
            page.close()
            if run:
                warm.append(timings)
        phone.close()

    def column(runs: list[dict], key: str) -> list[float]:
        return [run[key] for run in runs]

    return [
        ("offline cold start, browser restarted, median / p90", ms(column(cold, "shown")), "< 1,000 ms"),
        ("  of which: shell from the worker's cache (responseEnd)", ms(column(cold, "responseEnd")), ""),
        ("  of which: DOMContentLoaded", ms(column(cold, "domContentLoaded")), ""),
        ("  of which: scan screen in the DOM (before its frame)", ms(column(cold, "ready")), ""),
        ("offline start, new tab in the running browser, median / p90", ms(column(warm, "shown")), "< 1,000 ms"),
    ]


# 2. Scan to member screen.


def scan_figures(folder: Path) -> list[Row]:
    """Real tickets in front of Chromium's fake camera, offline, one at a time: from the start of the decode of the
    frame that was read to the member's screen drawn (the app's ``comptoir:scan-screen`` mark) and rendered."""
    world = make_world(folder, picked=SCANS + 1)
    video = folder / "camera.y4m"
    write_y4m(video, [qr_image(world.tickets[0][1])])
    scans = []
    with sync_playwright() as playwright, serving(world.app, PORT):
        phone = launch_phone(playwright, folder / "profile", args=camera_args(video))
        page = phone.pages[0]
        ready_for_the_day(world, page)
        native = page.evaluate(NATIVE_QR)
        phone.set_offline(True)
        session = None
        for run, (name, ticket) in enumerate(world.tickets):
            session = slow_down(page, session)
            show_ticket(page, video, ticket)
            settled(page, f"window.__bench.scans.length > {run} && window.__bench.scans[{run}].shown")
            expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
            scan = page.evaluate(f"window.__bench.scans[{run}]")
            assert scan["detail"]["ok"] is True, scan
            scans.append(scan)
            page.get_by_role("button", name="Fermer sans enregistrer").click()
            expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
        phone.close()

    first, timed = scans[0], scans[1:]

    def started(scan: dict) -> float:  # the decode's start: decodedAt - decodeMs (performance.now() times)
        return scan["detail"]["decodedAt"] - scan["detail"]["decodeMs"]

    to_screen = [scan["at"] - started(scan) for scan in timed]
    return [
        ("QR decoder (native: BarcodeDetector reads qr_code)", "native" if native else "zxing-wasm polyfill", ""),
        ("scan to member screen drawn (decode + check + render), median / p90", ms(to_screen), "median < 100 ms"),
        ("  of which: decode of the frame read", ms([scan["detail"]["decodeMs"] for scan in timed]), ""),
        (
            "  of which: check + lookup + member screen",
            ms([scan["at"] - scan["detail"]["decodedAt"] for scan in timed]),
            "",
        ),
        (
            "scan to member screen rendered (next frame), median / p90",
            ms([s["shown"] - started(s) for s in timed]),
            "",
        ),
        ("first scan of the run (not in the figures above)", f"{first['at'] - started(first):.0f} ms", ""),
    ]


# 3. The member screen's common cases.

CASES = [  # (case, what is typed before the tap, the tap's button)
    ("cash, exact", None, "Tout remis · payé en espèces"),
    ("cash, with change", ("Somme donnée", "50"), "Tout remis · payé en espèces"),
    ("cheque", ("N° du chèque", "0001234"), "Tout remis · payé par chèque"),
    ("account / allowance", None, "Tout remis · sur le compte / l’allocation"),
]
OPENS = 20  # manual codes timed, after one untimed
# From the tap on "Chercher le code" (the click event, in the page) to the frame after the member's heading is drawn.
OPEN_PROBE = """() => {
  window.__open = { start: null, shown: null };
  const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Chercher le code');
  button.addEventListener('click', () => {
    window.__open.start = performance.now();
    const seen = () => {
      const h = document.querySelector('#screen-member:not([hidden]) h1');
      if (h) requestAnimationFrame(() => { window.__open.shown = performance.now(); });
      else requestAnimationFrame(seen);
    };
    requestAnimationFrame(seen);
  }, { capture: true, once: true });
}"""


def one_line_members(world: World, count: int) -> list[tuple[str, str]]:
    """``count`` members of the distribution cut to a one-line basket, the last with an allowance that covers it:
    (display name, manual code)."""
    from server.models import Account, AccountMovement, NetworkSettings, Order, OrderLine

    with world.app.app_context():
        orders = db.session.query(Order).order_by(Order.id).limit(count).all()
        picked = []
        for order in orders:
            for line in order.lines[1:]:
                db.session.delete(line)
            if not order.lines:
                continue
            db.session.flush()
            picked.append(order)
        household = picked[-1].household
        allowance = db.session.query(Account).filter_by(household_id=household.id, kind="allowance").one_or_none()
        if allowance is None:
            allowance = Account(household=household, kind="allowance")
            db.session.add(allowance)
        allowance.movements.append(AccountMovement(amount_cents=100_000, reason="bench"))
        settings = NetworkSettings.current()
        settings.payment_methods = ["cash", "cheque", "card", "prepaid", "allowance"]
        db.session.commit()
        assert all(isinstance(line, OrderLine) for order in picked for line in order.lines)
        return [(f"{o.household.first_name} {o.household.last_name}", o.household.manual_code) for o in picked]


def member_screen_figures(folder: Path) -> list[Row]:
    """Offline, a one-line basket each: the taps from the member screen open to the recorded confirmation for each
    common case, where the tapped button sits (above the tab bar of a 360×640 screen, unscrolled?) and the page's
    scroll height."""
    world = make_world(folder, picked=0)
    members = one_line_members(world, len(CASES))
    rows: list[Row] = []
    with sync_playwright() as playwright, serving(world.app, PORT):
        phone = launch_phone(playwright, folder / "profile")
        page = phone.pages[0]
        ready_for_the_day(world, page)
        phone.set_offline(True)
        account_member = members[-1]
        cases = [*zip(CASES[:3], members[:3], strict=True), (CASES[3], account_member)]
        for (case, typed, button), (name, code) in cases:
            # A fresh scan screen each time: the previous confirmation's message is not part of this member's screen.
            page.reload()
            expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
            page.get_by_label("Code manuel").fill(code)
            page.get_by_role("button", name="Chercher le code").click()
            expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
            taps = 0
            if typed:
                page.get_by_label(typed[0], exact=True).click()
                page.keyboard.type(typed[1])
                taps += 1
            target = page.get_by_role("button", name=button, exact=True)
            box = target.bounding_box()
            tabs = page.locator("#tabs").bounding_box()
            height = page.evaluate("document.documentElement.scrollHeight")
            scrolled = page.evaluate("window.scrollY")
            target.click()
            taps += 1
            expect(page.get_by_role("status").filter(has_text="Enregistré")).to_contain_text(name)
            on_screen = scrolled == 0 and box["y"] + box["height"] <= tabs["y"]
            rows.append(
                (
                    f"member screen, {case}: taps to confirmation / button bottom / page height",
                    f"{taps}{' + typing' if typed else ''} / {box['y'] + box['height']:.0f} px "
                    f"({'on screen' if on_screen else 'needs a swipe'}) / {height} px",
                    "1 tap, on screen",
                )
            )
        phone.close()
    return rows


def code_open_figures(folder: Path) -> list[Row]:
    """A manual code typed and sent ("Chercher le code"), offline, to its member's screen rendered (the frame after
    the heading is drawn), ``OPENS`` times after one untimed, at 4× CPU slowdown; closed without recording."""
    world = make_world(folder, picked=0)
    members = one_line_members(world, OPENS + 1)
    with sync_playwright() as playwright, serving(world.app, PORT):
        phone = launch_phone(playwright, folder / "profile")
        page = phone.pages[0]
        ready_for_the_day(world, page)
        phone.set_offline(True)
        session = None
        times = []
        for run, (name, code) in enumerate(members):
            session = slow_down(page, session)
            page.get_by_label("Code manuel").fill(code)
            page.evaluate(OPEN_PROBE)
            page.get_by_role("button", name="Chercher le code").click()
            settled(page, "window.__open.shown !== null")
            expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
            if run:
                times.append(page.evaluate("window.__open.shown - window.__open.start"))
            page.get_by_role("button", name="Fermer sans enregistrer").click()
            expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
        session.detach()
        phone.close()
    return [("manual code (tap) to member screen rendered, 4× slower CPU, median / p90", ms(times), "median < 60 ms")]


# 4. The app shell.


class Recorder:
    """WSGI middleware: every request's path, status and response body, whoever made it (page or worker)."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.log: list[tuple[str, str, bytes]] = []

    def __call__(self, environ, start_response):
        status: list[str] = []

        def start(line, headers, exc_info=None):
            status.append(line)
            return start_response(line, headers, exc_info)

        result = self.app(environ, start)
        return self.body(environ["PATH_INFO"], status, result)

    def body(self, path: str, status: list[str], result) -> Iterator[bytes]:
        chunks = []
        try:
            for chunk in result:
                chunks.append(chunk)
                yield chunk
        finally:
            getattr(result, "close", lambda: None)()
            with self.lock:
                self.log.append((path, status[0] if status else "?", b"".join(chunks)))


def shell_figures(folder: Path) -> list[Row]:
    """A new phone's first visit to /app/, online: the page's requests and the service worker's precache, counted
    at the server; each response body gzipped (level 9, as pwa/build-sw.mjs counts)."""
    dist = built_app(folder)
    app = bench_app(folder, dist)
    manifest = precache(dist)
    decoder_urls = set(manifest["decoder"])
    recorder = Recorder(app)
    with sync_playwright() as playwright, serving(recorder, PORT):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE, base_url=f"http://localhost:{PORT}", locale="fr-FR")
        page = context.new_page()
        session = slow_down(page)
        page.goto("/app/")
        wait_for(page, "navigator.serviceWorker.controller !== null", TIMEOUT_S)
        native = page.evaluate(NATIVE_QR)
        count = -1
        while count != len(recorder.log):  # until a second passes without a request
            count = len(recorder.log)
            page.wait_for_timeout(1000)
        session.detach()
        browser.close()
    log = list(recorder.log)
    shell = [(path, body) for path, status, body in log if status.startswith("200") and not path.startswith("/api/")]
    others = [f"{path} {status.split()[0]}" for path, status, _ in log if not status.startswith("200")]
    seen: dict[str, int] = {}
    for path, _ in shell:
        seen[path] = seen.get(path, 0) + 1
    twice = sorted(path for path, n in seen.items() if n > 1)
    unique = {path: body for path, body in shell}
    zipped = {path: len(gzip.compress(body, compresslevel=9, mtime=0)) for path, body in unique.items()}
    core = sum(size for path, size in zipped.items() if path not in decoder_urls)
    decoder = sum(size for path, size in zipped.items() if path in decoder_urls)
    wire = sum(len(body) for _, body in shell)
    return [
        (
            "first load: requests (page + worker's precache)",
            f"{len(shell)} ({len(unique)} files, {len(twice)} fetched twice)",
            "",
        ),
        ("first load: bytes sent by the server (it does not compress)", f"{wire / 1024:,.0f} KB", ""),
        ("shell gzipped: core (the precached files and /sw.js)", f"{core / 1024:,.0f} KB", ""),
        (
            "shell gzipped: QR decoder (polyfill + .wasm)",
            f"{decoder / 1024:,.0f} KB" + ("" if not native else " (not fetched: native decoder)"),
            "",
        ),
        ("shell gzipped: total", f"{(core + decoder) / 1024:,.0f} KB", "< 250 KB"),
        ("other requests during the first load", ", ".join(others) or "none", ""),
    ]


# 5. Phone to phone: an animated QR code from one phone's screen to another's camera.

TRANSFER_EVENTS = 300
TRANSFER_DROP_EVERY = 10  # one frame in ten missed
TRANSFER_LOOP = 1.7  # distinct frames in the camera's loop, per part of the message

RECEIVE = """async () => {
    const [{ startScanner }, { TransferReceiver }] = await Promise.all(
        [import('/assets/scanner.js'), import('/assets/transfer.js')]);
    const video = document.createElement('video');
    document.body.append(video);
    const receiver = new TransferReceiver();
    const decodes = [];
    const started = performance.now();
    return new Promise((resolve, reject) => {
        let scanner;
        startScanner(video, {
            sound: false, vibration: false,
            onRead(text, done, info) {
                done();
                decodes.push(info.decodeMs);
                const answer = receiver.receive(text);
                if (answer.state === 'refused') reject(new Error(answer.reason));
                if (answer.state !== 'complete') return;
                receiver.result().then((envelope) => {
                    const ms = performance.now() - started;
                    scanner.stop();
                    resolve({ ms, parts: receiver.parts, skipped: receiver.skipped, decodes, kind: envelope.kind });
                }, reject);
            },
        }).then((running) => { scanner = running; }, reject);
    });
}"""

ENCODE = """async ({envelope, loop, fragment}) => {
    const { encodeTransfer, FRAGMENT_BYTES } = await import('/assets/transfer.js');
    const sender = await encodeTransfer(envelope, { fragmentBytes: fragment ?? FRAGMENT_BYTES });
    const frames = Array.from({ length: Math.ceil(sender.parts * loop) }, () => sender.nextFrame());
    return { parts: sender.parts, bytes: sender.bytes, frames };
}"""


def transfer_events(distribution_id: int) -> list[dict]:
    """A point's day as three phones record it: 150 hand-overs, each with its payment, each event chained to its
    device's previous one (``prev_hash``: ``sync.chain.event_hash``, as the phone's chainHash) and signed (random
    bytes: the receiver does not check them here)."""
    rng = random.Random(SEED)
    devices = [f"3f2c7a9e-5b1d-4c8a-9e2f-1a2b3c4d5e6{n}" for n in range(3)]
    last: dict[str, str | None] = dict.fromkeys(devices)
    events = []
    for n in range(TRANSFER_EVENTS):
        order = 1000 + n // 2
        handover = {"order_id": order, "outcome": "all", "lines": [], "substitution_note": None}
        payment = {
            "amount_cents": rng.randrange(500, 6000),
            "method": rng.choice(["cash", "cheque", "card"]),
            "order_id": order,
            "household_id": None,
            "method_details": None,
            "from_prepaid_cents": 0,
            "from_allowance_cents": 0,
            "solidarity_cents": 0,
        }
        events.append(
            {
                "id": f"0193{n:04x}-1c00-7def-8123-{rng.getrandbits(48):012x}",
                "type": "payment" if n % 2 else "handover",
                "schema_version": 1,
                "device_id": devices[n % 3],
                "volunteer_id": 12,
                "distribution_id": distribution_id,
                "device_time": f"2026-11-24T17:{n // 6 % 60:02d}:{n % 60:02d}.000Z",
                "seq": n // 3 + 1,
                "prev_hash": last[devices[n % 3]],
                "payload": payment if n % 2 else handover,
            }
        )
        last[devices[n % 3]] = event_hash(parse_event(events[-1]))
        events[-1]["signature"] = base64.urlsafe_b64encode(rng.randbytes(64)).decode().rstrip("=")
    return events


def transfer_figures(folder: Path) -> list[Row]:
    """Phone B reads phone A's animated QR code (the frames A's transfer.js makes, drawn as QR images, played by B's
    fake camera at A's frame rate from the middle of the loop, one frame in ten dropped), its CPU slowed 4×: a
    300-event day, and a 1,000-member pack (``kind: 'pack'``, the pack's JSON as the server serves it)."""
    from server.domain.packs import distribution_pack
    from server.models import Distribution

    app = bench_app(folder, built_app(folder))
    distribution_id = make_distribution(app, MEMBERS)
    with app.app_context():
        pack_body = distribution_pack(db.session.get(Distribution, distribution_id)).body
    device = "3f2c7a9e-5b1d-4c8a-9e2f-1a2b3c4d5e60"
    common = {"v": 2, "distribution_id": distribution_id, "from": device, "from_name": "Téléphone 1"}
    day = {**common, "kind": "events", "events": transfer_events(distribution_id), "positions": {device: 100}}
    pack = {
        **common,
        "kind": "pack",
        "bytes": base64.urlsafe_b64encode(pack_body).decode().rstrip("="),
        "signature": base64.urlsafe_b64encode(bytes(64)).decode().rstrip("="),
    }
    payloads = [(f"{TRANSFER_EVENTS}-event day", day, "< 20 s"), (f"{MEMBERS:,}-member pack", pack, "< 60 s")]
    only = os.environ.get("COMPTOIR_BENCH_TRANSFER")  # "day" or "pack": one of the two
    rows: list[Row] = []
    with serving(app, PORT), sync_playwright() as playwright:
        sender = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = sender.new_page(base_url=f"http://localhost:{PORT}")
        page.goto("/__data__")
        frame_ms = page.evaluate("async () => (await import('/assets/transfer.js')).FRAME_MS")
        # Other settings to compare: COMPTOIR_BENCH_FRAGMENT (bytes per frame), COMPTOIR_BENCH_FRAME_MS.
        fragment = int(os.environ["COMPTOIR_BENCH_FRAGMENT"]) if "COMPTOIR_BENCH_FRAGMENT" in os.environ else None
        frame_ms = int(os.environ.get("COMPTOIR_BENCH_FRAME_MS", frame_ms))
        for name, envelope, target in payloads:
            if only and only not in name:
                continue
            made = page.evaluate(ENCODE, {"envelope": envelope, "loop": TRANSFER_LOOP, "fragment": fragment})
            images = [qr_image(text) for text in made["frames"]]
            start = len(images) // 2
            loop = [image for i, image in enumerate(images[start:] + images[:start]) if (i + 1) % TRANSFER_DROP_EVERY]
            video = write_y4m(folder / "transfer.y4m", loop, fps=round(1000 / frame_ms))
            camera = launch_phone(playwright, folder / f"b-{len(rows)}", args=camera_args(video))
            reader = camera.pages[0] if camera.pages else camera.new_page()
            reader.goto("/app/")  # the app's page: its CSP lets the decoder's WebAssembly run
            slow_down(reader)
            got = reader.evaluate(RECEIVE)
            camera.close()
            video.unlink()
            rows += [
                (f"transfer, {name}: compressed / parts", f"{made['bytes'] / 1024:.1f} KB / {made['parts']}", ""),
                (f"transfer, {name}: time to receive (4× slower CPU)", f"{got['ms'] / 1000:.1f} s", target),
                (f"transfer, {name}: parts read / misread", f"{got['parts']} / {got['skipped']}", ""),
                (f"transfer, {name}: decode per frame, median / p90", ms(got["decodes"]), ""),
            ]
        sender.close()
    return rows


MEASURES: list[Callable[[Path], list[Row]]] = [
    start_figures,
    scan_figures,
    member_screen_figures,
    code_open_figures,
    shell_figures,
    transfer_figures,
]


def main() -> None:
    global SNAPSHOT
    logging.getLogger("waitress").setLevel(logging.ERROR)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as built:
        SNAPSHOT = copy_built_pwa(Path(built) / "dist")
        rows.append(("app build (pwa/dist precache version)", precache(SNAPSHOT)["version"], ""))
        only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
        for measure in MEASURES:
            if only and measure.__name__ != only:
                continue
            with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as folder:
                rows += measure(Path(folder))
    width = max(len(figure) for figure, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    print(f"{'figure':<{width}}  {'value':>{value_width}}  target")
    for figure, value, target in rows:
        print(f"{figure:<{width}}  {value:>{value_width}}  {target}")


if __name__ == "__main__":
    main()
