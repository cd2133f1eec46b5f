"""The volunteer app's shell on a 360×640 phone, outdoors and in a queue (issue 12, items 4, 6, 11, 12, 13): the
last confirmation never shows above the next member, the sync bar is one line offline, the camera stays in sight
after a hand-over, the app reads in the dark scheme and at 200 % text, focus is never hidden and never lost, and the
words are plain in both languages.

Contrast is measured in the page (WCAG 2.x relative luminance) for every visible text, against the colour actually
behind it (the first opaque background up the tree, translucent ones blended in). axe-core is not among the npm
packages of this project (package.json): this check covers its colour-contrast rule for our screens.

200 % text: Chrome scales text for a larger system or browser font size by raising the default font size, the size
`1rem` and `100%` resolve to (Chrome on Android's "Text scaling" setting and Android's font size feed it; the viewport
stays 360 px wide). The app and Pico size everything in rem, so the DevTools protocol's `Page.setFontSizes` with a
standard size of 32 px (twice 16 px) is what a volunteer with Android's large text gets. (A `<style>` added by the
test would be refused by the app's CSP.)"""

import json
import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from server.extensions import db
from server.models import Point
from tests.browser.conftest import PHONE
from tests.browser.shell import copy_built_pwa, launch_camera_browser, qr_image, write_y4m
from tests.browser.test_volunteer_app import PIN, open_by_code, start_day
from tests.browser.webauthn import register_passkey
from tests.factories.primitives import member_of
from tests.factories.volunteer_app import POINT, volunteer_app_world

SHOTS = "/tmp/shots/shell"


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def app_config(app_config, tmp_path) -> dict:
    return app_config | {"PWA_DIST": str(copy_built_pwa(tmp_path / "dist"))}


@pytest.fixture
def world(app):
    with app.app_context():
        return volunteer_app_world()


# Every visible text's contrast against what is behind it; a list of the failures.
CONTRAST = """(minimum) => {
    const parse = (text) => {
        const m = text.match(/rgba?\\(([^)]+)\\)/);
        if (!m) return [0, 0, 0, 0];
        const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
        return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const lum = ([r, g, b]) => {
        const c = [r, g, b].map((v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    const over = (top, under) => {
        const a = top[3];
        return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1);
    };
    const behind = (element) => {
        const layers = [];
        for (let e = element; e; e = e.parentElement) {
            const bg = parse(getComputedStyle(e).backgroundColor);
            if (bg[3] > 0) layers.push(bg);
            if (bg[3] >= 1) break;
        }
        let colour = layers.length && layers.at(-1)[3] >= 1 ? layers.pop() : [255, 255, 255, 1];
        if (!layers.length && colour === undefined) colour = [255, 255, 255, 1];
        for (const layer of layers.reverse()) colour = over(layer, colour);
        return colour;
    };
    const ratio = (a, b) => {
        const [l1, l2] = [lum(a), lum(b)].sort((x, y) => y - x);
        return (l1 + 0.05) / (l2 + 0.05);
    };
    const failures = [];
    const all = document.querySelectorAll('body *:not(script):not(style):not(option)');
    for (const element of all) {
        const own = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
        const field = element.matches('input:not([type=radio]):not([type=checkbox]):not([type=hidden])');
        if (!own && !field) continue;
        const rect = element.getBoundingClientRect();
        if (rect.width < 2 || rect.height < 2 || !element.checkVisibility({ visibilityProperty: true })) continue;
        const style = getComputedStyle(element);
        const fg = over(parse(style.color), behind(element));
        const bg = behind(element);
        const size = parseFloat(style.fontSize);
        const bold = Number(style.fontWeight) >= 700;
        const needed = size >= 24 || (bold && size >= 18.66) ? 3 : minimum;
        const r = ratio(fg, bg);
        if (r < needed) {
            const words = (element.textContent || element.value || '').trim().slice(0, 40);
            failures.push(`${r.toFixed(2)} < ${needed}: ${element.tagName} #${element.id} ${words}`);
        }
    }
    return failures;
}"""

# The focused element's ring: its outline (or box-shadow) colour against the background behind it, and its width.
FOCUS_RING = """() => {
    const e = document.activeElement;
    const style = getComputedStyle(e);
    return {
        tag: e.tagName, id: e.id, outline: style.outlineColor, outlineStyle: style.outlineStyle,
        width: parseFloat(style.outlineWidth), page: getComputedStyle(document.body).backgroundColor,
        own: style.backgroundColor,
    };
}"""

# Buttons (and fields) outside the viewport, horizontally; the page's scroll width.
REACH = """() => {
    const out = [];
    for (const e of document.querySelectorAll('button, input, select, textarea, a[href]')) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || !e.checkVisibility()) continue;
        if (r.left < -0.5 || r.right > window.innerWidth + 0.5) {
            const name = e.id || e.textContent.trim().slice(0, 30);
            out.push(`${e.tagName} ${name} ${Math.round(r.left)}–${Math.round(r.right)}`);
        }
    }
    return { out, scroll: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) };
}"""

# Words broken inside (one letter per line): a text on more lines than it has words (twice as many, for a text that
# may break at dashes, such as a ticket code); in the bars and tabs, no more lines than words.
BROKEN_WORDS = """() => {
    const broken = [];
    for (const e of document.querySelectorAll('body *:not(script):not(style)')) {
        if (!e.checkVisibility() || !e.textContent.trim()) continue;
        if ([...e.children].length) continue;
        const range = document.createRange();
        range.selectNodeContents(e);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        const words = e.textContent.trim().split(/\\s+/).length;
        // A code may break at its dashes; a word broken letter by letter takes far more lines than words.
        const limit = e.closest('#tabs, #sync-bar, header') ? words : words * 2;
        if (lines.size > limit) broken.push(`${e.id || e.tagName}: ${lines.size} lines for ${words} words`);
    }
    return broken;
}"""


def luminance(rgb: tuple[float, float, float]) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def rgb(css: str) -> tuple[float, float, float]:
    parts = [float(p) for p in re.findall(r"[\d.]+", css)[:3]]
    return parts[0], parts[1], parts[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted([luminance(rgb(a)), luminance(rgb(b))], reverse=True)
    return (high + 0.05) / (low + 0.05)


def large_text(page: Page, percent: int) -> None:
    """The browser's default font size at ``percent`` % of 16 px (see the module's docstring)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 16 * percent // 100, "fixed": 13 * percent // 100}})
    page.wait_for_timeout(100)


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=f"{SHOTS}/{name}.png")


def hand_over_in_cash(page: Page, code: str, given: str) -> None:
    open_by_code(page, code)
    page.get_by_label("Somme donnée", exact=True).fill(given)
    page.get_by_role("button", name="Tout remis · payé en espèces").click()
    expect(page.get_by_role("status").filter(has_text="Enregistré")).to_be_visible()


def confirmation(page: Page):
    return page.locator("#message").filter(has_text="Enregistré")


# Item 4: the last member's confirmation never shows above the next member or a refused ticket.


def test_a_confirmation_goes_when_the_next_member_or_a_refused_ticket_opens(app, browser, live_server, tmp_path, world):
    video = write_y4m(tmp_path / "none.y4m", [qr_image("nothing to read")])
    camera = launch_camera_browser(browser, video)
    try:
        context = camera.new_context(**PHONE, base_url=live_server, locale="fr-FR")
        page = context.new_page()
        start_day(app, page, world)
        page.context.set_offline(True)
        hand_over_in_cash(page, world.codes["Élodie M."], "20")
        expect(confirmation(page)).to_contain_text("monnaie à rendre : 5,72 €")

        # The next member: Élodie's change is not on Awa's screen.
        open_by_code(page, world.codes["Awa D."])
        expect(page.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()
        expect(confirmation(page)).to_be_hidden()
        expect(page.get_by_text("5,72 €")).to_have_count(0)
        page.get_by_role("button", name="Fermer sans enregistrer").click()
        # Leaving the member screen does not bring the old confirmation back either.
        expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
        expect(confirmation(page)).to_be_hidden()

        # A refused ticket right after a hand-over: no confirmation above it.
        hand_over_in_cash(page, world.codes["Elouan B."], "50")
        expect(confirmation(page)).to_contain_text("Elouan Bréhat")
        write_y4m(video, [qr_image(world.revoked_ticket)])
        page.get_by_role("button", name="Allumer la caméra").click()
        expect(page.get_by_role("heading", name="Ticket refusé")).to_be_visible(timeout=15000)
        expect(confirmation(page)).to_be_hidden()
        expect(page.get_by_text("Elouan Bréhat")).to_have_count(0)

        # And not across screens: the confirmation is the scan screen's, not the lists'.
        page.get_by_role("button", name="Ticket suivant").click()
        page.get_by_role("button", name="Éteindre la caméra").click()
        hand_over_in_cash(page, world.codes["Awa D."], "50")
        page.get_by_role("button", name="Listes").click()
        expect(page.get_by_role("heading", name="Listes")).to_be_visible()
        expect(confirmation(page)).to_be_hidden()
        context.close()
    finally:
        camera.close()


# Item 6: offline, one compact line; the camera in sight after a hand-over; one message, not two.


def test_offline_the_bar_is_one_line_and_the_camera_stays_in_sight(app, browser, live_server, tmp_path, world):
    video = write_y4m(tmp_path / "none.y4m", [qr_image("nothing to read")])
    camera = launch_camera_browser(browser, video)
    try:
        context = camera.new_context(**PHONE, base_url=live_server, locale="fr-FR")
        page = context.new_page()
        start_day(app, page, world)
        page.context.set_offline(True)
        hand_over_in_cash(page, world.codes["Élodie M."], "20")
        bar = page.locator("#sync-bar")
        expect(bar).to_contain_text("Hors connexion")
        expect(bar).to_contain_text("1 à envoyer")  # a hand-over with its payment: one action
        box = bar.bounding_box()
        assert box["height"] <= 64, box  # one line (the button is a 48 px touch target)
        expect(page.get_by_role("button", name="Envoyer", exact=True)).to_be_visible()

        page.get_by_role("button", name="Allumer la caméra").click()
        expect(page.locator("#scan-video")).to_be_visible()
        page.wait_for_timeout(500)
        tabs_top = page.locator("#tabs").bounding_box()["y"]
        hand_over_in_cash(page, world.codes["Awa D."], "50")
        expect(confirmation(page)).to_contain_text("monnaie à rendre : 29,60 €")
        expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
        page.wait_for_timeout(300)
        shoot(page, "scan-after-hand-over")
        video_box = page.locator("#scan-video").bounding_box()
        message_box = confirmation(page).bounding_box()
        # The whole camera picture and the whole confirmation on screen, above the tab bar.
        assert video_box["y"] >= 0 and video_box["y"] + video_box["height"] <= tabs_top + 1, (video_box, tabs_top)
        assert message_box["y"] >= 0 and message_box["y"] + message_box["height"] <= tabs_top + 1, message_box
        page.get_by_role("button", name="Éteindre la caméra").click()

        # A new tab, offline: one message says so, not two.
        other = context.new_page()
        other.goto("/app/")
        expect(other.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
        other.wait_for_timeout(1500)  # the first sync attempt has failed by now
        shoot(other, "new-tab-offline")
        said = other.locator("body").inner_text()
        assert len(re.findall(r"connexion|ligne|réseau", said, re.I)) == 1, said
        # The details are on the home screen.
        other.get_by_role("button", name="Accueil").click()
        expect(other.get_by_role("region", name="Ce téléphone", exact=True)).to_contain_text(
            re.compile(r"\d enregistrements? à envoyer\. Dernier envoi réussi : \d\d:\d\d\.")
        )
        context.close()
    finally:
        camera.close()


# Item 11: a real dark scheme, and 200 % text on 360 px.


def walk_screens(page: Page, world, check, prefix: str) -> None:
    """Call ``check(name)`` on home, scan, a member, lists, cash, the undo dialog and the sign-in screen (offline, one
    hand-over recorded)."""
    page.get_by_role("button", name="Accueil").click()
    expect(page.locator("#screen-home")).to_be_visible()
    check(f"{prefix}-home")
    page.get_by_role("button", name="Scanner", exact=True).click()
    expect(page.locator("#screen-scan")).to_be_visible()
    check(f"{prefix}-scan")
    open_by_code(page, world.codes["Awa D."])
    expect(page.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()
    check(f"{prefix}-member")
    page.get_by_role("button", name="Fermer sans enregistrer").click()
    page.get_by_role("button", name="Listes").click()
    expect(page.locator("#screen-lists")).to_be_visible()
    check(f"{prefix}-lists")
    page.get_by_role("button", name="Caisse").click()
    expect(page.locator("#screen-cash")).to_be_visible()
    check(f"{prefix}-cash")
    page.get_by_role("button", name="Scanner", exact=True).click()
    page.get_by_role("button", name="Annuler la dernière action").click()
    expect(page.get_by_role("dialog", name="Annuler cette action ?")).to_be_visible()
    check(f"{prefix}-dialog")
    page.get_by_role("button", name="Non, garder").click()
    page.get_by_role("button", name="Accueil").click()
    page.get_by_role("button", name="Ajouter un·e bénévole").click()
    expect(page.locator("#screen-sign-in")).to_be_visible()
    check(f"{prefix}-sign-in")
    page.get_by_role("button", name="Annuler", exact=True).click()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_reads_in_light_and_dark(app, browser, live_server, world, scheme):
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR", color_scheme=scheme)
    page = context.new_page()
    start_day(app, page, world)
    page.context.set_offline(True)
    hand_over_in_cash(page, world.codes["Élodie M."], "20")
    failures = {}

    def check(name: str) -> None:
        page.wait_for_timeout(400)  # Pico's 0.2 s colour transitions (a tapped tab) have ended
        shoot(page, name)
        found = page.evaluate(CONTRAST, 4.5)
        if found:
            failures[name] = found

    walk_screens(page, world, check, scheme)
    assert not failures, failures
    assert page.locator('meta[name="color-scheme"]').get_attribute("content") == "light dark"

    # A focus ring of 3:1 at least against the page, in both schemes, on a field and on a button.
    page.get_by_role("button", name="Scanner", exact=True).click()
    page.get_by_label("Code manuel").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    ring = page.evaluate(FOCUS_RING)
    assert ring["id"] == "code-input" and ring["outlineStyle"] != "none" and ring["width"] >= 2, ring
    assert contrast(ring["outline"], ring["page"]) >= 3, ring
    page.keyboard.press("Tab")
    ring = page.evaluate(FOCUS_RING)
    assert ring["id"] == "code-submit" and ring["outlineStyle"] != "none" and ring["width"] >= 2, ring
    assert contrast(ring["outline"], ring["page"]) >= 3, ring
    context.close()


def test_at_200_percent_text_nothing_runs_off_a_360_px_screen(app, phone, world):
    start_day(app, phone, world)
    phone.context.set_offline(True)
    hand_over_in_cash(phone, world.codes["Élodie M."], "20")
    large_text(phone, 200)
    problems = {}

    def check(name: str) -> None:
        phone.wait_for_timeout(100)
        shoot(phone, name)
        reach = phone.evaluate(REACH)
        broken = phone.evaluate(BROKEN_WORDS)
        if reach["out"] or reach["scroll"] > 360 or broken:
            problems[name] = {**reach, "broken": broken}

    walk_screens(phone, world, check, "text200")
    assert not problems, problems


# Item 12: focus never hidden behind the bars, never lost after a PIN switch.


def assert_focus_never_hidden(page: Page, stop_at: str, presses: int = 60) -> None:
    """Tab from the top through the screen: every focused control is in full view above the tab bar."""
    page.evaluate("window.scrollTo(0, 0); document.activeElement.blur()")
    hidden = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        where = page.evaluate(
            """() => {
                const e = document.activeElement;
                const r = e.getBoundingClientRect();
                const tabs = document.getElementById('tabs');
                const bottom = tabs.hidden ? window.innerHeight : tabs.getBoundingClientRect().top;
                return { id: e.id || e.textContent.trim().slice(0, 30), top: r.top, bottom: r.bottom, limit: bottom,
                         inTabs: tabs.contains(e) };
            }"""
        )
        if where["inTabs"]:
            break
        if where["top"] < 0 or where["bottom"] > where["limit"] + 0.5:
            hidden.append(where)
        if where["id"] == stop_at:
            break
    assert not hidden, hidden


def test_focus_is_never_hidden_by_the_tab_bar(app, phone, world):
    start_day(app, phone, world)
    phone.context.set_offline(True)
    hand_over_in_cash(phone, world.codes["Élodie M."], "20")
    large_text(phone, 150)  # long screens, as a volunteer sees them
    assert_focus_never_hidden(phone, "search-input")
    open_by_code(phone, world.codes["Awa D."])
    expect(phone.get_by_role("heading", name="Awa Diallo", level=1)).to_be_visible()
    assert_focus_never_hidden(phone, "__none__", presses=40)


def test_after_a_pin_switch_the_focus_lands_on_who_is_in_charge(app, phone, world):
    with app.app_context():
        point = db.session.query(Point).filter_by(name=POINT).one()
        db.session.add(member_of(point, "volunteer", "sami@example.org", "Sami"))
        db.session.commit()
    start_day(app, phone, world, download=False)
    register_passkey(app, phone, "sami@example.org")
    phone.get_by_role("button", name="Ajouter un·e bénévole").click()
    phone.get_by_label("Code (4 à 6 chiffres)").fill("567890")
    phone.get_by_label("Confirmer le code").fill("567890")
    phone.get_by_label("E-mail (facultatif)").fill("sami@example.org")
    phone.get_by_role("button", name="Se connecter avec ma clé d’accès").click()
    expect(phone.get_by_role("heading", name="Bénévole : Sami")).to_be_visible()
    phone.context.set_offline(True)

    phone.get_by_role("button", name="Passer à Victor").focus()
    phone.keyboard.press("Enter")
    dialog = phone.get_by_role("dialog", name="Code de Victor")
    dialog.get_by_label("Code").fill("0000")
    dialog.get_by_role("button", name="Valider").click()
    expect(dialog.get_by_role("alert")).to_have_text("Code incorrect. Encore 4 essais.")
    dialog.get_by_label("Code").fill(PIN)
    phone.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(phone.get_by_role("heading", name="Bénévole : Victor")).to_be_focused()


# Item 13: plain words, in French and English.


def test_plain_words_on_the_phone_in_french_and_english(app, phone, world):
    start_day(app, phone, world)
    phone.context.set_offline(True)
    hand_over_in_cash(phone, world.codes["Élodie M."], "20")
    phone.get_by_role("button", name="Accueil").click()
    expect(phone.locator("#screen-home")).to_be_visible()
    # (The distribution list's "12,3 ko" is the distributions' part of issue 12, dist.* in i18n.js: not checked here.)
    jargon = re.compile(r"synchro|session|stockage persistant|\(s\)|[0-9a-f]{16}|réseau", re.I)
    text = phone.locator("body").inner_text()
    assert not jargon.search(text), jargon.search(text)
    expect(phone.get_by_role("region", name="Ce téléphone", exact=True)).to_contain_text("1 enregistrement à envoyer")
    phone.locator("#screen-home").screenshot(path=f"{SHOTS}/fr-home-full.png")

    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("heading", name="Today’s distributions")).to_be_visible()
    phone.get_by_role("button", name="Send", exact=True).click()
    expect(phone.get_by_role("alert")).to_contain_text("offline")
    shoot(phone, "en-home")
    text = phone.locator("body").inner_text()
    french = re.compile(r"\b(hors|connexion|envoy|réseau|enregistr|à|de|le|la|les)\b", re.I)
    names = ("Français", POINT, "Téléphone du Luzard")  # the other language's name and the data stay as typed
    for name in names:
        text = text.replace(name, "")
    assert not french.search(text), re.search(r".{30}" + french.pattern + r".{30}", text, re.I | re.S)
    assert not re.search(r"\s:", text), re.search(r".{20}\s:.{20}", text)
    assert not re.search(r"\b(AM|PM|am|pm)\b", text)
    assert not re.search(r"session|sync|\(s\)", text, re.I), re.search(r".{20}(session|sync|\(s\)).{20}", text, re.I)

    # Back online, the server answers in the app's language, not the browser's (fr-FR here): its error messages too.
    phone.context.set_offline(False)
    with phone.expect_request(re.compile(r"/api/")) as request:
        phone.get_by_role("button", name="Send", exact=True).click()
    assert request.value.headers.get("accept-language") == "en"


# Every word of the shell's keys in pwa/src/i18n.js, read by Node (the keys other parts of issue 12 rewrite are left
# to their own tests: member.*, pay.*, cash.*, scan.search*, lists.*, dist.*).
I18N = """
globalThis.navigator = { languages: ['fr'] };
const i18n = await import(process.argv[1]);
const out = { strings: i18n.STRINGS, t: {} };
for (const lang of ['fr', 'en']) {
  i18n.setLanguage(lang);
  out.t[lang] = {
    ines: i18n.t('pin.title', { name: 'Inès' }),
    victor: i18n.t('pin.title', { name: 'Victor' }),
    hugo: i18n.t('pin.title', { name: 'Hugo' }),
    wrong: [1, 4].map((n) => i18n.tn('pin.wrong', n)),
  };
}
out.october = i18n.elide('de', 'octobre', 'fr');
console.log(JSON.stringify(out));
"""
OTHERS = ("member.", "pay.", "cash.", "scan.search", "scan.results", "scan.no_result", "lists.", "dist.")


def test_words_french_elision_plurals_and_english_punctuation():
    i18n = Path(__file__).resolve().parents[2] / "pwa/src/i18n.js"
    answer = subprocess.run(
        ["node", "--input-type=module", "-e", I18N, str(i18n)], capture_output=True, text=True, check=True
    )
    out = json.loads(answer.stdout)
    assert out["t"]["fr"]["ines"] == "Code d’Inès"
    assert out["t"]["fr"]["victor"] == "Code de Victor"
    assert out["t"]["fr"]["hugo"] == "Code de Hugo"  # h aspiré: never elided
    assert out["october"] == "d’octobre"
    assert out["t"]["fr"]["wrong"] == ["Code incorrect. Encore 1 essai.", "Code incorrect. Encore 4 essais."]
    assert out["t"]["en"]["wrong"] == ["Wrong code. 1 attempt left.", "Wrong code. 4 attempts left."]
    problems = []
    for lang, strings in out["strings"].items():
        for key, text in strings.items():
            if key.startswith(OTHERS):
                continue
            if "(s)" in text or re.search(r"\b(synchro\w*|sessions?|ko|kB)\b", text, re.I):
                problems.append((lang, key, text))
            if lang == "fr" and re.search(r"hors ligne|en ligne|réseau|\bretir", text, re.I):
                problems.append((lang, key, text))
            if lang == "en" and (re.search(r"\s[:;!?]", text) or re.search(r"network", text, re.I)):
                problems.append((lang, key, text))
    assert not problems, problems
