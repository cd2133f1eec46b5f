"""The network's ticket signing keys, all in the database: public halves, state, and private halves sealed with the
secret key (server/sealed.py), so every app server signs with the same key and a rotation takes effect on all of
them at once (nothing is cached: each signature reads the row).

The private key never leaves the server and is never in a pack, a log or an API answer; devices get public keys
only. Before 0018_sealed_keys private halves were PEM files in one server's ``instance/ticket_keys/``: that server
imports them (``import_key_files``, on its first request or ``flask --app wsgi secrets import``); the files are left
in place, to delete after a backup.
"""

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
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.audit import record
from server.clock import utcnow
from server.extensions import db
from server.models import TicketKey
from server.sealed import SealedError, seal, unseal

LEGACY_DIRECTORY = "ticket_keys"


class TicketKeyError(Exception):
    """A key operation that cannot be done (no key id left, unknown key, last valid key)."""


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sealing_context(key_id: int, public_key: bytes) -> str:
    """What a sealed private key is bound to: its id and public key (a value copied onto another row won't open)."""
    return f"ticket_key:{key_id}:{public_key.hex()}"


def _sealed(key_id: int, key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())  # 32 bytes: quick to load again
    return seal(raw, sealing_context(key_id, _raw_public(key)))


def _insert_new(key_id: int) -> bool:
    """Insert key ``key_id`` unless another server just did (INSERT … ON CONFLICT DO NOTHING); True if this did."""
    if key_id > 255:
        raise TicketKeyError("all 255 key ids are used")
    private = Ed25519PrivateKey.generate()
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    values = {"id": key_id, "public_key": _raw_public(private), "sealed_private_key": _sealed(key_id, private)}
    inserted = db.session.scalar(
        dialect.insert(TicketKey)
        .values(**values, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(TicketKey.id)  # rowcount is not reliable here on psycopg
    )
    if inserted is None:
        return False
    record("ticket_key.create", target=f"ticket_key:{key_id}")
    return True


def _next_id() -> int:
    last = db.session.scalar(select(func.max(TicketKey.id)))
    return 1 if last is None else last + 1


def create_key() -> TicketKey:
    """A new key with the next free id; it signs new tickets from now on, on every server (older keys keep
    verifying)."""
    key_id = _next_id()
    if not _insert_new(key_id):
        raise TicketKeyError(f"another server created key {key_id} at the same moment: run the command again")
    now = utcnow()
    for older in db.session.scalars(select(TicketKey).where(TicketKey.retired_at.is_(None), TicketKey.id != key_id)):
        older.retired_at = now
    db.session.flush()
    return db.session.get(TicketKey, key_id)


def _signing_id() -> int | None:
    return db.session.scalar(
        select(TicketKey.id)
        .where(TicketKey.retired_at.is_(None), TicketKey.withdrawn_at.is_(None))
        .order_by(TicketKey.id.desc())
        .limit(1)
    )


def signing_key() -> tuple[int, Ed25519PrivateKey]:
    """The key that signs new tickets, created on first use: servers asking at once create one key, not two."""
    key_id = _signing_id()
    if key_id is None:
        _insert_new(_next_id())
        key_id = _signing_id()
        if key_id is None:
            raise TicketKeyError("no key signs tickets and none could be created: run the command again")
    return key_id, private_key(key_id)


def private_key(key_id: int) -> Ed25519PrivateKey:
    """The private half of key ``key_id``, unsealed from the database (imported from this server's instance folder
    if an older version left it there)."""
    row = db.session.execute(
        select(TicketKey.public_key, TicketKey.sealed_private_key).where(TicketKey.id == key_id)
    ).one_or_none()
    if row is None:
        raise TicketKeyError(f"no key {key_id}")
    public_key, sealed = row
    if sealed is None:
        sealed = import_key_file(key_id, public_key, db.session)
    if sealed is None:
        raise SealedError(
            f"the private half of ticket key {key_id} is not in the database yet: the server whose instance folder "
            f"holds {LEGACY_DIRECTORY}/{_legacy_name(key_id, public_key)} imports it on its first request, or run "
            "`flask --app wsgi secrets import` there (docs/deployment.md, “Secrets shared by every app server”)"
        )
    raw = unseal(sealed, sealing_context(key_id, public_key), f"the ticket key {key_id}")
    key = Ed25519PrivateKey.from_private_bytes(raw) if len(raw) == 32 else None
    if key is None or _raw_public(key) != public_key:
        raise SealedError(f"the sealed private half of ticket key {key_id} does not match its public key")
    return key


def public_keys() -> dict[int, bytes]:
    """Every key that still verifies tickets, by id: what packs carry."""
    rows = db.session.execute(
        select(TicketKey.id, TicketKey.public_key).where(TicketKey.withdrawn_at.is_(None)).order_by(TicketKey.id)
    )
    return {key_id: public_key for key_id, public_key in rows}


def withdraw_key(key_id: int) -> TicketKey:
    """Stop trusting a key (e.g. it leaked): every ticket it signed is refused once devices refresh packs."""
    key = db.session.get(TicketKey, key_id)
    if key is None or key.withdrawn_at is not None:
        raise TicketKeyError(f"no valid key {key_id}")
    key.withdrawn_at = utcnow()
    key.retired_at = key.retired_at or key.withdrawn_at
    db.session.flush()
    record("ticket_key.withdraw", target=f"ticket_key:{key_id}")
    return key


# The instance files of versions before 0018_sealed_keys.


def _legacy_name(key_id: int, public_key: bytes) -> str:
    """Named by id and public-key fingerprint, so a file left by another database with the same id is never taken
    for this key."""
    return f"{key_id}-{public_key[:8].hex()}.pem"


def legacy_files_present() -> bool:
    return any((Path(current_app.instance_path) / LEGACY_DIRECTORY).glob("*.pem"))


def import_key_file(key_id: int, public_key: bytes, executor) -> str | None:
    """Seal key ``key_id`` from this server's instance file into its row if the row has none yet (several servers
    importing at once write equivalent values; the first wins). The sealed value, or None without a file."""
    path = Path(current_app.instance_path) / LEGACY_DIRECTORY / _legacy_name(key_id, public_key)
    if not path.is_file():
        return None
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey) or _raw_public(key) != public_key:
        raise TicketKeyError(f"{path} does not hold the private half of key {key_id}")
    sealed = _sealed(key_id, key)
    executor.execute(
        update(TicketKey)
        .where(TicketKey.id == key_id, TicketKey.sealed_private_key.is_(None))
        .values(sealed_private_key=sealed)
    )
    return sealed


def import_key_files() -> list[int]:
    """Import every key whose private half is only in this server's instance folder, each in its own transaction;
    the ids imported."""
    missing = db.session.execute(
        select(TicketKey.id, TicketKey.public_key).where(TicketKey.sealed_private_key.is_(None)).order_by(TicketKey.id)
    ).all()
    imported = []
    for key_id, public_key in missing:
        with db.engine.begin() as connection:
            if import_key_file(key_id, public_key, connection) is not None:
                imported.append(key_id)
    return imported
