"""The browser side served by Flask: built assets from ``pwa/dist`` (esbuild output), the volunteer app shell, its
web app manifest and its service worker. See docs/pwa.md."""

from pathlib import Path

from flask import Blueprint, current_app, jsonify, request, send_from_directory

from server.auth.access import public
from server.config import APP_SHELL_CONTENT_SECURITY_POLICY
from server.extensions import talisman

bp = Blueprint("pwa", __name__)

PWA_ROOT = Path(__file__).resolve().parent.parent.parent / "pwa"
PWA_DIST = PWA_ROOT / "dist"
THEME_COLOR = "#1d6b3a"

# The manifest's words; the app itself picks its language on the phone (pwa/src/i18n.js).
MANIFEST_TEXT = {
    "fr": {
        "name": "Comptoir — permanence",
        "short_name": "Comptoir",
        "description": "Scanner les tickets, remettre les paniers, encaisser : même sans réseau.",
    },
    "en": {
        "name": "Comptoir — distribution desk",
        "short_name": "Comptoir",
        "description": "Scan tickets, hand over baskets, take payments: even with no network.",
    },
}


def dist() -> Path:
    return Path(current_app.config["PWA_DIST"])


@bp.get("/assets/<path:filename>")
@public
def asset(filename: str):
    """A bundled script (``admin.js``, ``app.js``…) built by ``npm run build``."""
    return send_from_directory(dist(), filename, max_age=0)


# The shell may compile the QR decoder's WebAssembly ('wasm-unsafe-eval'): see docs/security.md.
@bp.get("/app/")
@public
@talisman(content_security_policy=APP_SHELL_CONTENT_SECURITY_POLICY)
def app():
    """The volunteer app: a static shell (``pwa/index.html``); everything else happens in ``pwa/src/app.js``."""
    return send_from_directory(PWA_ROOT, "index.html", max_age=0)


@bp.get("/app/enrol")
@public
@talisman(content_security_policy=APP_SHELL_CONTENT_SECURITY_POLICY)
def app_enrol():
    """The same shell at the enrolment link's address; the one-time token is in the fragment, which only the
    page's script reads (it never reaches this server, its logs or a Referer)."""
    return send_from_directory(PWA_ROOT, "index.html", max_age=0)


@bp.get("/app/manifest.webmanifest")
@public
def manifest():
    """The volunteer app's web app manifest, in French; ``?lang=en`` (or an English browser) gets it in English."""
    languages = list(MANIFEST_TEXT)
    lang = request.args.get("lang")
    if lang not in MANIFEST_TEXT:
        lang = request.accept_languages.best_match(languages) or "fr"
    icons = [
        {"src": f"/static/icons/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
        for size in (192, 512)
        for purpose in ("any", "maskable")  # full-bleed square, the mark well inside the safe zone
    ]
    body = {
        **MANIFEST_TEXT[lang],
        "id": "/app/",
        "lang": lang,
        "dir": "ltr",
        "start_url": "/app/",
        "scope": "/app/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": icons,
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Vary"] = "Accept-Language"
    return response


@bp.get("/sw.js")
@public
def service_worker():
    """The volunteer app's service worker, built by ``pwa/build-sw.mjs``. Served at the root, registered with
    scope ``/app/`` (pwa/src/update.js); always revalidated, so a new version is seen at the next check."""
    response = send_from_directory(dist(), "sw.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
