"""Helpers for the volunteer app's shell and scanner tests: a private copy of the built PWA, fake-camera videos of
real QR codes, and a Chromium that films them."""

import json
import os
import shutil
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import qrcode
from PIL import Image

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.conftest import missing

ROOT = Path(__file__).resolve().parent.parent.parent
BUILT = ROOT / "pwa" / "dist"
WIDTH, HEIGHT = 640, 480


def copy_built_pwa(destination: Path) -> Path:
    """A copy of ``pwa/dist`` for one test (served through ``PWA_DIST``), so a rebuild by someone else, or by the
    test itself, never changes the files another test is serving."""
    deadline = time.monotonic() + 10  # a build running meanwhile (`make deps` elsewhere) rewrites files
    while True:
        try:
            if (BUILT / "precache.json").exists():
                shutil.copytree(BUILT, destination, dirs_exist_ok=True)
                return destination
        except (OSError, shutil.Error):
            pass
        if time.monotonic() > deadline:
            missing("the built PWA (pwa/dist/precache.json): run `make deps`")
        time.sleep(0.5)


def precache(dist: Path) -> dict:
    return json.loads((dist / "precache.json").read_text())


def qr_image(text: str) -> Image.Image:
    """``text`` as a plain QR code (never Micro QR) on a white 640×480 frame, as a phone would film a ticket."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    scale = (HEIGHT - 40) // image.width
    image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    frame.paste(image, ((WIDTH - image.width) // 2, (HEIGHT - image.height) // 2))
    return frame.convert("RGB")


def write_y4m(path: Path, frames: Iterable[Image.Image], fps: int = 10) -> Path:
    """A YUV4MPEG2 (4:2:0) video Chromium's fake camera plays in a loop; written atomically."""
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            y, cb, cr = frame.resize((WIDTH, HEIGHT)).convert("YCbCr").split()
            out.write(b"FRAME\n")
            out.write(y.tobytes())
            out.write(cb.resize((WIDTH // 2, HEIGHT // 2)).tobytes())
            out.write(cr.resize((WIDTH // 2, HEIGHT // 2)).tobytes())
    os.replace(partial, path)
    return path


def launch_camera_browser(browser, video: Path):
    """A separate Chromium whose camera films ``video`` (and that grants the camera without asking)."""
    if not Path(CHROMIUM).exists():
        missing(f"Chromium ({CHROMIUM})")
    return browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )


@contextmanager
def camera_phone(browser, base_url: str, video: Path, **options) -> Iterator:
    """A phone's page (360×640, French) in a Chromium of its own whose camera films ``video`` (rewrite the file and
    start the camera again to show another code); that Chromium is closed after. ``options`` go to its context."""
    camera = launch_camera_browser(browser, video)
    try:
        context = camera.new_context(**PHONE, base_url=base_url, locale="fr-FR", **options)
        yield context.new_page()
    finally:
        camera.close()


def wait_for(page, expression: str, timeout: float = 10.0) -> None:
    """Poll ``expression`` until it is truthy. (Playwright's ``wait_for_function`` compiles its predicate in the
    page, which the strict CSP refuses; ``evaluate`` goes through the DevTools protocol.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(50)


WORKER_STATE = """async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    if (!registration) return null;
    return ['installing', 'waiting', 'active'].map((k) => `${k}: ${registration[k]?.state ?? 'none'}`).join(', ');
}"""


REGISTER_AGAIN = "navigator.serviceWorker.register('/sw.js', { scope: '/app/', updateViaCache: 'none' }).then(() => 1)"


def wait_for_worker(page) -> None:
    """Wait until the service worker controls the page: installing it downloads and caches the app's files first,
    which takes more than ten seconds on a CI machine running two test lanes. An install that failed (a precache
    download cut on a loaded machine) leaves no registration: it is registered again once, as the app does when it is
    next opened, with a warning; a second failure, or a worker stuck, fails with the registration's state."""
    controlled = "navigator.serviceWorker.controller !== null"
    try:
        wait_for(page, controlled, timeout=30.0)
        return
    except AssertionError as error:
        state = page.evaluate(WORKER_STATE)
        if state is not None:
            raise AssertionError(f"{error} ({state})") from None
    warnings.warn("the service worker's first install failed; registered again", stacklevel=2)
    page.evaluate(REGISTER_AGAIN)
    wait_for(page, controlled, timeout=30.0)
