"""Real Chromium (the Debian package) driven by Playwright, against a real WSGI server on localhost."""

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.conftest import missing
from tests.served import serving

CHROMIUM = os.environ.get("COMPTOIR_CHROMIUM", "/usr/bin/chromium")
PORT = int(os.environ.get("COMPTOIR_TEST_PORT", "5123"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not shutil.which(CHROMIUM):
        missing(f"Chromium ({CHROMIUM}); install the Debian package 'chromium'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return app_config | {"BASE_URL": f"http://localhost:{PORT}"}


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served by waitress on 127.0.0.1 in a thread; yields its ``http://localhost:PORT`` base URL."""
    with serving(app, PORT):
        yield f"http://localhost:{PORT}"


@pytest.fixture
def phone(browser, live_server) -> Iterator:
    """A phone-sized page (360×640) in a fresh browser context."""
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()
