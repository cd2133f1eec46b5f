"""Accessibility checks run in a real page, for ``test_accessibility.py``: axe-core (from npm) with the WCAG 2.2 AA
rules, words a screen must never show ("null", "undefined", "NaN"), nothing out of reach at 200 % text on a 360 px
screen, and focus never hidden behind fixed or sticky bars (WCAG 2.4.11).

axe-core is injected as a script tag from ``node_modules/axe-core/axe.min.js``. The app's strict CSP refuses inline
scripts (and axe compiles its message templates at run time), so the contexts these checks run in are made with
Playwright's ``bypass_csp=True``: for the check only; the CSP itself is tested elsewhere (tests/test_security*.py)."""

import json
import os
import re
from pathlib import Path

from playwright.sync_api import Page

from tests.browser.shell import ROOT
from tests.conftest import missing

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}
NONSENSE = re.compile(r"\bnull\b|\bundefined\b|\bNaN\b")


def axe_path() -> Path:
    if not AXE.exists():
        missing("axe-core (node_modules/axe-core/axe.min.js): run `npm ci`")
    return AXE


def axe_violations(page: Page, where: str) -> list[dict]:
    """Every WCAG 2.2 A/AA violation axe finds in the page as it is now, each node with its target and summary
    (``where`` names the screen for the report, see ``keep_for_report``)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_path()))
    settle(page)
    violations = page.evaluate(
        """async (tags) => {
            const options = {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']};
            const results = await axe.run(document, options);
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({
                    impact: n.impact, target: n.target.join(' '), html: n.html.slice(0, 160),
                    summary: n.failureSummary,
                })),
            }));
        }""",
        WCAG_22_AA,
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
# scroll, nothing is out of reach. Controls inside a closed <details> or otherwise not rendered are skipped.
OUT_OF_REACH = """(width) => {
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
    return {scrollWidth: Math.max(root.scrollWidth, document.body.scrollWidth), out};
}"""


def at_200_percent(page: Page, width: int = 360) -> dict:
    """Set the root font size to 200 % (as Android's largest text does), measure, and put it back:
    ``{"scrollWidth": …, "out": [controls beyond 0–width px]}``."""
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    try:
        page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        return page.evaluate(OUT_OF_REACH, width)
    finally:
        page.evaluate("document.documentElement.style.fontSize = ''")


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
