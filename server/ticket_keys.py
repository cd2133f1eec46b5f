"""The network's ticket signing keys: private halves as files (mode 0600) in the instance folder, state in the database.

The private key never leaves the server and is never in the database or a pack; devices get public keys only.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from flask import current_app
from sqlalchemy import func, select

from server.audit import record
from server.clock import utcnow
from server.extensions import db
from server.models import TicketKey


class TicketKeyError(Exception):
    """A key operation that cannot be done (no key id left, unknown key, last valid key)."""


def _directory() -> Path:
    path = Path(current_app.instance_path) / "ticket_keys"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _key_file(key_id: int, public_key: bytes) -> Path:
    """Named by id and public-key fingerprint, so a file left by another database with the same id is never
    taken for this key (nor overwritten)."""
    return _directory() / f"{key_id}-{public_key[:8].hex()}.pem"


def _write_private(key_id: int, key: Ed25519PrivateKey) -> None:
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fd = os.open(_key_file(key_id, _raw_public(key)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def create_key() -> TicketKey:
    """A new key with the next free id; it signs new tickets from now on (older keys keep verifying)."""
    last = db.session.scalar(select(func.max(TicketKey.id)))
    key_id = 1 if last is None else last + 1
    if key_id > 255:
        raise TicketKeyError("all 255 key ids are used")
    private = Ed25519PrivateKey.generate()
    _write_private(key_id, private)
    now = utcnow()
    for older in db.session.scalars(select(TicketKey).where(TicketKey.retired_at.is_(None))):
        older.retired_at = now
    key = TicketKey(id=key_id, public_key=_raw_public(private))
    db.session.add(key)
    db.session.flush()
    record("ticket_key.create", target=f"ticket_key:{key_id}")
    return key


def signing_key() -> tuple[int, Ed25519PrivateKey]:
    """The key that signs new tickets, created on first use."""
    key = (
        db.session.scalar(select(TicketKey).where(TicketKey.retired_at.is_(None), TicketKey.withdrawn_at.is_(None)))
        or create_key()
    )
    return key.id, private_key(key.id)


def private_key(key_id: int) -> Ed25519PrivateKey:
    row = db.session.get(TicketKey, key_id)
    if row is None:
        raise TicketKeyError(f"no key {key_id}")
    path = _key_file(key_id, row.public_key)
    if not path.exists():
        raise TicketKeyError(f"the private key {key_id} is missing from {path.parent}")
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey) or _raw_public(key) != row.public_key:
        raise TicketKeyError(f"{path} does not hold the private half of key {key_id}")
    return key


def public_keys() -> dict[int, bytes]:
    """Every key that still verifies tickets, by id: what packs carry."""
    rows = db.session.scalars(select(TicketKey).where(TicketKey.withdrawn_at.is_(None)).order_by(TicketKey.id))
    return {key.id: key.public_key for key in rows}


def withdraw_key(key_id: int) -> TicketKey:
    """Stop trusting a key (e.g. its file leaked): every ticket it signed is refused once devices refresh packs."""
    key = db.session.get(TicketKey, key_id)
    if key is None or key.withdrawn_at is not None:
        raise TicketKeyError(f"no valid key {key_id}")
    key.withdrawn_at = utcnow()
    key.retired_at = key.retired_at or key.withdrawn_at
    db.session.flush()
    record("ticket_key.withdraw", target=f"ticket_key:{key_id}")
    return key
