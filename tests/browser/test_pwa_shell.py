"""The volunteer app's shell in real Chromium: an installable manifest; the service worker (pwa/sw.js) precaches the
built list (pwa/dist/precache.json) so that, offline, every page of /app/ loads from the cache with no failed request
and even decodes a QR code; /api/ is never cached; a new build waits until the app applies it, then takes over;
Background Sync reaches the data layer."""

import base64
import io
import json
import subprocess
import time

import pytest
from flask import request, request_finished
from PIL import Image
from playwright.sync_api import expect

from server.pwa import THEME_COLOR
from tests.browser.conftest import PHONE
from tests.browser.shell import ROOT, copy_built_pwa, precache, qr_image, wait_for, wait_for_worker

HEADING = "Téléphone non enregistré"  # the unenrolled screen: the shell and app.js ran


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the shell never touches the database: one backend is enough


@pytest.fixture
def dist(tmp_path):
    return copy_built_pwa(tmp_path / "dist")


@pytest.fixture
def app_config(app_config, dist) -> dict:
    return app_config | {"PWA_DIST": str(dist)}


REGISTER = "async () => (await (await import('/assets/update.js')).registerServiceWorker())?.scope ?? null"
VERSION = "async () => (await import('/assets/update.js')).currentVersion()"
CACHED = """async () => {
    const names = await caches.keys();
    const cached = {};
    for (const name of names) {
        const keys = await (await caches.open(name)).keys();
        cached[name] = keys.map((request) => new URL(request.url).pathname + new URL(request.url).search);
    }
    return cached;
}"""


def install(page, live_server: str) -> str:
    """Open the app, register the worker (as pwa/src/app.js does on start), wait until it controls the page."""
    page.goto("/app/")
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    assert page.evaluate(REGISTER) == f"{live_server}/app/"
    wait_for_worker(page)
    return page.evaluate(VERSION)


def test_the_manifest_is_valid_linked_and_its_icons_load(client, phone, live_server):
    french = client.get("/app/manifest.webmanifest")
    assert french.status_code == 200 and french.mimetype == "application/manifest+json"
    manifest = french.get_json()
    assert manifest["lang"] == "fr" and manifest["name"] == "Comptoir — permanence"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == manifest["scope"] == manifest["id"] == "/app/"
    assert manifest["theme_color"] == THEME_COLOR
    english = client.get("/app/manifest.webmanifest?lang=en").get_json()
    assert english["lang"] == "en" and english["name"] == "Comptoir — distribution desk"
    by_header = client.get("/app/manifest.webmanifest", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert by_header.get_json()["lang"] == "en" and by_header.headers["Vary"] == "Accept-Language"
    for icon in manifest["icons"]:
        answer = client.get(icon["src"])
        assert answer.status_code == 200 and answer.mimetype == icon["type"]
        width, height = Image.open(io.BytesIO(answer.data)).size
        assert f"{width}x{height}" == icon["sizes"]
    assert {icon["sizes"] for icon in manifest["icons"] if "any" in icon["purpose"]} >= {"192x192", "512x512"}

    # Chromium finds it from the shell's <link rel="manifest">, parses it without a complaint, and loads its icons.
    icons: list[int] = []
    phone.on("response", lambda r: icons.append(r.status) if "/static/icons/" in r.url else 0)
    phone.goto("/app/")
    assert phone.locator("meta[name=theme-color]").get_attribute("content") == THEME_COLOR
    cdp = phone.context.new_cdp_session(phone)
    found = cdp.send("Page.getAppManifest")
    assert found["url"] == f"{live_server}/app/manifest.webmanifest"
    assert found["errors"] == [], found["errors"]
    assert json.loads(found["data"])["start_url"] == "/app/"
    assert found["parsed"]["scope"] == f"{live_server}/app/"
    # Installable once the worker controls the page (Chromium checks manifest, icons and a fetch handler).
    install(phone, live_server)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == [], errors


def test_the_first_visit_asks_the_server_for_nothing_it_lacks(app, phone, live_server, dist):
    """Every request of a new phone's first visit, the browser's own (its tab's icon) included, finds its file: the
    server sees them all, the page does not."""
    missing: list[str] = []

    def note(_sender, response, **_extra) -> None:
        if response.status_code >= 400:
            missing.append(f"{response.status_code} {request.path}")

    request_finished.connect(note, app)
    try:
        install(phone, live_server)
        phone.wait_for_timeout(1000)  # the tab's icon is asked for after the page's load
    finally:
        request_finished.disconnect(note, app)
    assert missing == []
    icon = phone.locator("link[rel=icon]").get_attribute("href")
    assert icon in precache(dist)["urls"]  # offline too


def test_offline_the_shell_comes_from_the_cache(browser, live_server, dist):
    listed = precache(dist)
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    csp: list[str] = []
    page.on("console", lambda message: csp.append(message.text) if "Content Security Policy" in message.text else 0)
    version = install(page, live_server)
    assert version == listed["version"]
    # Chromium on Linux has no native BarcodeDetector: the worker also keeps the decoder (polyfill and .wasm).
    assert not page.evaluate("'BarcodeDetector' in window")
    everything = listed["urls"] + listed["decoder"]
    assert page.evaluate(CACHED) == {f"comptoir-app-{version}": everything}
    assert "/app/" in listed["urls"] and not any(url.endswith(".wasm") for url in listed["urls"])
    assert any(url.endswith(".wasm") for url in listed["decoder"])
    assert any(url.startswith("/assets/chunks/qr-polyfill-") for url in listed["decoder"])

    # /api/ goes to the network, every time, and is never kept.
    with page.expect_response("**/api/device") as answer:
        page.evaluate("async () => { await (await fetch('/api/device')).text(); }")
    assert answer.value.status == 401 and not answer.value.from_service_worker
    assert not [url for urls in page.evaluate(CACHED).values() for url in urls if url.startswith("/api/")]

    context.set_offline(True)
    responses, failures = [], []
    page.on("response", lambda response: responses.append(response))
    page.on("requestfailed", lambda request: failures.append(request.url))
    page.reload()
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    expect(page.locator("#network")).to_contain_text("Hors connexion")
    assert not failures, failures
    loaded = {response.url.removeprefix(live_server): response for response in responses}
    assert {"/app/", "/assets/app.js", "/assets/app.css", "/vendor/pico.min.css"} <= set(loaded)
    for url, response in loaded.items():
        assert url in everything, f"{url} loaded offline but is not precached"
        assert response.from_service_worker and response.ok, url

    # Every precached file answers from the cache offline; /api/ fails as it should (no stale copy).
    statuses = page.evaluate(
        "async (urls) => Promise.all(urls.map(async (url) => (await fetch(url)).status))", everything
    )
    assert statuses == [200] * len(everything)
    assert page.evaluate("() => fetch('/api/device').then(() => 'answered', () => 'failed')") == "failed"

    # Any address of the app opens the shell offline, in a new tab too; the WebAssembly decoder compiles from the
    # cache and reads a QR code.
    other = context.new_page()
    other_failures: list[str] = []
    other.on("requestfailed", lambda request: other_failures.append(request.url))
    other.goto("/app/enrol")
    expect(other.get_by_role("heading", name=HEADING)).to_be_visible()
    [polyfill] = [url for url in listed["decoder"] if url.startswith("/assets/chunks/qr-polyfill-")]
    image = io.BytesIO()
    qr_image("COMPTOIR-HORS-LIGNE").save(image, format="PNG")
    decoded = other.evaluate(
        """async ([polyfill, png]) => {
            const { createDetector } = await import(polyfill);
            const detector = await createDetector();
            const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
            const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
            return (await detector.detect(bitmap)).map((code) => code.rawValue);
        }""",
        [polyfill, base64.b64encode(image.getvalue()).decode()],
    )
    assert decoded == ["COMPTOIR-HORS-LIGNE"]
    assert not other_failures, other_failures
    assert not csp, csp
    context.close()


WATCH = """async () => {
    window.updates = 0;
    (await import('/assets/update.js')).watchForUpdate(() => { window.updates += 1; });
}"""


def test_a_new_build_waits_then_takes_over_when_applied(browser, live_server, dist):
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    old = install(page, live_server)
    page.evaluate(WATCH)

    # A new build: app.js changes, so the precache VERSION and the worker's bytes change.
    app_js = dist / "app.js"
    app_js.write_text(app_js.read_text() + '\ndocument.documentElement.dataset.build = "next";\n')
    subprocess.run(["node", str(ROOT / "pwa/build-sw.mjs"), str(dist)], cwd=ROOT, check=True, capture_output=True)
    new = precache(dist)["version"]
    assert new != old

    # The browser finds it on its next check; the new worker installs and waits: the page keeps running the old one.
    page.evaluate("async () => { await (await navigator.serviceWorker.getRegistration('/app/')).update(); }")
    wait_for(page, "window.updates === 1")
    assert page.evaluate(VERSION) == old
    assert page.evaluate("document.documentElement.dataset.build") is None
    assert sorted(page.evaluate(CACHED)) == sorted([f"comptoir-app-{old}", f"comptoir-app-{new}"])

    # Reloading does not switch either (a scan may be going on in another tab); the app is told again at start.
    page.reload()
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    assert page.evaluate(VERSION) == old
    page.evaluate(WATCH)
    wait_for(page, "window.updates === 1")

    # The volunteer taps "Nouvelle version — recharger": the page reloads into the new version.
    with page.expect_navigation():
        assert page.evaluate("async () => (await import('/assets/update.js')).applyUpdate()") is True
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    assert page.evaluate("document.documentElement.dataset.build") == "next"
    assert page.evaluate(VERSION) == new
    now = precache(dist)
    assert page.evaluate(CACHED) == {f"comptoir-app-{new}": now["urls"] + now["decoder"]}  # the old cache is gone
    assert page.evaluate("async () => (await import('/assets/update.js')).applyUpdate()") is False
    context.close()


def test_the_worker_is_served_at_the_root_and_never_cached(client, dist):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert precache(dist)["version"] in body and "comptoir-sync" in body
    assert response.headers["Content-Security-Policy"]  # the worker's own policy: connect-src 'self'


# The data layer's sync status (pwa/src/sync.js keeps it in IndexedDB meta `syncStatus`); the app created the
# database before this reads it.
SYNC_STATUS = """() => new Promise((resolve) => {
    const opening = indexedDB.open('comptoir');
    opening.onsuccess = () => {
        const db = opening.result;
        if (!db.objectStoreNames.contains('meta')) return resolve(null);
        const read = db.transaction('meta').objectStore('meta').get('syncStatus');
        read.onsuccess = () => { db.close(); resolve(read.result ?? null); };
        read.onerror = () => { db.close(); resolve(null); };
    };
    opening.onerror = () => resolve(null);
})"""


def test_background_sync_runs_the_data_layers_sync(browser, live_server):
    """A `comptoir-sync` Background Sync event reaches pwa/src/sync.js `syncAll()` inside the worker: on a phone not
    enrolled yet, it records an attempt that stopped on `not_enrolled` (the data layer's sync status)."""
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    install(page, live_server)
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not (ours := [r for r in registrations if r["scopeURL"] == f"{live_server}/app/"]):
        assert time.monotonic() < deadline, registrations
        page.wait_for_timeout(50)
    registration = ours[0]
    before = (page.evaluate(SYNC_STATUS) or {}).get("lastAttemptAt")
    event = {"origin": live_server, "registrationId": registration["registrationId"], "tag": "comptoir-sync"}
    cdp.send("ServiceWorker.dispatchSyncEvent", event | {"lastChance": False})
    wait_for(
        page,
        f"({SYNC_STATUS})().then((status) => status?.lastAttemptAt && status.lastAttemptAt !== {json.dumps(before)})",
    )
    assert page.evaluate(SYNC_STATUS)["lastError"] == "not_enrolled"
    context.close()
