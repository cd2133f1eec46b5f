"""A local Web Push service on 127.0.0.1: the browser vendor's push service, played in tests.

Our server sends notifications with pywebpush to whatever endpoint a browser gave it. Mocking pywebpush would
only prove that we call it; this service instead receives the real HTTP request and checks it the way Mozilla's
or Google's service would (VAPID per RFC 8292, headers per RFC 8030), then decrypts the body (RFC 8291) with the
subscription's private key, which only the "browser" holds. What lands in ``received`` is exactly what the
phone's service worker would get as ``event.data``; anything a real service would refuse lands in ``rejected``.

    with PushService(vapid_public_key=APPLICATION_SERVER_KEY) as service:
        sub = service.subscribe("volunteer phone")
        ...  # give sub.as_json() to the app, make it push
        [delivery] = service.wait_for(1)
        assert delivery.json()["title"] == "..."
"""

import base64
import json
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

MAX_BODY = 4096  # RFC 8030 §7.2 only promises 4096 octets of encrypted payload; real services answer 413 above.
MAX_JWT_LIFETIME = 24 * 60 * 60  # RFC 8292 §2: exp MUST NOT be more than 24 hours from the time of the request.
URGENCIES = {"very-low", "low", "normal", "high"}  # RFC 8030 §5.3


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url, padding optional (binascii.Error, a ValueError, on anything else)."""
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def public_key_b64(key: ec.EllipticCurvePublicKey) -> str:
    """A P-256 public key as browsers exchange it: uncompressed point, base64url without padding."""
    return b64url_encode(key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


@dataclass(frozen=True)
class PushSubscriptionKeys:
    """What a browser hands to the app after ``pushManager.subscribe()``."""

    endpoint: str
    p256dh: str  # the browser's ECDH public key
    auth: str  # the 16-byte auth secret
    name: str

    def as_json(self) -> dict[str, Any]:
        """The shape of ``PushSubscription.toJSON()``."""
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass(frozen=True)
class Delivery:
    """A push the service accepted, decrypted as the service worker would see it."""

    endpoint: str
    subscription_name: str
    payload: bytes
    ttl: int
    urgency: str | None
    topic: str | None
    claims: dict[str, Any]  # the verified VAPID JWT claims (sub, aud, exp)
    vapid_public_key: str  # the `k` the push was signed with

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass(frozen=True)
class Rejection:
    """A request the service refused, and why (the reason is also the response body)."""

    endpoint: str
    status: int
    reason: str


@dataclass
class _Subscription:
    keys: PushSubscriptionKeys
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    answer: tuple[int, dict[str, str]] | None = None  # forced by the test


class Refused(Exception):
    """Raised while checking a push: answer ``status`` with ``reason`` as the body, deliver nothing."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, dict(headers or {})


@dataclass
class _Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


class PushService:
    """An RFC 8030 push service for tests; see the module docstring.

    ``received`` and ``rejected`` are appended under a lock before the response is sent, so they are complete as
    soon as a synchronous ``webpush()`` returns; use ``wait_for`` when the app pushes from another thread.
    """

    def __init__(self, vapid_public_key: str | None = None, port: int = 0) -> None:
        """``vapid_public_key``: the applicationServerKey browsers subscribed with; every push must be signed by it."""
        self.vapid_public_key = vapid_public_key
        self._vapid_key_bytes = b64url_decode(vapid_public_key) if vapid_public_key else None
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Condition()
        self._subscriptions: dict[str, _Subscription] = {}
        self.received: list[Delivery] = []
        self.rejected: list[Rejection] = []

    # -- lifecycle

    def start(self) -> Self:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = service._receive(self.path, self.headers, body)
                data = reply.body.encode()
                self.send_response(reply.status)
                for name, value in {"Content-Type": "text/plain", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # rejections are recorded; stderr noise is not useful

        self._server = server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, and every test stops a service.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="push-service", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, also the origin every VAPID ``aud`` claim must name."""
        if self._server is None:
            raise RuntimeError("PushService is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- what the test does

    def subscribe(self, name: str | None = None) -> PushSubscriptionKeys:
        """Do what a browser does on ``pushManager.subscribe()``: new ECDH key pair, auth secret, endpoint."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        auth_secret = secrets.token_bytes(16)
        sub_id = secrets.token_urlsafe(16)
        keys = PushSubscriptionKeys(
            endpoint=f"{self.base_url}/push/{sub_id}",
            p256dh=public_key_b64(private_key.public_key()),
            auth=b64url_encode(auth_secret),
            name=name or sub_id,
        )
        with self._lock:
            self._subscriptions[sub_id] = _Subscription(keys, private_key, auth_secret)
        return keys

    def answer(
        self, subscription: PushSubscriptionKeys | str, status: int | None, headers: Mapping[str, str] | None = None
    ) -> None:
        """From now on, answer every push to this subscription (or endpoint) with ``status`` (e.g. 410, 429 with
        ``{"Retry-After": "30"}``, 500) without looking at it; ``None`` goes back to normal service."""
        sub = self._subscription(subscription)
        with self._lock:
            sub.answer = None if status is None else (status, dict(headers or {}))

    def unsubscribe(self, subscription: PushSubscriptionKeys | str) -> None:
        """The user revoked the permission or the browser dropped the subscription: the endpoint is 410 Gone."""
        self.answer(subscription, 410)

    def wait_for(self, count: int, timeout: float = 5) -> list[Delivery]:
        """All deliveries, once at least ``count`` have arrived; AssertionError (with the rejections) otherwise."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(
                    f"expected {count} push deliveries within {timeout}s, got {len(self.received)}; "
                    f"rejected: {self.rejected}"
                )
            return list(self.received)

    def _subscription(self, subscription: PushSubscriptionKeys | str) -> _Subscription:
        endpoint = subscription.endpoint if isinstance(subscription, PushSubscriptionKeys) else subscription
        with self._lock:
            return self._subscriptions[endpoint.rsplit("/", 1)[-1]]

    # -- what the push service does

    def _receive(self, path: str, headers: Mapping[str, str], body: bytes) -> _Reply:
        endpoint = f"{self.base_url}{path}"
        try:
            delivery = self._accept(path, headers, body)
        except Refused as refused:
            with self._lock:
                self.rejected.append(Rejection(endpoint, refused.status, refused.reason))
            return _Reply(refused.status, refused.headers, refused.reason)
        with self._lock:
            self.received.append(delivery)
            self._lock.notify_all()
        return _Reply(201, {"Location": f"{self.base_url}/message/{uuid.uuid4().hex}"})

    def _accept(self, path: str, headers: Mapping[str, str], body: bytes) -> Delivery:
        prefix, _, sub_id = path.partition("/push/")
        with self._lock:
            sub = self._subscriptions.get(sub_id) if prefix == "" else None
            forced = sub.answer if sub else None
        if sub is None:
            raise Refused(404, "no such subscription")
        if forced:
            raise Refused(forced[0], f"answer({forced[0]}) set by the test", forced[1])
        claims, signer = self._check_vapid(headers.get("Authorization"))
        if (headers.get("Content-Encoding") or "").lower() != "aes128gcm":
            raise Refused(400, f"Content-Encoding must be aes128gcm, got {headers.get('Content-Encoding')!r}")
        ttl = headers.get("TTL")
        if ttl is None or not (ttl.isascii() and ttl.isdigit()):
            raise Refused(400, f"TTL header must be a non-negative integer (RFC 8030 §5.2), got {ttl!r}")
        urgency, topic = headers.get("Urgency"), headers.get("Topic")
        if urgency is not None and urgency not in URGENCIES:
            raise Refused(400, f"invalid Urgency {urgency!r}")
        if topic is not None and not (len(topic) <= 32 and _is_b64url(topic)):
            raise Refused(400, f"Topic must be at most 32 base64url characters, got {topic!r}")
        if len(body) > MAX_BODY:
            raise Refused(413, f"payload of {len(body)} bytes exceeds {MAX_BODY}")
        try:
            payload = http_ece.decrypt(
                body, private_key=sub.private_key, auth_secret=sub.auth_secret, version="aes128gcm"
            )
        except Exception as exc:  # http_ece raises ECEException, cryptography InvalidTag, ValueError...
            raise Refused(400, f"cannot decrypt payload: {type(exc).__name__} {exc}".strip()) from exc
        return Delivery(sub.keys.endpoint, sub.keys.name, payload, int(ttl), urgency, topic, claims, signer)

    def _check_vapid(self, authorization: str | None) -> tuple[dict[str, Any], str]:
        """RFC 8292: ``Authorization: vapid t=<ES256 JWT>, k=<P-256 public key>``; returns (claims, k)."""
        if not authorization:
            raise Refused(401, "missing Authorization header (VAPID)")
        scheme, _, params = authorization.strip().partition(" ")
        if scheme.lower() == "webpush":
            raise Refused(401, "legacy 'WebPush <jwt>' + Crypto-Key scheme; RFC 8292 requires 'vapid t=..., k=...'")
        if scheme.lower() != "vapid":
            raise Refused(401, f"unsupported Authorization scheme {scheme!r}")
        fields = dict(part.strip().partition("=")[::2] for part in params.split(","))
        token, key = fields.get("t"), fields.get("k")
        if not token or not key:
            raise Refused(401, "vapid Authorization needs both t= and k=")
        try:
            key_bytes = b64url_decode(key)
            if len(key_bytes) != 65 or key_bytes[0] != 4:
                raise ValueError("not an uncompressed point")
            public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key_bytes)
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(b64url_decode(header_b64))
            claims = json.loads(b64url_decode(claims_b64))
            signature = b64url_decode(signature_b64)
        except ValueError as exc:
            raise Refused(401, f"malformed VAPID token or key: {exc}") from exc
        if not isinstance(header, dict) or header.get("alg") != "ES256":
            raise Refused(401, f"JWT alg must be ES256, header was {header!r}")
        if len(signature) != 64:
            raise Refused(401, f"ES256 signature must be 64 bytes (r||s), got {len(signature)}")
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            public_key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise Refused(401, "VAPID JWT signature does not verify with k") from None
        if self._vapid_key_bytes is not None and key_bytes != self._vapid_key_bytes:
            raise Refused(403, "VAPID key k is not the applicationServerKey this subscription was created with")
        if not isinstance(claims, dict):
            raise Refused(401, f"JWT claims must be an object, got {claims!r}")
        if claims.get("aud") != self.base_url:
            raise Refused(401, f"JWT aud must be {self.base_url!r}, got {claims.get('aud')!r}")
        exp, now = claims.get("exp"), time.time()
        if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= now:
            raise Refused(401, f"JWT exp must be in the future, got {exp!r} (now {int(now)})")
        if exp > now + MAX_JWT_LIFETIME:
            raise Refused(401, f"JWT exp is more than 24 h ahead: {exp!r} (now {int(now)})")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
            raise Refused(401, f"JWT sub must be a mailto: or https: contact, got {sub!r}")
        return claims, key


def _is_b64url(text: str) -> bool:
    return all(c.isascii() and (c.isalnum() or c in "-_") for c in text)
