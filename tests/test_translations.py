"""The French catalog covers every UI string, and the English source strings extract cleanly."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
FRENCH = ROOT / "server/translations/fr/LC_MESSAGES/messages.po"
PHONE_WORDS = ROOT / "pwa/src/i18n.js"
# An inclusive-writing dot glued between letters ("coordinateur·rice", "inscrit·es"); " · " between items stays.
INCLUSIVE_DOT = re.compile(r"\w·\w")


def extracted_msgids(tmp_path) -> set:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return {message.id for message in read_po(f) if message.id}


def test_every_ui_string_has_a_french_translation(tmp_path):
    with FRENCH.open("rb") as f:
        catalog = read_po(f)
    translated = {
        message.id
        for message in catalog
        if message.id
        and not message.fuzzy
        and all(message.string if isinstance(message.string, tuple) else [message.string])
    }
    missing = extracted_msgids(tmp_path) - translated
    assert not missing, f"untranslated (run `make translations-update` and translate): {sorted(missing, key=str)}"


def test_placeholders_survive_translation():
    with FRENCH.open("rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if message.id and message.python_format:
            for error in message.check(catalog) or []:
                raise AssertionError(f"{message.id!r}: {error}")


def test_french_words_are_neutral_not_inclusive_dots():
    """The vocabulary rule: no "·e" forms in the admin catalog nor on the phone; neutral French instead."""
    with FRENCH.open("rb") as f:
        catalog = read_po(f)
    found = [
        text
        for message in catalog
        if message.id
        for text in (message.string if isinstance(message.string, tuple) else [message.string])
        if INCLUSIVE_DOT.search(text)
    ]
    found += [
        line.strip() for line in PHONE_WORDS.read_text(encoding="utf-8").splitlines() if INCLUSIVE_DOT.search(line)
    ]
    assert not found, "\n".join(found)


def test_french_quotes_on_the_phone_keep_their_words():
    """On the phone, « and » never end or start a line alone: a no-break space (U+00A0) inside every pair."""
    lines = PHONE_WORDS.read_text(encoding="utf-8").splitlines()
    loose = [line.strip() for line in lines if "« " in line or " »" in line]
    assert not loose, "\n".join(loose)
    assert any("«\u00a0" in line for line in lines)
