"""Searching members by name in SQL, the same way on both databases, and so that PostgreSQL can use an index.

A search matches "first last", "last first" (both lower-cased, accents removed: ``folded``) or the e-mail
(``ILIKE``) anywhere in the text. On PostgreSQL each of the three has a trigram index (``pg_trgm``, GIN; migration
``0020_member_search``, ``server/models/people.py``), which serves ``LIKE '%…%'``: the planner uses it only when the
query's expression is the index's, character for character, so the expressions are built here once, with their
constants written into the SQL (a bound parameter would not match the index). SQLite scans, which is fine at its
sizes. See ``docs/architecture.md``, "Member search".
"""

import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, or_

ACCENTED = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖòóôõöÙÚÛÜùúûüÝýÿ"
PLAIN = "aaaaaaaaaaaacceeeeeeeeiiiiiiiinnoooooooooouuuuuuuuyyy"
SPACE = literal_column("' '")


def search_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def folded(column: Any) -> ColumnElement:
    """``column`` in lower case without accents, in SQL: "João" matches a search for "joao" (``folded_pattern``).

    ``translate`` is PostgreSQL's own; SQLite gets the same function at connect (server/__init__.py). SQLite's
    ``lower`` leaves non-ASCII letters alone: the capitals with accents are in ``ACCENTED`` for it."""
    return func.translate(func.lower(column), literal_column(f"'{ACCENTED}'"), literal_column(f"'{PLAIN}'"))


def folded_pattern(text: str) -> str:
    """``search_pattern`` of ``text`` lower-cased without accents, to compare with ``folded`` columns."""
    return search_pattern(text.lower().translate(str.maketrans(ACCENTED, PLAIN)))


def first_last(first_name: Any, last_name: Any) -> ColumnElement:
    """The folded "first last" of a household (an indexed expression: keep it as the index has it)."""
    return folded(first_name + SPACE + last_name)


def last_first(first_name: Any, last_name: Any) -> ColumnElement:
    """The folded "last first" of a household (an indexed expression: keep it as the index has it)."""
    return folded(last_name + SPACE + first_name)


def name_matches(first_name: Any, last_name: Any, text: str) -> ColumnElement:
    """``text`` in the household's name, either way round, case and accents aside."""
    pattern = folded_pattern(text)
    return or_(
        first_last(first_name, last_name).like(pattern, escape="\\"),
        last_first(first_name, last_name).like(pattern, escape="\\"),
    )


def member_matches(first_name: Any, last_name: Any, email: Any, text: str) -> ColumnElement:
    """``text`` in the household's name (``name_matches``) or in its e-mail, case aside."""
    return or_(name_matches(first_name, last_name, text), email.ilike(search_pattern(text), escape="\\"))


LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


def sort_key(text: str) -> str:
    """``text`` as a French reader sorts it: case, accents and ligatures aside ("Élevage" before "Ferme", "Œufs"
    with "Oeufs"). Stored beside a name (``Producer.sort_name``) so a list pages on an index, the same way on
    SQLite and PostgreSQL, whatever the database's collation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()
