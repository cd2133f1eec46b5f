"""Ticket figures: QR size, text length, Python sign/verify rates, and the browser's verify rate in Chromium.

Run: .venv/bin/python bench/tickets.py   (needs `make deps` for the built /assets/tickets.js and Debian chromium)
"""

import base64
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

from server import qr  # noqa: E402
from sync import tickets  # noqa: E402

PORT = 5125
BROWSER_VERIFICATIONS = 2000


def rate(function, seconds: float = 1.0) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        function()
        count += 1
    return count / (time.perf_counter() - start)


def browser_rate(text: str, public_raw: bytes) -> float:
    from playwright.sync_api import sync_playwright

    from server import create_app
    from tests.served import serving

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"SECRET_KEY": "bench", "INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        with serving(app, PORT), sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            page.goto(f"http://localhost:{PORT}/auth/sign-in")
            elapsed_ms = page.evaluate(
                """async ({ text, key, n }) => {
                    const { importPublicKeys, verifyTicket } = await import('/assets/tickets.js');
                    const keys = await importPublicKeys({ 1: key });
                    await verifyTicket(text, keys);
                    const start = performance.now();
                    for (let i = 0; i < n; i++) {
                        const result = await verifyTicket(text, keys);
                        if (!result.ok) throw new Error(result.reason);
                    }
                    return performance.now() - start;
                }""",
                {"text": text, "key": base64.b64encode(public_raw).decode(), "n": BROWSER_VERIFICATIONS},
            )
            browser.close()
    return BROWSER_VERIFICATIONS / (elapsed_ms / 1000)


def main() -> None:
    key = Ed25519PrivateKey.generate()
    public_raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ticket = tickets.Ticket(key_id=1, member_id=123_456, serial=2, issued_on=date(2026, 11, 23))
    text = tickets.sign(ticket, key)
    version = qr.version(text)
    figures = {
        "ticket bytes": tickets.TICKET_SIZE,
        "ticket text length (chars)": len(text),
        "QR version (level Q, alphanumeric)": version,
        "QR modules per side": 17 + 4 * version,
        "Python sign rate (/s)": round(rate(lambda: tickets.sign(ticket, key))),
        "Python verify rate (/s)": round(rate(lambda: tickets.verify(text, {1: public_raw}))),
        "Chromium verify rate (/s)": round(browser_rate(text, public_raw)),
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
