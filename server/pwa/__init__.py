"""The browser side served by Flask: built assets from ``pwa/dist`` (esbuild output) and the volunteer app shell."""

from pathlib import Path

from flask import Blueprint, send_from_directory

from server.auth.access import public

bp = Blueprint("pwa", __name__)

PWA_ROOT = Path(__file__).resolve().parent.parent.parent / "pwa"
PWA_DIST = PWA_ROOT / "dist"


@bp.get("/assets/<path:filename>")
@public
def asset(filename: str):
    """A bundled script (``admin.js``, ``app.js``…) built by ``npm run build``."""
    return send_from_directory(PWA_DIST, filename, max_age=0)


@bp.get("/app/")
@public
def app():
    """The volunteer app: a static shell (``pwa/index.html``); everything else happens in ``pwa/src/app.js``."""
    return send_from_directory(PWA_ROOT, "index.html", max_age=0)


@bp.get("/app/enrol")
@public
def app_enrol():
    """The same shell at the enrolment link's address; the one-time token is in the fragment, which only the
    page's script reads (it never reaches this server, its logs or a Referer)."""
    return send_from_directory(PWA_ROOT, "index.html", max_age=0)
