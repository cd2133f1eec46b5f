"""The French catalog covers every UI string, and the English source strings extract cleanly."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
FRENCH = ROOT / "server/translations/fr/LC_MESSAGES/messages.po"


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
