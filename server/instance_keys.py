"""The keys older versions kept in one server's instance folder, imported into the database (sealed) once.

The server holding ``instance/ticket_keys/*.pem`` or ``instance/vapid_private.pem`` (or given
``COMPTOIR_VAPID_PRIVATE_KEY``) imports them on its first request, so an upgrade needs no step;
``flask --app wsgi prepare`` and ``secrets import`` do it at once. Importing is idempotent and race-safe (a row
already filled is left as it is). The files are left in place: delete them after a backup of the database.
"""

from pathlib import Path

from flask import Flask, current_app

from server.extensions import db
from server.push_keys import KEY_FILE, import_vapid_key
from server.ticket_keys import LEGACY_DIRECTORY, import_key_files, legacy_files_present


def import_instance_keys() -> list[str]:
    """Import what this server's instance folder (and configuration) holds; one line per key imported."""
    lines = [f"ticket key {key_id} from instance/{LEGACY_DIRECTORY}/" for key_id in import_key_files()]
    source = import_vapid_key()
    if source is not None:
        lines.append(f"VAPID key from {source}")
    return lines


def _has_something_to_import(app: Flask) -> bool:
    return (
        legacy_files_present()
        or (Path(app.instance_path) / KEY_FILE).is_file()
        or bool(app.config.get("VAPID_PRIVATE_KEY"))
    )


def register(app: Flask) -> None:
    """Import on the first request this process serves. A failure is logged, not shown: the request goes on, and
    a key still missing says so where it is used (server/ticket_keys.py ``private_key``)."""

    @app.before_request
    def import_once() -> None:
        if app.extensions.get("comptoir_keys_imported"):
            return
        app.extensions["comptoir_keys_imported"] = True
        if not _has_something_to_import(app):
            return
        try:
            for line in import_instance_keys():
                current_app.logger.info("imported into the database, sealed: %s", line)
        except Exception:
            db.session.rollback()
            current_app.logger.exception("the key files of %s could not be imported", app.instance_path)
