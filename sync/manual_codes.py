"""Manual codes: what a volunteer types when the camera fails, e.g. ``K7QM-4ZRT-9``.

Eight random characters from Crockford's base32 alphabet (no I, L, O, U: nothing to confuse with 1, 0 or V),
plus a Luhn mod 32 check character that catches any single typo and most swaps. A manual code is looked up in
the pack, never trusted like a signature: it only says which member to look for.
"""

import secrets

from stdnum import luhn
from stdnum.exceptions import ValidationError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 8
# What people type for the letters left out (Crockford's rule).
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def new_code() -> str:
    """A fresh random code, normalised (9 characters, no separators)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + luhn.calc_check_digit(body, alphabet=ALPHABET)


def normalise(typed: str) -> str | None:
    """The code a person typed (any case, dashes, spaces, O for 0…) in canonical form, or None if it cannot be one."""
    code = typed.upper().translate(_READS_AS)
    if len(code) != BODY_LENGTH + 1 or not set(code) <= set(ALPHABET):
        return None
    try:
        luhn.validate(code, alphabet=ALPHABET)
    except ValidationError:
        return None
    return code


def display(code: str) -> str:
    """Grouped for reading aloud and printing: ``K7QM-4ZRT-9``."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"
