"""An animated QR code from one phone's screen to another phone's fake camera: the share screen's frames captured
one by one (a screenshot of its QR code each, stepped by the test hook ``comptoirTestHooks.shareStep``), then
written as a multi-frame ``.y4m`` that Chromium's fake camera plays in a loop: starting at any frame, with a share
of the frames dropped, each frame held as long as the phone's screen holds it (``FRAME_MS``)."""

import io
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page

from tests.browser.shell import HEIGHT, WIDTH, write_y4m

HOOKS = "window.comptoirTestHooks = {};"  # before the app loads: the share screen then waits for shareStep()
FRAME_MS = 125  # pwa/src/transfer.js FRAME_MS: how long the phone's screen shows each QR frame
VIDEO_FPS = 8


def capture_frames(page: Page, count: int) -> list[Image.Image]:
    """``count`` successive frames of the share screen's animated QR code, as the other phone's camera sees them."""
    canvas = page.locator("#share-qr")
    frames = []
    for _ in range(count):
        frames.append(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB"))
        page.evaluate("window.comptoirTestHooks.shareStep()")
    return frames


def filmed(screen: Image.Image) -> Image.Image:
    """The QR code of a screenshot, as large as the camera's 640×480 frame allows, on white."""
    side = HEIGHT - 40
    image = screen.resize((side, side), Image.Resampling.NEAREST)
    frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
    frame.paste(image, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    return frame


def played(frames: list[Image.Image], *, start: int = 0, drop_every: int = 0, keep: int | None = None) -> list:
    """The frames as the camera gets them: from ``start`` on (looping), every ``drop_every``-th one dropped (10: 10 %
    dropped), only the first ``keep`` of what remains (a truncated transfer)."""
    rotated = frames[start:] + frames[:start]
    kept = [frame for i, frame in enumerate(rotated) if not drop_every or (i + 1) % drop_every]
    return kept[:keep] if keep is not None else kept


def write_animation(path: Path, frames: list[Image.Image]) -> Path:
    """The frames as a looping video: each held FRAME_MS, as the phone's screen shows it."""
    hold = max(1, FRAME_MS * VIDEO_FPS // 1000)
    return write_y4m(path, [filmed(frame) for frame in frames for _ in range(hold)], fps=VIDEO_FPS)
