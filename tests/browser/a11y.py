"""Accessibility checks run in a real page, for ``test_accessibility.py`` and the screens' own tests (the phone's
shell, the member page): axe-core (from npm) with the WCAG 2.2 AA
rules, words a screen must never show ("null", "undefined", "NaN"), nothing out of reach at 200 % text on a 360 px
screen, and focus never hidden behind fixed or sticky bars (WCAG 2.4.11).

axe-core is injected as a script tag from ``node_modules/axe-core/axe.min.js``. The app's strict CSP refuses inline
scripts (and axe compiles its message templates at run time), so the contexts these checks run in are made with
Playwright's ``bypass_csp=True``: for the check only; the CSP itself is tested elsewhere (tests/test_security*.py)."""

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page

from tests.browser.shell import ROOT, wait_for
from tests.conftest import missing

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}
NONSENSE = re.compile(r"\bnull\b|\bundefined\b|\bNaN\b")


def axe_path() -> Path:
    if not AXE.exists():
        missing("axe-core (node_modules/axe-core/axe.min.js): run `npm ci`")
    return AXE


def axe_violations(page: Page, where: str, rules: list[str] | None = None) -> list[dict]:
    """Every WCAG 2.2 A/AA violation axe finds in the page as it is now, each node with its target and summary
    (``where`` names the screen for the report, see ``keep_for_report``); with ``rules``, those rules only (e.g.
    ``["color-contrast"]``)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_path()))
    settle(page)
    violations = page.evaluate(
        """async ([tags, rules]) => {
            const runOnly = rules ? {type: 'rule', values: rules} : {type: 'tag', values: tags};
            const options = {runOnly, resultTypes: ['violations']};
            const results = await axe.run(document, options);
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({
                    impact: n.impact, target: n.target.join(' '), html: n.html.slice(0, 160),
                    summary: n.failureSummary,
                })),
            }));
        }""",
        [WCAG_22_AA, rules],
    )
    keep_for_report(where, violations)
    return violations


STILL = "*, *::before, *::after { transition: none !important; animation: none !important; }"


def settle(page: Page) -> None:
    """Stop transitions and animations, so colours are read as they end up (a scheme switched or a button just
    tapped would otherwise be measured halfway through Pico's transitions), then wait two frames."""
    if not page.evaluate("document.getElementById('a11y-still') !== null"):
        page.add_style_tag(content=STILL)
        page.evaluate("document.head.lastElementChild.id = 'a11y-still'")
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def keep_for_report(where: str, violations: list[dict]) -> None:
    """With ``COMPTOIR_A11Y_REPORT`` set to a file, append every violation found (any impact) as one JSON line:
    the material of an accessibility report, whatever the tests assert."""
    path = os.environ.get("COMPTOIR_A11Y_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"where": where, "violations": violations}, ensure_ascii=False) + "\n")


def low_contrast(page: Page, where: str) -> list[dict]:
    """axe's colour contrast rule (WCAG 1.4.3: 4.5:1, 3:1 for large text) on every visible text of the page as it is
    now, against what is drawn behind it."""
    return axe_violations(page, where, ["color-contrast"])


def serious(violations: list[dict]) -> list[dict]:
    """The violations that block: serious or critical (one node of that impact is enough)."""
    return [v for v in violations if v["impact"] in BLOCKING or any(n["impact"] in BLOCKING for n in v["nodes"])]


def describe(violations: list[dict]) -> str:
    """One paragraph per rule: id, impact, what it asks, then each element (target, the first line of why)."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            why = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}: {why[:300]}")
    return "\n".join(lines)


def nonsense_words(page: Page) -> list[str]:
    """Lines of the page's visible text that read "null", "undefined" or "NaN" (a value that went missing), each after
    the line before it, so the message says where."""
    lines = [line.strip() for line in page.evaluate("document.body.innerText").splitlines() if line.strip()]
    return [" / ".join(lines[max(i - 1, 0) : i + 1]) for i, line in enumerate(lines) if NONSENSE.search(line)]


# At 200 % text (Android's large text), every control stays within the screen's width: nothing needs a sideways
# scroll, nothing is out of reach, no word is cut across lines. What is not rendered (a closed <details>…) is skipped.
# With `cut`, also every box that hides part of its own content (overflow hidden or clip, content wider than it).
OUT_OF_REACH = r"""([width, cut]) => {
    const root = document.documentElement;
    const out = [];
    const visible = (e) => {
        const box = e.getBoundingClientRect();
        const style = getComputedStyle(e);
        return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && !e.closest('[hidden], [inert]');
    };
    for (const e of document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, summary')) {
        if (!visible(e)) continue;
        const box = e.getBoundingClientRect();
        if (box.left < -1 || box.right > width + 1) {
            const name = (e.getAttribute('aria-label') || e.innerText || e.id || e.name || e.tagName).trim();
            const where = `${Math.round(box.left)}–${Math.round(box.right)} px`;
            out.push(`${e.tagName.toLowerCase()} "${name.slice(0, 40)}": ${where}`);
        }
    }
    // A word cut across lines (one letter per line, "Acc/ueil") reads as nonsense even when it fits.
    const broken = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!parent || !visible(parent) || parent.closest('script, style, noscript')) continue;
        for (const match of node.textContent.matchAll(/[^\s\-–—\/·:,.]{2,}/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
            if (lines.size > 1 && !broken.includes(match[0])) broken.push(match[0]);
        }
    }
    const measured = {scrollWidth: Math.max(root.scrollWidth, document.body.scrollWidth), out, broken};
    if (cut) {
        measured.cut = [];
        for (const e of document.body.querySelectorAll('*')) {
            if (!visible(e) || e.closest('svg')) continue;
            const style = getComputedStyle(e);
            if (['hidden', 'clip'].includes(style.overflowX) && e.scrollWidth > e.clientWidth + 1) {
                measured.cut.push(`${e.tagName.toLowerCase()}.${e.className}`);
            }
        }
    }
    return measured;
}"""


@contextmanager
def large_text(page: Page, percent: int = 200) -> Iterator[None]:
    """The browser's default font size at ``percent`` % of 16 px while inside, then back to 16 px: what Chrome does
    for Android's large text (its "Text scaling" setting and Android's font size raise the size ``1rem`` and
    ``100%`` resolve to; the viewport stays 360 px wide). The app, the member page and Pico size everything in rem,
    so the DevTools protocol's ``Page.setFontSizes`` is what a volunteer with large text gets (a ``<style>`` added
    by a test would be refused by the pages' CSP). One DevTools session per page, kept open for the module."""
    cdp = _sessions.get(page) or _sessions.setdefault(page, page.context.new_cdp_session(page))
    standard = 16 * percent // 100
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": standard, "fixed": 13 * percent // 100}})
    try:
        # Polled with evaluate (the DevTools protocol), not wait_for_function: the pages' CSP refuses its eval.
        wait_for(page, f"getComputedStyle(document.documentElement).fontSize === '{standard}px'")
        page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        yield
    finally:
        cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 16, "fixed": 13}})


def in_reach(page: Page, width: int = 360, *, cut: bool = False) -> dict:
    """What runs off a ``width`` px screen as the page is now: ``{"scrollWidth": …, "out": [controls beyond
    0–width px], "broken": [words cut across lines]}``, and with ``cut`` ``"cut": [boxes hiding their content]``."""
    return page.evaluate(OUT_OF_REACH, [width, cut])


def at_200_percent(page: Page, width: int = 360, *, cut: bool = False) -> dict:
    """``in_reach`` at 200 % text (``large_text``), the font size put back after."""
    with large_text(page, 200):
        return in_reach(page, width, cut=cut)


_sessions: dict[Page, object] = {}


# Focus not obscured (WCAG 2.4.11): the focused element's centre (clamped to the viewport) must hit the element itself,
# something inside it, or one of its labels, not a fixed tab bar or a sticky bar drawn over it.
FOCUS_HIDDEN = """() => {
    const e = document.activeElement;
    if (!e || e === document.body || e === document.documentElement) return null;
    const box = e.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) return null;
    const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1);
    const hit = document.elementFromPoint(x, y);
    const labels = [...(e.labels || [])];
    if (hit && (hit === e || e.contains(hit) || labels.some((l) => l.contains(hit)))) return null;
    const what = (x) => {
        if (!x) return 'nothing';
        const classes = [...x.classList].map((c) => `.${c}`).join('');
        const named = `${x.tagName.toLowerCase()}${x.id ? '#' + x.id : ''}${classes}`;
        const within = x.id ? null : x.parentElement && x.parentElement.closest('[id]');
        return within ? `${named} in ${within.tagName.toLowerCase()}#${within.id}` : named;
    };
    const label = e.labels && e.labels[0] ? e.labels[0].innerText : '';
    const name = (e.getAttribute('aria-label') || e.innerText || label || e.id || e.tagName).trim().slice(0, 40);
    const where = `${Math.round(box.top)}–${Math.round(box.bottom)} px of ${innerHeight}`;
    return `${what(e)} "${name}" under ${what(hit)} (${where})`;
}"""


def focus_hidden(page: Page, presses: int = 60) -> list[str]:
    """Tab through the page from the top (at most ``presses`` times, or until the focus comes back round) and
    return each focused element that was drawn under something else."""
    page.evaluate("document.activeElement && document.activeElement.blur && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    hidden, seen = [], []
    for _ in range(presses):
        page.keyboard.press("Tab")
        key = page.evaluate(
            "(() => { const e = document.activeElement; if (!e || e === document.body) return null;"
            " const keys = (window.__a11yKeys ||= new WeakMap());"
            " if (!keys.has(e)) keys.set(e, String(Math.random())); return keys.get(e); })()"
        )
        if key is None:
            continue
        if key in seen:
            break
        seen.append(key)
        problem = page.evaluate(FOCUS_HIDDEN)
        if problem:
            hidden.append(problem)
    return hidden


# A visible focus indicator (WCAG 2.4.7, with 1.4.11's 3:1 for what shows a state): the focused element's outline, or
# else the colour of its box-shadow ring, at least 2 px and 3:1 against the background behind the element (the first
# ancestor with an opaque enough background; semi-transparent colours are blended onto it).
WEAK_FOCUS = r"""() => {
    const e = document.activeElement;
    if (!e || e === document.body || e === document.documentElement) return null;
    const rgba = (text) => {
        const m = text && text.match(/rgba?\(([^)]+)\)/);
        if (!m) return null;
        const [r, g, b, a = 1] = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
        return {r, g, b, a};
    };
    const over = (top, under) => ({
        r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
        b: top.b * top.a + under.b * (1 - top.a), a: 1,
    });
    const background = () => {
        const layers = [];
        for (let x = e.parentElement; x; x = x.parentElement) {
            const c = rgba(getComputedStyle(x).backgroundColor);
            if (c && c.a > 0) layers.push(c);
            if (c && c.a >= 1) break;
        }
        const dark = matchMedia('(prefers-color-scheme: dark)').matches;
        let colour = dark ? {r: 0, g: 0, b: 0, a: 1} : {r: 255, g: 255, b: 255, a: 1};
        for (const layer of layers.reverse()) colour = over(layer, colour);
        return colour;
    };
    const luminance = ({r, g, b}) => {
        const [R, G, B] = [r, g, b].map((v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * R + 0.7152 * G + 0.0722 * B;
    };
    const contrast = (a, b) => {
        const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
        return (x + 0.05) / (y + 0.05);
    };
    const style = getComputedStyle(e);
    const behind = background();
    const rings = [];  // [how, colour, width]
    if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) {
        rings.push(['outline', rgba(style.outlineColor), parseFloat(style.outlineWidth)]);
    }
    // Computed box-shadows: "rgba(…) 0px 0px 0px 2px, rgb(…) …": the ring is the spread (4th length).
    for (const shadow of (style.boxShadow || 'none').split(/,(?![^(]*\))/)) {
        if (shadow.trim() === 'none') continue;
        const lengths = shadow.replace(/rgba?\([^)]*\)/, '').match(/-?[\d.]+px/g) || [];
        rings.push(['box-shadow', rgba(shadow), parseFloat(lengths[3] || '0')]);
    }
    const ratio = (colour) => (colour ? contrast(over(colour, behind), behind) : 0);
    const measured = rings.map(([how, colour, width]) => [how, width, ratio(colour)]);
    if (measured.some(([, width, ratio]) => width >= 2 && ratio >= 3)) return null;
    const best = measured.sort((a, b) => b[2] - a[2])[0];
    const what = best ? `${best[0]} ${best[1]} px at ${best[2].toFixed(2)}:1` : 'no outline, no ring';
    const name = (e.getAttribute('aria-label') || e.innerText || e.id || e.name || e.tagName).trim().slice(0, 40);
    return `${e.tagName.toLowerCase()} "${name}": ${what}`;
}"""


def weak_focus_indicators(page: Page, presses: int = 40) -> list[str]:
    """Tab through the page from the top and return each focused element whose focus indicator is thinner than
    2 px or under 3:1 against its background (one line per distinct problem)."""
    settle(page)
    page.evaluate("document.activeElement && document.activeElement.blur && document.activeElement.blur()")
    problems: list[str] = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        problem = page.evaluate(WEAK_FOCUS)
        if problem and problem not in problems:
            problems.append(problem)
    return problems
