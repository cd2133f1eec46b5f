"""QR codes as SVG (pages, printed cards) or PNG (downloads, the fake camera in tests)."""

import io
import xml.etree.ElementTree as ET

import qrcode
import qrcode.image.svg
from markupsafe import Markup
from qrcode.util import MODE_ALPHA_NUM, QRData

# Level Q: a quarter of the code may be lost to creases, dirt or screen glare (docs/tickets.md).
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
SVG_NS = "http://www.w3.org/2000/svg"


def _code(text: str, box_size: int = 10, border: int = 4) -> qrcode.QRCode:
    """Ticket texts (base32, upper case) go in alphanumeric mode, which keeps them at version 7."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, box_size=box_size, border=border)
    code.add_data(QRData(text, mode=MODE_ALPHA_NUM) if set(text) <= _ALPHANUMERIC else text)
    code.make(fit=True)
    return code


def version(text: str) -> int:
    return _code(text).version


def svg(text: str) -> str:
    """An SVG document made of one path: no style attributes, so it renders under the strict CSP."""
    return _code(text).make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")


def png(text: str, box_size: int = 10, border: int = 4) -> bytes:
    buffer = io.BytesIO()
    _code(text, box_size, border).make_image().save(buffer)
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
