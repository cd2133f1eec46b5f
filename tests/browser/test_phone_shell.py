"""The volunteer app's shell on a 360×640 phone, outdoors and in a queue (issue 12, items 4, 6, 11, 12, 13): the
last confirmation never shows above the next member, the sync bar is one line offline, the camera stays in sight
after a hand-over, the app reads in the dark scheme and at 200 % text, focus is never hidden and never lost, and the
words are plain in both languages.

Contrast (axe-core's colour contrast rule), 200 % text and focus rings are checked with the accessibility suite's
helpers, tests/browser/a11y.py (`low_contrast`, `large_text` and `in_reach`, `WEAK_FOCUS`)."""

import json
import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from server.extensions import db
from server.models import Point
from tests.browser.a11y import WEAK_FOCUS, describe, in_reach, large_text, low_contrast
from tests.browser.conftest import PHONE
from tests.browser.phone_fixtures import *  # noqa: F403 (app_config, backend, dist, world)
from tests.browser.shell import camera_phone, qr_image, write_y4m
from tests.browser.test_volunteer_app import PIN, open_by_code, start_day
from tests.browser.webauthn import register_passkey
from tests.factories.primitives import member_of
from tests.factories.volunteer_app import POINT

SHOTS = "/tmp/shots/shell"


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
    with camera_phone(browser, live_server, video) as page:
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


# Item 6: offline, one compact line; the camera in sight after a hand-over; one message, not two.


def test_offline_the_bar_is_one_line_and_the_camera_stays_in_sight(app, browser, live_server, tmp_path, world):
    video = write_y4m(tmp_path / "none.y4m", [qr_image("nothing to read")])
    with camera_phone(browser, live_server, video) as page:
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
        other = page.context.new_page()
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
    page.locator("#screen-scan").get_by_role("button", name="Annuler la dernière action").click()
    expect(page.get_by_role("dialog", name="Annuler cette action ?")).to_be_visible()
    check(f"{prefix}-dialog")
    page.get_by_role("button", name="Non, garder").click()
    page.get_by_role("button", name="Accueil").click()
    page.get_by_role("button", name="Ajouter une personne bénévole").click()
    expect(page.locator("#screen-sign-in")).to_be_visible()
    check(f"{prefix}-sign-in")
    page.get_by_role("button", name="Annuler", exact=True).click()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_reads_in_light_and_dark(app, browser, live_server, world, scheme):
    # axe-core is injected for the check: the context bypasses the app's CSP (tests/browser/a11y.py).
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR", color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    start_day(app, page, world)
    page.context.set_offline(True)
    hand_over_in_cash(page, world.codes["Élodie M."], "20")
    failures = {}

    def check(name: str) -> None:
        found = low_contrast(page, f"phone shell, {name}")  # transitions stopped first: colours as they end up
        shoot(page, name)
        if found:
            failures[name] = describe(found)

    walk_screens(page, world, check, scheme)
    assert not failures, failures
    assert page.locator('meta[name="color-scheme"]').get_attribute("content") == "light dark"

    # A focus ring of 2 px and 3:1 at least against what is behind it, in both schemes, on a field and on a button.
    page.get_by_role("button", name="Scanner", exact=True).click()
    expect(page.locator("#screen-scan")).to_be_visible()  # shown once drawn, its heading focused: then the field
    page.get_by_label("Code manuel").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "code-input"
    assert page.evaluate(WEAK_FOCUS) is None, page.evaluate(WEAK_FOCUS)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "code-submit"
    assert page.evaluate(WEAK_FOCUS) is None, page.evaluate(WEAK_FOCUS)
    context.close()


def test_at_200_percent_text_nothing_runs_off_a_360_px_screen(app, phone, world):
    start_day(app, phone, world)
    phone.context.set_offline(True)
    hand_over_in_cash(phone, world.codes["Élodie M."], "20")
    problems = {}

    def check(name: str) -> None:
        shoot(phone, name)
        measured = in_reach(phone)
        if measured["out"] or measured["scrollWidth"] > 360 or measured["broken"]:
            problems[name] = measured

    with large_text(phone, 200):
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
    with large_text(phone, 150):  # long screens, as a volunteer sees them
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
    phone.get_by_role("button", name="Ajouter une personne bénévole").click()
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
