"""Configuration defaults; every key can be overridden by a ``COMPTOIR_``-prefixed environment variable."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

DEFAULTS = {
    # Where the app prints links to; localhost is a secure context for passkeys, camera and service worker.
    "BASE_URL": "http://localhost:5000",
    "SIGN_IN_LINK_MINUTES": 15,
    # An idle lifetime: the signed session cookie is renewed by requests (SESSION_REFRESH_EACH_REQUEST; at most
    # every 5 minutes, see server/auth/session.py) and refused once this long has passed without one.
    # COMPTOIR_PERMANENT_SESSION_LIFETIME is in seconds (43200 = 12 h).
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    "SESSION_REFRESH_EACH_REQUEST": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "comptoir_session",
    "LANGUAGES": ["fr", "en"],
    "BABEL_DEFAULT_LOCALE": "fr",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
    "BABEL_TRANSLATION_DIRECTORIES": "translations",
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead: a form left open at the point stays valid
    "NODE_MODULES": str(Path(__file__).resolve().parent.parent / "node_modules"),
    # The built browser code (`npm run build`: esbuild, then pwa/build-sw.mjs), served under /assets/ and /sw.js.
    "PWA_DIST": str(Path(__file__).resolve().parent.parent / "pwa" / "dist"),
    # Passkeys (WebAuthn): the relying party id and origins default to BASE_URL's host and origin.
    "WEBAUTHN_RP_NAME": "Comptoir",
    "WEBAUTHN_TIMEOUT_SECONDS": 300,
    "INVITATION_HOURS": 72,
    "DEVICE_ENROLMENT_MINUTES": 15,
    "DEVICE_CREDENTIAL_ROTATION_DAYS": 7,
    # Rate limits (Flask-Limiter, see server/ratelimits.py): storage is process memory unless e.g.
    # redis://127.0.0.1:6379 is given, which several app servers behind one PostgreSQL need. If that storage is
    # unreachable, each process falls back to counting in memory rather than refusing every sign-in.
    "RATELIMIT_ENABLED": True,  # explicit: the limiter is one object per process, each app must say
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Per client address: a burst limit only (CGNAT: one address for a whole carrier); per target: stricter.
    "AUTH_RATE_LIMIT": "60 per minute",
    "AUTH_TARGET_RATE_LIMIT": "20 per minute;100 per hour",
    # Web push (docs/push.md). VAPID_PRIVATE_KEY: PEM or base64url; unset, the key sealed in the database (created
    # on first use, server/push_keys.py).
    "VAPID_PRIVATE_KEY": "",
    "PUSH_CONTACT": "mailto:admin@localhost",  # the VAPID "sub": who push services write to about this server
    # Where subscriptions may point: push services' hosts (over https, subdomains included) or exact origins.
    "PUSH_SERVICE_HOSTS": [
        "fcm.googleapis.com",
        "android.googleapis.com",
        "push.services.mozilla.com",
        "push.apple.com",
        "notify.windows.com",
    ],
    "PUSH_QUIET_HOURS": "21:00-08:00",  # network time; "" sends at any hour
    "PUSH_UNSYNCED_AFTER_MINUTES": 120,
    "PUSH_UNCOLLECTED_AFTER_MINUTES": 30,
    # How many reverse proxies (Caddy, nginx) to trust for X-Forwarded-For and X-Forwarded-Proto; 0 trusts none.
    "PROXY_FIX": 0,
}

# What pages may load: only this server, no inline script or style, nothing framed.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:", "blob:"],
    "connect-src": "'self'",
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

# The volunteer app's shell (/app/…) also compiles WebAssembly: the QR decoder for phones without a native
# BarcodeDetector (zxing-wasm, from this origin). 'wasm-unsafe-eval' allows exactly that, not eval() nor inline code.
APP_SHELL_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY | {"script-src": ["'self'", "'wasm-unsafe-eval'"]}


def instance_secret_key(instance_path: str) -> str:
    """The secret key of a single server not given COMPTOIR_SECRET_KEY: created once in the instance folder (mode
    0600). Several app servers need the same COMPTOIR_SECRET_KEY instead (docs/deployment.md)."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()
