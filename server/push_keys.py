"""The VAPID key pair that signs the network's web pushes (RFC 8292), one for every app server.

The private key lives in the database, sealed with the secret key (``sealed_keys`` row ``vapid``, server/sealed.py).
On first use a server stores, unless the database has one: ``COMPTOIR_VAPID_PRIVATE_KEY`` if set (PEM, or the
base64url raw key ``vapid --gen`` prints), else the ``instance/vapid_private.pem`` an older version created (left in
place, to delete after a backup), else a new key. Servers starting at once on an empty database each try
``INSERT … ON CONFLICT DO NOTHING`` and all use the row that won. ``COMPTOIR_VAPID_PRIVATE_KEY`` keeps priority on the
server given it (a warning is logged if it differs from the database's).

Browsers get the public key as the ``applicationServerKey`` of their subscriptions: changing the key silently breaks
every subscription, so it is created once and kept with the database's backups (and the secret key that opens it).
It never changes, so each process reads it once and keeps it.
"""

import base64
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from py_vapid import Vapid02 as Vapid
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from server.clock import utcnow
from server.extensions import db
from server.models import SealedKey
from server.sealed import seal, unseal

KEY_FILE = "vapid_private.pem"
NAME = "vapid"


def _public(key: Vapid) -> bytes:
    return key.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def _configured() -> Vapid | None:
    configured = current_app.config.get("VAPID_PRIVATE_KEY")
    if not configured:
        return None
    return Vapid.from_pem(configured.encode()) if "BEGIN" in configured else Vapid.from_raw(configured.encode())


def _legacy_path() -> Path:
    return Path(current_app.instance_path) / KEY_FILE


def _stored() -> Vapid | None:
    sealed = db.session.scalar(select(SealedKey.sealed).where(SealedKey.name == NAME))
    if sealed is None:
        return None
    return Vapid.from_pem(unseal(sealed, NAME, "the VAPID key (web push)"))


def _store(key: Vapid) -> bool:
    """Store ``key`` unless a key is already stored, in its own transaction; True if this one was."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(SealedKey).values(name=NAME, sealed=seal(key.private_pem(), NAME), created_at=utcnow())
    with db.engine.begin() as connection:
        return connection.scalar(statement.on_conflict_do_nothing().returning(SealedKey.name)) is not None


def import_vapid_key() -> str | None:
    """Store the configured key, or the instance file of an older version, if the database has no key yet: where
    it came from, or None if there was nothing to import."""
    if db.session.scalar(select(SealedKey.name).where(SealedKey.name == NAME)) is not None:
        return None
    configured = _configured()
    if configured is not None:
        return "COMPTOIR_VAPID_PRIVATE_KEY" if _store(configured) else None
    path = _legacy_path()
    if path.is_file():
        return str(path) if _store(Vapid.from_file(str(path))) else None
    return None


def vapid_key() -> Vapid:
    """The network's VAPID key (cached on the app: it is read once per process)."""
    cached = current_app.extensions.get("comptoir_vapid")
    if cached is not None:
        return cached
    import_vapid_key()
    stored = _stored()
    if stored is None:
        created = Vapid()
        created.generate_keys()
        _store(created)
        stored = _stored()
    key = _configured() or stored
    if _public(key) != _public(stored):
        current_app.logger.warning(
            "COMPTOIR_VAPID_PRIVATE_KEY is not the VAPID key in the database: servers without it serve another "
            "public key; give every server the same value, or unset it"
        )
    current_app.extensions["comptoir_vapid"] = key
    return key


def application_server_key() -> str:
    """The public key as browsers take it: the uncompressed P-256 point, base64url without padding."""
    return base64.urlsafe_b64encode(_public(vapid_key())).rstrip(b"=").decode()
