"""Browser files installed from npm (``package-lock.json``), served straight from ``node_modules``.

Only the files listed here are reachable; nothing from npm is copied into the repository.
"""

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

from server.auth.access import public

bp = Blueprint("vendor", __name__)

VENDOR_FILES = {
    "pico.min.css": "@picocss/pico/css/pico.min.css",
}


@bp.get("/<name>")
@public
def vendor_file(name: str):
    relative = VENDOR_FILES.get(name)
    if relative is None:
        abort(404)
    root = Path(current_app.config["NODE_MODULES"])
    return send_from_directory(root / Path(relative).parent, Path(relative).name, max_age=86400)
