"""QR codes as SVG (pages, printed cards) or PNG (downloads, the fake camera in tests)."""

import io
import itertools
import xml.etree.ElementTree as ET

import qrcode
import qrcode.image.svg
from markupsafe import Markup
from qrcode.util import MODE_ALPHA_NUM, QRData

# Level Q: a quarter of the code may be lost to creases, dirt or screen glare (docs/tickets.md).
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
SVG_NS = "http://www.w3.org/2000/svg"


# The mask of the printed cards' codes, drawn by the hundred: choosing the best of the eight masks (the standard's
# penalty rule) is nine tenths of a code's time. Mask 4 had the lowest penalties over random tickets (a mean within
# 10 % of each ticket's best); any mask decodes the same (docs/tickets.md, "QR code").
CARD_MASK = 4
TICKET_VERSION = 7  # 119 alphanumeric characters at level Q: known, so not searched for each card


def _code(
    text: str, box_size: int = 10, border: int = 4, mask_pattern: int | None = None, qr_version: int | None = None
) -> qrcode.QRCode:
    """Ticket texts (base32, upper case) go in alphanumeric mode, which keeps them at version 7. ``mask_pattern``:
    this mask rather than the best one; ``qr_version``: this size rather than the smallest that fits (both faster)."""
    code = qrcode.QRCode(
        version=qr_version,
        error_correction=ERROR_CORRECTION,
        box_size=box_size,
        border=border,
        mask_pattern=mask_pattern,
    )
    code.add_data(QRData(text, mode=MODE_ALPHA_NUM) if set(text) <= _ALPHANUMERIC else text)
    code.make(fit=qr_version is None)
    return code


def version(text: str) -> int:
    return _code(text).version


def svg(text: str, mask_pattern: int | None = None, qr_version: int | None = None) -> str:
    """An SVG document made of one path, a subpath per run of dark modules in a row (a few KB), with no style
    attributes, so it renders under the strict CSP. ``mask_pattern``, ``qr_version``: see ``_code`` (the cards give
    ``CARD_MASK`` and ``TICKET_VERSION``)."""
    matrix = _code(text, mask_pattern=mask_pattern, qr_version=qr_version).get_matrix()  # with the quiet zone
    size, runs = len(matrix), []
    for y, row in enumerate(matrix):
        x = 0
        for dark, modules in itertools.groupby(row):
            width = sum(1 for _ in modules)
            if dark:
                runs.append(f"M{x},{y}h{width}v1h-{width}z")
            x += width
    return (
        f'<svg width="{size}mm" height="{size}mm" version="1.1" viewBox="0 0 {size} {size}" xmlns="{SVG_NS}">'
        f'<path d="{"".join(runs)}" fill="#000000" stroke="none"/></svg>'
    )


def png(
    text: str, box_size: int = 10, border: int = 4, mask_pattern: int | None = None, qr_version: int | None = None
) -> bytes:
    buffer = io.BytesIO()
    _code(text, box_size, border, mask_pattern, qr_version).make_image().save(buffer)
    return buffer.getvalue()


def inline_svg(text: str, label: str, size_px: int = 264) -> Markup:
    """``text`` as an SVG to put in a page (an enrolment or invitation link): an image named ``label`` for screen
    readers, ``size_px`` wide, on a white square so it scans on any page background, and without ``style``
    attributes (allowed by the CSP)."""
    root = ET.fromstring(svg(text))
    root.set("width", str(size_px))
    root.set("height", str(size_px))
    root.set("role", "img")
    root.set("aria-label", label)
    root.set("class", "qr")
    root.insert(0, ET.Element(f"{{{SVG_NS}}}rect", width="100%", height="100%", fill="#ffffff"))
    ET.register_namespace("", SVG_NS)  # <svg>, not <svg:svg> (qrcode registers "svg" each time it draws)
    return Markup(ET.tostring(root, encoding="unicode"))
