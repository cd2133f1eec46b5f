"""Producers: the farmers and makers a network buys from. The network's records: admins change them.

An IBAN is optional; when given it is checked (country, length, check digits) by python-stdnum and kept in its
compact form (no spaces, upper case), so "fr76 3000 6000 0112 3456 7890 189" and its printed form are one IBAN.
"""

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as NumberError

from server.audit import record
from server.domain import DomainError, apply_changes, clean, is_taken, require_text
from server.domain.points import require_admin
from server.extensions import db
from server.models import Producer, User

PRODUCER_FIELDS = ("name", "contact", "email", "phone", "cheque_payee", "iban", "active", "notes")


def create_producer(data: Mapping[str, Any], *, actor: User | None = None) -> Producer:
    require_admin(actor)
    values = _checked(data, None)
    producer = Producer(**values)
    db.session.add(producer)
    db.session.flush()
    record("producer.create", target=f"producer:{producer.id}", name=producer.name)
    return producer


def update_producer(producer: Producer, data: Mapping[str, Any], *, actor: User | None = None) -> Producer:
    require_admin(actor)
    changes = apply_changes(producer, _checked(data, producer))
    if changes:
        db.session.flush()
        record("producer.update", target=f"producer:{producer.id}", changes=changes)
    return producer


def compact_iban(text: str) -> str:
    """``text`` as a valid IBAN in compact form, or a DomainError saying what is wrong (empty stays empty)."""
    if not text.strip():
        return ""
    try:
        return stdnum_iban.validate(text)
    except NumberError:
        raise DomainError(
            _l("This IBAN is not valid: check its letters and digits (such as FR76 3000 6000 0112 3456 7890 189)."),
            field="iban",
        ) from None


def _checked(data: Mapping[str, Any], producer: Producer | None) -> dict[str, Any]:
    data = dict(data)
    if isinstance(data.get("iban"), str):
        data["iban"] = compact_iban(data["iban"])
    for name in ("contact", "email", "phone", "cheque_payee", "notes"):
        if name in data and data[name] is None:
            data[name] = ""
    values = clean(Producer, data, PRODUCER_FIELDS)
    if producer is None:
        values.setdefault("name", "")
    require_text(values, "name", _l("Give the producer a name."))
    if "name" in values and is_taken(Producer, Producer.name, values["name"], producer):
        raise DomainError(_l("Another producer already has this name."), field="name")
    return values
