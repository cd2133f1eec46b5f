"""What the orders import reads from other software's exports: members by name, products by name, weights.

CAMAP/Cagette and Open Food Network exports name members ("DUPONT Jeanne", "Jeanne Dupont") and products ("Œufs
plein air", variant "boîte de 6"; CAMAP appends the size: "Tomme 1 Kg.") rather than giving Comptoir's numbers and
codes. A name is taken only when it is unambiguous: exactly one active household, exactly one active product.
See ``docs/orders-import.md``, "Depuis CAMAP / Cagette" and "Depuis Open Food Network".
"""

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import or_, select

from server.extensions import db
from server.models import Household, Product
from server.search_text import ACCENTED, PLAIN, first_last, last_first

NAMES_PER_QUERY = 100  # names per statement: two LIKEs each, every one served by a trigram index on PostgreSQL
MAX_GRAMS = 99_000  # 99 kg, as 99 pieces: the largest line an import accepts either way

_FOLD = str.maketrans(ACCENTED, PLAIN)
_SPACES = re.compile(r"\s+")


def person_name(value: str) -> str:
    """A member's name as the members search folds it (lower case, no accents, single spaces).

    CAMAP writes a couple as "DUPONT Jeanne / MARTIN Paul": the first name is the account holder's.
    """
    first = value.split("/", 1)[0]
    return _SPACES.sub(" ", first).strip().lower().translate(_FOLD)


class MembersByName:
    """The active households named in a file, found by "first last" or "last first" (``server.search_text``).

    With ``point_ids`` (a coordinator's points) only households whose home point is one of them are found.
    """

    def __init__(self, values: Iterable[str], point_ids: set[int] | None = None):
        names = sorted({name for value in values if (name := person_name(value))})
        self.found: dict[str, list[Household]] = {}
        households = select(Household)  # the active ones kept below: the name alone picks the index
        if point_ids is not None:
            households = households.where(Household.point_id.in_(sorted(point_ids)))
        forward = first_last(Household.first_name, Household.last_name)
        backward = last_first(Household.first_name, Household.last_name)
        for start in range(0, len(names), NAMES_PER_QUERY):
            chunk = set(names[start : start + NAMES_PER_QUERY])
            patterns = [_exact(name) for name in sorted(chunk)]
            query = households.where(
                or_(
                    *(forward.like(p, escape="\\") for p in patterns),
                    *(backward.like(p, escape="\\") for p in patterns),
                )
            )
            for household in db.session.scalars(query):
                if household.status != "active":
                    continue
                for name in {
                    person_name(f"{household.first_name} {household.last_name}"),
                    person_name(f"{household.last_name} {household.first_name}"),
                }:
                    if name in chunk and household not in self.found.setdefault(name, []):
                        self.found[name].append(household)

    def find(self, value: str) -> list[Household]:
        """Every active household with this name: one is a match, more is ambiguous, none unknown."""
        return self.found.get(person_name(value), [])


def _exact(text: str) -> str:
    """A LIKE pattern that matches ``text`` only (its wildcards taken literally)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "×": "x"})
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# CAMAP's product names end with the product's size: "Tomme 1 Kg.", "Panier 1 pièce", "Jus 0,75 L."
_CAMAP_SIZE = re.compile(r"\s+\d+(?:[.,]\d+)?\s*(?:kg|g|l|cl|ml|pi[eè]ces?)\.?$", re.IGNORECASE)


def words(text: str) -> str:
    """A product name reduced to its words: "Œufs plein air – boîte de 6" → "oeufs plein air boite de 6"."""
    plain = unicodedata.normalize("NFKD", text.translate(_LIGATURES)).encode("ascii", "ignore").decode("ascii")
    spaced = _DIGIT_LETTER.sub(" ", plain.lower())
    return " ".join(_NOT_WORD.sub(" ", spaced).split())


class ProductNames:
    """Products by name, and by name with their unit ("Œufs plein air boîte de 6"), words only."""

    def __init__(self, products: Iterable[Product]):
        self.by_words: dict[str, list[Product]] = {}
        for product in products:
            for key in {words(product.name), words(f"{product.name} {product.unit}")}:
                if key:
                    self.by_words.setdefault(key, []).append(product)

    def find(self, name: str, variant: str = "") -> list[Product]:
        """The products a name (and an OFN variant) may mean, the most precise reading first; [] if none.

        Tried in turn: name and variant together, the name alone, the name without CAMAP's size suffix. The first
        reading that names any product decides; among its products the active ones count, if there are any.
        """
        readings = [f"{name} {variant}"] if variant else []
        readings += [name, _CAMAP_SIZE.sub("", name)]
        for reading in readings:
            matches = self.by_words.get(words(reading), [])
            if matches:
                return [p for p in matches if p.active] or matches
        return []


_WEIGHT = re.compile(r"^(?P<units>\d{1,6})(?:[.,](?P<decimals>\d{1,3}))?\s*(?P<unit>kg|g)?\.?$", re.IGNORECASE)


def parse_grams(value: str) -> int | None:
    """A weight typed in kilograms ("0,450", "1.2", "0,45 kg") or grams ("450 g"), in grams; None if it is not one.

    A whole number of grams only: "450,5 g" is not a weight the scales at a point give.
    """
    match = _WEIGHT.match(value.strip().replace("\u00a0", " "))
    if match is None:
        return None
    units, decimals, unit = match.group("units"), match.group("decimals") or "", (match.group("unit") or "kg").lower()
    if unit == "g":
        return None if decimals.strip("0") else int(units)
    return int(units) * 1000 + int(decimals.ljust(3, "0"))


_VARIANT_WEIGHT = re.compile(r"(?P<weight>\d+(?:[.,]\d{1,3})?\s*(?:kg|g))\)?$", re.IGNORECASE)
_COUNT = re.compile(r"^[0-9]{1,3}$")


def counted_grams(quantity: str, variant: str) -> int | None:
    """Open Food Network counts a weighed variant ("Tomme – 500g", 2): the grams of that many, None if not that.

    Only a whole count with a variant whose name ends with a weight ("500g", "Affinée (1 kg)") is read so.
    """
    match = _VARIANT_WEIGHT.search(variant.strip())
    if match is None or not _COUNT.match(quantity.strip()):
        return None
    each = parse_grams(match.group("weight"))
    return None if each is None else int(quantity) * each
