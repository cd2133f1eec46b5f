"""The VAPID key pair that signs this server's web pushes (RFC 8292).

The private key is a PEM file created on first use in the instance folder (mode 0600), unless
``COMPTOIR_VAPID_PRIVATE_KEY`` gives one (PEM, or the base64url raw key ``vapid --gen`` prints). Browsers get the
public key as the ``applicationServerKey`` of their subscriptions: changing the key silently breaks every
subscription, so it is created once and kept with the database's backups.
"""

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from py_vapid import Vapid02 as Vapid

KEY_FILE = "vapid_private.pem"


def _key_path() -> Path:
    return Path(current_app.instance_path) / KEY_FILE


def _create(path: Path) -> None:
    vapid = Vapid()
    vapid.generate_keys()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first: use theirs
    with os.fdopen(fd, "wb") as f:
        f.write(vapid.private_pem())


def vapid_key() -> Vapid:
    """The server's VAPID key (cached on the app: it is read once per process)."""
    cached = current_app.extensions.get("comptoir_vapid")
    if cached is not None:
        return cached
    configured = current_app.config.get("VAPID_PRIVATE_KEY")
    if configured:
        key = Vapid.from_pem(configured.encode()) if "BEGIN" in configured else Vapid.from_raw(configured.encode())
    else:
        path = _key_path()
        if not path.exists():
            _create(path)
        key = Vapid.from_file(str(path))
    current_app.extensions["comptoir_vapid"] = key
    return key


def application_server_key() -> str:
    """The public key as browsers take it: the uncompressed P-256 point, base64url without padding."""
    raw = vapid_key().public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
