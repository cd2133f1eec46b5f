"""Accessibility on every screen of the volunteer app, the member page and the admin, in real Chromium: axe-core
(npm) with the WCAG 2.2 A/AA rules and no serious or critical violation, in the light and the dark scheme; no visible
"null", "undefined" or "NaN"; nothing out of reach and no word cut across lines at 200 % text on a 360 px phone;
focus never hidden behind the app's fixed bars (WCAG 2.4.11); focus rings of 2 px at 3:1. docs/accessibility.md
says what each check does and how the marks of what is still being fixed go.

One server, one enrolled phone and one signed-in admin serve the whole module (module-scoped fixtures); each test
brings the page to its screen from a reload, so any test runs alone too. The contexts bypass the CSP so axe can be
injected (see ``tests/browser/a11y.py``). The phone runs in a Chromium whose fake camera films a revoked ticket: that
is how the "Ticket refusé" screen is reached, as at the counter."""

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import select

from server import create_app
from server.extensions import db
from server.models import Device, Household, Point, Tier, User
from tests.browser.a11y import (
    at_200_percent,
    axe_violations,
    describe,
    focus_hidden,
    nonsense_words,
    serious,
    weak_focus_indicators,
)
from tests.browser.conftest import PHONE, PORT
from tests.browser.shell import copy_built_pwa, launch_camera_browser, qr_image, write_y4m
from tests.browser.volunteer import Server
from tests.browser.webauthn import add_virtual_authenticator, register_passkey
from tests.factories.volunteer_app import VolunteerAppWorld, volunteer_app_world
from tests.helpers import make_sign_in_token
from tests.phones import enrol_phone

SCHEMES = ["light", "dark"]
ADMIN = {"viewport": {"width": 1280, "height": 800}}
PIN = "2468"
CAMERA_TIMEOUT_MS = 20000


@dataclass(frozen=True)
class Site:
    app: object
    url: str
    world: VolunteerAppWorld
    point: int
    awa: int
    page_token: str


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """The volunteer app's world (a point, a distribution running now, four members, tickets, one of them
    revoked), a second volunteer for the PIN switch, and a double hand-over of Elouan's basket by two phones: a
    conflict in the distribution's log. Served on localhost for the whole module."""
    folder = tmp_path_factory.mktemp("a11y")
    (folder / "instance").mkdir()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'a11y.sqlite'}",
            "INSTANCE_PATH": str(folder / "instance"),
            "PWA_DIST": str(copy_built_pwa(folder / "dist")),
            "BASE_URL": f"http://localhost:{PORT}",
        }
    )
    with app.app_context():
        db.create_all()
        world = volunteer_app_world()
        point = db.session.scalar(select(Point))
        db.session.add(User(email="admin@example.org", role="admin", display_name="Admin"))
        sami = User(email="sami@example.org", role="volunteer", display_name="Sami", points=[point])
        db.session.add(sami)
        db.session.commit()
        point_id, victor = point.id, db.session.scalar(select(User.id).where(User.email == "victor@example.org"))
        awa = db.session.get(Household, world.members["Awa D."])
        page_token = awa.page_token
    order = {"order_id": world.orders["Elouan B."], "outcome": "all"}
    for name in ("Téléphone de Sami", "Téléphone de Lou"):
        other = enrol_phone(app, [point_id], victor, name=name)
        assert other.push([other.record("handover", order, world.distribution)]).status_code == 200
    # The last phone's box: 50 € at opening, 40 € at closing: a cash gap the log shows as a negative figure.
    counts = [
        other.record("cash_count", {"kind": kind, "total_cents": cents, "denominations": None}, world.distribution)
        for kind, cents in (("opening", 5000), ("closing", 4000))
    ]
    assert other.push(counts).status_code == 200
    checked = app.test_cli_runner().invoke(args=["sync", "check-conflicts"])
    assert checked.exit_code == 0, checked.output
    server = Server(app, PORT)
    url = server.start()
    yield Site(app, url, world, point_id, world.members["Awa D."], page_token)
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# The volunteer app.


@pytest.fixture(scope="module")
def phone(browser, site: Site, tmp_path_factory) -> Iterator[Page]:
    """One phone for the module: enrolled from its link, Victor then Sami signed in with a passkey and a PIN, the
    day's distribution downloaded and opened. Its camera films Jean-Luc's revoked ticket."""
    video = write_y4m(tmp_path_factory.mktemp("camera") / "revoked.y4m", [qr_image(site.world.revoked_ticket)])
    camera = launch_camera_browser(browser, video)
    context = camera.new_context(**PHONE, base_url=site.url, locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    with site.app.app_context():
        from server.domain.devices import create_enrolment

        admin = db.session.scalar(select(User).where(User.role == "admin"))
        _offer, token = create_enrolment(admin, "Téléphone du Luzard", [db.session.get(Point, site.point)])
        db.session.commit()
    page.goto(f"/app/enrol#{token}")
    expect(page.locator("#screen-home")).to_be_visible()
    add_virtual_authenticator(page)
    for email, name in (("victor@example.org", "Victor"), ("sami@example.org", "Sami")):
        page.locator("#add-volunteer").click()
        expect(page.locator("#screen-sign-in")).to_be_visible()
        page.locator("#sign-in-email").fill(email)
        register_passkey(site.app, page, email)
        page.locator("#pin-new").fill(PIN)
        page.locator("#pin-confirm").fill(PIN)
        page.locator("#sign-in-submit").click()
        expect(page.locator("#current-name")).to_contain_text(name)
    page.get_by_role("button", name=re.compile(r"^Télécharger")).click()
    page.get_by_role("button", name=re.compile(r"^Ouvrir")).click()
    expect(page.locator("#screen-scan")).to_be_visible()
    yield page
    context.close()
    camera.close()


def reopen(phone: Page) -> None:
    """Reload the app: it reopens on its distribution's scan screen, online, with the tab bar (waited for, so a tap
    that follows is not undone by the app's own opening)."""
    phone.context.set_offline(False)
    phone.goto("/app/")
    expect(phone.locator("#screen-scan")).to_be_visible()
    expect(phone.locator("#tabs")).to_be_visible()


def tab(phone: Page, name: str) -> None:
    """Tap a tab until its screen shows (a tap while the app is still opening its distribution can be overtaken)."""
    screen = phone.locator(f"#screen-{name}")
    for _ in range(3):
        phone.locator(f"#tabs [data-tab={name}]").click()
        try:
            expect(screen).to_be_visible(timeout=2000)
            return
        except AssertionError:
            continue
    expect(screen).to_be_visible()


def member_by_code(name: str) -> Callable[[Page, Site], None]:
    def show(phone: Page, site: Site) -> None:
        tab(phone, "scan")
        phone.locator("#code-input").fill(site.world.codes[name])
        phone.locator("#code-submit").click()
        expect(phone.locator("#screen-member h1")).to_be_visible()

    return show


def member_top_up(phone: Page, site: Site) -> None:
    """The member screen with "Créditer le compte prépayé" open (a credit paid at the point)."""
    member_by_code("Awa D.")(phone, site)
    phone.locator("#top-up summary").click()
    expect(phone.locator("#top-up-amount")).to_be_visible()


def sign_in_screen(phone: Page, site: Site) -> None:
    tab(phone, "home")
    phone.locator("#add-volunteer").click()
    expect(phone.locator("#screen-sign-in")).to_be_visible()


def pin_dialog(phone: Page, site: Site) -> None:
    tab(phone, "home")
    phone.locator("#volunteers button[data-shift]").first.click(timeout=5000)
    expect(phone.locator("#pin-dialog")).to_be_visible()


def scan_offline(phone: Page, site: Site) -> None:
    """The scan screen with no connection, after "send now" failed: the sync bar and its message."""
    tab(phone, "scan")
    phone.context.set_offline(True)
    phone.locator("#sync-now").click()
    expect(phone.locator("#sync-error, #alert").locator("visible=true").first).to_be_visible()


def refused_ticket(phone: Page, site: Site) -> None:
    tab(phone, "scan")
    phone.locator("#camera-toggle").click()
    expect(phone.locator("#screen-member h1")).to_have_text(re.compile("refusé", re.I), timeout=CAMERA_TIMEOUT_MS)


def exchange(phone: Page, button: str, drawn: str) -> None:
    """Phone to phone (screens/transfer.js): from the scan screen's menu « Autres téléphones »."""
    tab(phone, "scan")
    phone.get_by_text("Autres téléphones", exact=True).click()
    phone.get_by_role("button", name=button).click()
    expect(phone.locator(drawn)).not_to_be_empty()


def receive_from_home(phone: Page, site: Site) -> None:
    """« Recevoir d’un autre téléphone » from the home screen (a phone with no distribution takes one there)."""
    tab(phone, "home")
    phone.get_by_role("button", name="Recevoir d’un autre téléphone").click()
    expect(phone.locator("#receive-percent")).not_to_be_empty()


SCREENS: dict[str, Callable[[Page, Site], None]] = {
    "home": lambda phone, site: tab(phone, "home"),
    "sign-in": sign_in_screen,
    "pin-dialog": pin_dialog,
    "scan": lambda phone, site: tab(phone, "scan"),
    "scan-offline": scan_offline,
    "member-payment-due": member_by_code("Awa D."),  # no account: "Total dû" once read "null"
    "member-accounts": member_by_code("Élodie M."),  # prepaid and allowance
    "member-collected-elsewhere": member_by_code("Elouan B."),  # handed over by another phone
    "member-top-up": member_top_up,
    "refused-ticket": refused_ticket,
    "lists": lambda phone, site: tab(phone, "lists"),
    "cash": lambda phone, site: tab(phone, "cash"),
    "share": lambda phone, site: exchange(phone, "Partager avec un autre téléphone", "#share-summary"),
    "receive": lambda phone, site: exchange(phone, "Recevoir d’un autre téléphone", "#receive-percent"),
    "share-pack": lambda phone, site: exchange(
        phone, "Partager la distribution avec un téléphone qui ne l’a pas", "#share-summary"
    ),
    "receive-from-home": receive_from_home,
}


def volunteer_params(check: str, schemes: list[str] | None = None) -> list:
    """The volunteer app's screens (times the schemes, if given) for a check."""
    if schemes is None:
        return [pytest.param(screen, id=screen) for screen in SCREENS]
    return [pytest.param(screen, scheme, id=f"{screen}-{scheme}") for screen in SCREENS for scheme in schemes]


# The last screen shown and left as it was (an axe run changes nothing): the next scheme's run reuses it.
last_shown: dict[str, str | None] = {"phone": None, "admin": None}


def show(phone: Page, site: Site, screen: str, *, reuse: bool = False) -> None:
    if not (reuse and last_shown["phone"] == screen):
        last_shown["phone"] = None
        for attempt in range(2):  # once more from a reload: the app may still be redrawing what the tap left
            try:
                reopen(phone)
                SCREENS[screen](phone, site)
                break
            except (AssertionError, PlaywrightTimeoutError):
                if attempt:
                    raise
    last_shown["phone"] = screen if reuse else None


@pytest.mark.parametrize(("screen", "scheme"), volunteer_params("axe", SCHEMES))
def test_volunteer_app_screens_pass_axe(phone, site, screen, scheme):
    show(phone, site, screen, reuse=True)
    phone.emulate_media(color_scheme=scheme)
    try:
        blocking = serious(axe_violations(phone, f"volunteer app · {screen} · {scheme}"))
    finally:
        phone.emulate_media(color_scheme="light")
    if blocking:
        pytest.fail(f"{screen}, {scheme} scheme:\n{describe(blocking)}", pytrace=False)


@pytest.mark.parametrize("screen", volunteer_params("text"))
def test_volunteer_app_screens_never_show_null(phone, site, screen):
    show(phone, site, screen)
    assert nonsense_words(phone) == []


@pytest.mark.parametrize("screen", volunteer_params("200%"))
def test_volunteer_app_screens_keep_everything_in_reach_at_200_percent(phone, site, screen):
    show(phone, site, screen)
    measured = at_200_percent(phone)
    assert measured == {"scrollWidth": measured["scrollWidth"], "out": [], "broken": []}, measured
    assert measured["scrollWidth"] <= 360, measured


@pytest.mark.parametrize("screen", volunteer_params("focus"))
def test_volunteer_app_focus_is_never_hidden(phone, site, screen):
    show(phone, site, screen)
    assert focus_hidden(phone) == []


RING_SCREENS = {"home", "pin-dialog", "scan", "member-payment-due"}  # every kind of control the app has


@pytest.mark.parametrize(
    ("screen", "scheme"), [p for p in volunteer_params("ring", SCHEMES) if p.values[0] in RING_SCREENS]
)
def test_volunteer_app_focus_rings_show(phone, site, screen, scheme):
    show(phone, site, screen)
    phone.emulate_media(color_scheme=scheme)
    try:
        assert weak_focus_indicators(phone) == []
    finally:
        phone.emulate_media(color_scheme="light")


# The member page.


@pytest.fixture(scope="module")
def member_page(browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(**PHONE, base_url=site.url, locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def open_member_page(page: Page, site: Site) -> None:
    page.goto(f"/m/{site.page_token}")
    expect(page.get_by_role("heading", name="Awa Diallo")).to_be_visible()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_member_page_passes_axe(member_page, site, scheme):
    open_member_page(member_page, site)
    member_page.emulate_media(color_scheme=scheme)
    blocking = serious(axe_violations(member_page, f"member page · {scheme}"))
    if blocking:
        pytest.fail(f"member page, {scheme} scheme:\n{describe(blocking)}", pytrace=False)


def test_the_member_page_never_shows_null(member_page, site):
    open_member_page(member_page, site)
    assert nonsense_words(member_page) == []


def test_the_member_page_keeps_everything_in_reach_at_200_percent(member_page, site):
    open_member_page(member_page, site)
    measured = at_200_percent(member_page)
    assert measured == {"scrollWidth": measured["scrollWidth"], "out": [], "broken": []}, measured
    assert measured["scrollWidth"] <= 360, measured


# The admin.


@pytest.fixture(scope="module")
def admin(browser, site: Site) -> Iterator[Page]:
    """The network's admin, signed in through a one-time link, on a 1280×800 screen."""
    context = browser.new_context(**ADMIN, base_url=site.url, locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    page.goto(f"/auth/link/{make_sign_in_token(site.app, 'admin@example.org')}")
    page.locator("main button[type=submit], main input[type=submit]").first.click()
    page.wait_for_url("**/admin/**")
    yield page
    context.close()


def submitted(path: str, fill: Callable[[Page, Site], None]) -> Callable[[Page, Site], None]:
    """A page reached by submitting a form: open ``path``, fill it, send it."""

    def show(page: Page, site: Site) -> None:
        page.goto(path.format(**ids(site)))
        fill(page, site)
        page.locator("main form button[type=submit], main form input[type=submit]").last.click()
        page.wait_for_load_state()

    return show


def ids(site: Site) -> dict[str, int]:
    with site.app.app_context():
        return {
            "distribution": site.world.distribution,
            "order": site.world.orders["Awa D."],
            "member": site.awa,
            "point": site.point,
            "tier": db.session.scalar(select(Tier.id)),
            "product": site.world.basket,
            "user": db.session.scalar(select(User.id).where(User.email == "sami@example.org")),
            "device": db.session.scalar(select(Device.id)),
        }


INVITED = itertools.count()  # each invitation a new person


def fill_invitation(page: Page, site: Site) -> None:
    page.locator("#email").fill(f"invited{next(INVITED)}@example.org")
    page.locator("#display_name").fill("Lou")
    page.locator("#role").select_option("volunteer")
    page.locator("input[name=points]").first.check()


def upload_bad_orders(page: Page, site: Site) -> None:
    wrong = b"code_adherent;produit;quantite\nXXX;NOPE;-1\n"
    page.locator("input[type=file]").set_input_files(files=[{"name": "c.csv", "mimeType": "text/csv", "buffer": wrong}])


def fill_enrolment(page: Page, site: Site) -> None:
    page.locator("#name").fill("Téléphone de Lou")
    page.locator("input[name=points]").first.check()


ADMIN_PAGES: dict[str, str | Callable[[Page, Site], None]] = {
    "dashboard": "/admin/",
    "members": "/admin/members/",
    "member-new": "/admin/members/new",
    "member-new-refused": submitted("/admin/members/new", lambda page, site: None),  # errors by the fields
    "member-edit": "/admin/members/{member}/edit",
    "member-ticket": "/admin/members/{member}/ticket",
    "points": "/admin/points/",
    "point-edit": "/admin/points/{point}/edit",
    "point-history": "/admin/points/{point}/history",
    "point-week": "/admin/points/{point}/week",
    "distributions": "/admin/distributions/",
    "distribution-new": "/admin/distributions/new",
    "distribution-edit": "/admin/distributions/{distribution}/edit",
    "distribution-log": "/admin/distributions/{distribution}/log",  # with a double hand-over conflict
    "distribution-volunteers": "/admin/distributions/{distribution}/volunteers",
    "orders": "/admin/distributions/{distribution}/orders",
    "order": "/admin/orders/{order}",
    "orders-import": "/admin/distributions/{distribution}/orders/import",
    "orders-import-refused": submitted("/admin/distributions/{distribution}/orders/import", upload_bad_orders),
    "sign-off-sheet": "/admin/distributions/{distribution}/sign-off",
    "devices": "/admin/devices/",
    "device-enrol": "/admin/devices/enrol",
    "device-enrolled": submitted("/admin/devices/enrol", fill_enrolment),
    "users": "/admin/users/",
    "user-new": "/admin/users/new",
    "user-edit": "/admin/users/{user}/edit",
    "user-invited": submitted("/admin/users/new", fill_invitation),
    "products": "/admin/products/",
    "producers": "/admin/producers/",
    "producer-new": "/admin/producers/new",
    "cheques": "/admin/cheques/",
    "contracts": "/admin/contracts/",
    "contract-new": "/admin/contracts/new",
    "distribution-producers": "/admin/distributions/{distribution}/producers",
    "product-edit": "/admin/products/{product}/edit",
    "tiers": "/admin/tiers/",
    "tier-edit": "/admin/tiers/{tier}/edit",
    "cards": "/admin/cards/",
    "notifications": "/admin/notifications/",
    "audit": "/admin/audit/",
    "membership": "/admin/membership/",
    "allowance": "/admin/allowance/",
    "network-settings": "/admin/settings/",
    "member-accounts": "/admin/members/{member}/accounts",
    "passkeys": "/auth/passkeys",
}


def open_admin(page: Page, site: Site, name: str, *, reuse: bool = False) -> None:
    if reuse and last_shown["admin"] == name:
        return
    last_shown["admin"] = None
    target = ADMIN_PAGES[name]
    if callable(target):
        target(page, site)
    else:
        answer = page.goto(target.format(**ids(site)))
        assert answer.status == 200, (target, answer.status)
    last_shown["admin"] = name if reuse else None


def admin_params() -> list:
    return [pytest.param(name, scheme) for name in ADMIN_PAGES for scheme in SCHEMES]


@pytest.mark.parametrize(("name", "scheme"), admin_params())
def test_admin_pages_pass_axe(admin, site, name, scheme):
    open_admin(admin, site, name, reuse=True)
    admin.emulate_media(color_scheme=scheme)
    try:
        blocking = serious(axe_violations(admin, f"admin · {name} · {scheme}"))
    finally:
        admin.emulate_media(color_scheme="light")
    if blocking:
        pytest.fail(f"{name}, {scheme} scheme:\n{describe(blocking)}", pytrace=False)


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_pages_never_show_null(admin, site, name):
    open_admin(admin, site, name)
    assert nonsense_words(admin) == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_sign_in_page_passes_axe(browser, site, scheme):
    context = browser.new_context(**ADMIN, base_url=site.url, locale="fr-FR", bypass_csp=True, color_scheme=scheme)
    page = context.new_page()
    page.goto("/auth/sign-in")
    blocking = serious(axe_violations(page, f"admin · sign-in · {scheme}"))
    words = nonsense_words(page)
    context.close()
    if blocking:
        pytest.fail(f"sign-in, {scheme} scheme:\n{describe(blocking)}", pytrace=False)
    assert words == []


def test_every_page_in_the_admin_menu_is_checked(admin, site):
    """A page added to the admin's menu gets these checks too: each link of the menu is one of ADMIN_PAGES."""
    admin.goto("/admin/")
    menu = admin.evaluate(
        '[...document.querySelectorAll(\'nav a[href^="/admin"], nav a[href^="/auth"]\')].map((a) => a.pathname)'
    )
    checked = {target for target in ADMIN_PAGES.values() if isinstance(target, str)}
    assert menu and set(menu) - {"/auth/sign-out"} <= checked, sorted(set(menu) - checked)


FOCUS_PAGES = ["dashboard", "members", "member-edit", "distribution-log", "users", "device-enrol"]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", FOCUS_PAGES)
def test_admin_focus_rings_show(admin, site, name, scheme):
    open_admin(admin, site, name)
    admin.emulate_media(color_scheme=scheme)
    try:
        assert weak_focus_indicators(admin) == []
    finally:
        admin.emulate_media(color_scheme="light")
