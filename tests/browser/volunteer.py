"""Driving the volunteer app through a whole day, for the end-to-end tests (``test_whole_day.py``) and the benchmark
(``bench/pwa.py``): an enrolment link from the admin's page, a passkey sign-in with a PIN, a distribution downloaded
and opened, tickets shown to the fake camera, a forged ticket, the phone's outbox read straight from IndexedDB, and
a server that can be stopped (every connection cut) and started again on the same port.

The screens' own tests (``test_volunteer_app.py``) have ``start_day``, ``open_by_code``… for their four-member
distribution; what is here works for any point, member count and browser (a persistent profile, a camera)."""

import base64
import re
import threading
from html import unescape
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from tests import served
from tests.browser.shell import qr_image, write_y4m
from tests.browser.webauthn import add_virtual_authenticator, register_passkey
from tests.helpers import submit_form

# Chromium's fake camera: the file it films is named at launch; replacing the file and opening the camera again shows
# another code (an open stream keeps its image).
FAKE_CAMERA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
CAMERA_TOGGLE = re.compile(r"^(Allumer|Éteindre) la caméra$")
CAMERA_TIMEOUT_MS = 15000  # camera start + the WebAssembly decoder's first read, on a busy 2-core machine


def camera_args(video: Path) -> list[str]:
    return [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={video}"]


# The admin's side.


def enrolment_link(admin: FlaskClient, phone_name: str, point_id: int) -> str:
    """Make an enrolment code on the admin's page (``/admin/devices/enrol``) and return the link it shows."""
    answer = submit_form(admin, "/admin/devices/enrol", {"name": phone_name, "points": [str(point_id)]})
    assert answer.status_code == 200, answer.status_code
    match = re.search(r'id="enrol-link"[^>]*value="([^"]+)"', answer.get_data(as_text=True))
    assert match, "no enrolment link on the page"
    return unescape(match.group(1))


def figure(html: str, name: str) -> str:
    """A figure of the admin's distribution log (``data-figure="…"``), as shown."""
    match = re.search(rf'data-figure="{re.escape(name)}">(.*?)</(?:td|strong)>', html, re.S)
    assert match, f"no figure {name}"
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def page_text(html: str) -> str:
    """A page's text on one line, as read (tags out, entities and narrow spaces as plain spaces)."""
    text = unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u202f", " ").replace("\xa0", " ")
    return re.sub(r"\s+", " ", text)


def logged_event_ids(html: str) -> list[str]:
    """The events in the log's timeline, in its order."""
    return re.findall(r'<tr id="event-([0-9a-f-]{36})"', html)


# The phone's side.


def enrol_and_sign_in(app: Flask, page: Page, link: str, email: str, pin: str) -> None:
    """Open the enrolment link, then sign the volunteer in with a passkey (a virtual authenticator on this page,
    the passkey registered by the server's own ceremony) and a PIN: what happens before leaving, online."""
    page.goto(link)
    expect(page.get_by_role("status").filter(has_text="Téléphone enregistré")).to_be_visible()
    add_virtual_authenticator(page)
    register_passkey(app, page, email)
    page.get_by_role("button", name="Se connecter avec ma clé d’accès").click()
    page.get_by_label("Code (4 à 6 chiffres)").fill(pin)
    page.get_by_label("Confirmer le code").fill(pin)
    page.get_by_role("button", name="Se connecter avec ma clé d’accès").click()
    expect(page.get_by_role("heading", name="Bénévole :")).to_be_visible()


def download_and_open(page: Page, point: str, members: int) -> None:
    """Download today's distribution at ``point`` (its pack), check what the list says of it, and open it."""
    today = page.get_by_role("list", name="Aujourd’hui")
    page.get_by_role("button", name=f"Télécharger : {point}").click()
    expect(page.get_by_role("status").filter(has_text=f"Distribution {point} téléchargée")).to_be_visible()
    expect(today).to_contain_text(re.compile(rf"Téléchargée maintenant · {members} adhérents"))
    page.get_by_role("button", name=f"Ouvrir : {point}").click()
    expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()


def show_ticket(page: Page, video: Path, text: str) -> None:
    """Hold ``text``'s QR code in front of the camera: the fake camera's file now films it, and the camera is
    (re)started, since an open stream keeps showing what it showed."""
    expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
    if page.get_by_role("button", name=CAMERA_TOGGLE).text_content() == "Éteindre la caméra":
        camera_off(page)
    write_y4m(video, [qr_image(text)])
    page.get_by_role("button", name="Allumer la caméra").click()


def camera_off(page: Page) -> None:
    page.get_by_role("button", name="Éteindre la caméra").click()
    expect(page.get_by_role("button", name="Allumer la caméra")).to_be_visible()


def forge_ticket(ticket: str, member_id: int) -> str:
    """``ticket`` altered to name another member, its signature kept: what a forger would try."""
    raw = bytearray(base64.b32decode(ticket + "=" * (-len(ticket) % 8)))
    raw[2:6] = member_id.to_bytes(4, "big")
    return base64.b32encode(bytes(raw)).decode().rstrip("=")


# Read with IndexedDB itself, not the app's modules: after a restart offline, only the precached files load.
STORED_OUTBOX = """() => new Promise((resolve, reject) => {
    const opening = indexedDB.open('comptoir');
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
        const db = opening.result;
        const read = db.transaction('outbox').objectStore('outbox').index('order').getAll();
        read.onerror = () => reject(read.error);
        read.onsuccess = () => {
            db.close();
            resolve(read.result.map((entry) => entry.event));
        };
    };
})"""


def stored_outbox(page: Page) -> list[dict]:
    """The events waiting in the phone's outbox (IndexedDB ``comptoir``, store ``outbox``), oldest first."""
    return page.evaluate(STORED_OUTBOX)


# The server.


class Server:
    """A WSGI app served by waitress on 127.0.0.1:``port`` in a thread, which can be stopped as a crash stops it
    (the listening socket and every open connection closed, whatever was in flight) and started again on the same
    port: the phone's data belongs to the origin, port included."""

    def __init__(self, app, port: int):
        self.app = app
        self.port = port
        self.server = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self, wsgi=None) -> str:
        assert self.server is None, "already running"
        self.server, self.thread = served.start(wsgi or self.app, self.port)
        return self.url

    def cut(self) -> None:
        """Close the listening socket and every connection now (safe from any thread, a request's included);
        returns once done. ``stop()`` finishes the job."""
        served.cut(self.server)

    def stop(self) -> None:
        if self.server is None:
            return
        served.stop(self.server, self.thread)
        self.server = self.thread = None


class DiesAfterCommit:
    """WSGI middleware: the first upload (``POST /api/events``) is handled by the app to the end (stored,
    committed, answer produced), then the whole server stops before a byte of the answer leaves: the phone never
    learns that its events arrived."""

    def __init__(self, app, server: Server):
        self.app, self.server = app, server
        self.tripped = threading.Event()

    def __call__(self, environ, start_response):
        upload = environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/api/events"
        if not upload or self.tripped.is_set():
            return self.app(environ, start_response)
        answer: list = []
        result = self.app(environ, lambda status, headers, exc_info=None: answer.append(status))
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        assert answer[0].startswith("200") and b'"accepted"' in body, (answer, body[:200])
        self.tripped.set()
        self.server.cut()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]  # to a closed connection: waitress drops it
