"""The local push service (tests/push_service.py) against the real pywebpush: it delivers what was sent, and it
refuses what Mozilla's or Google's service would refuse, so server tests built on it can fail for real."""

import json
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid, Vapid01
from pywebpush import WebPusher, WebPushException, webpush

from tests.push_service import PushService, b64url_decode, b64url_encode, public_key_b64

CONTACT = "mailto:ops@comptoir.example"


@pytest.fixture
def vapid() -> Vapid:
    key = Vapid()
    key.generate_keys()
    return key


@pytest.fixture
def service(vapid: Vapid) -> Iterator[PushService]:
    with PushService(vapid_public_key=public_key_b64(vapid.public_key)) as service:
        yield service


def push(subscription, data: bytes | str = b"{}", key: Vapid | str | None = None, **kwargs) -> requests.Response:
    """pywebpush exactly as a server calls it (a fresh claims dict each time: webpush() writes aud/exp into it)."""
    kwargs.setdefault("vapid_claims", {"sub": CONTACT})
    kwargs.setdefault("ttl", 60)
    return webpush(subscription.as_json(), data, vapid_private_key=key, timeout=5, **kwargs)


def refused(subscription, data: bytes | str = b"{}", key: Vapid | str | None = None, **kwargs) -> int:
    with pytest.raises(WebPushException) as caught:
        push(subscription, data, key, **kwargs)
    return caught.value.response.status_code


def signed_headers(vapid: Vapid, claims: dict) -> dict[str, str]:
    """A VAPID header built by hand: webpush() itself would replace a past exp (see below)."""
    return vapid.sign({"sub": CONTACT, **claims})


def test_subscription_looks_like_a_browser_one(service: PushService):
    sub = service.subscribe("phone")
    body = sub.as_json()
    assert body == {"endpoint": sub.endpoint, "expirationTime": None, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
    assert sub.endpoint.startswith(f"{service.base_url}/push/")
    assert service.base_url.startswith("http://127.0.0.1:")
    assert b64url_decode(sub.p256dh)[0] == 4 and len(b64url_decode(sub.p256dh)) == 65
    assert len(b64url_decode(sub.auth)) == 16
    assert service.subscribe().endpoint != sub.endpoint


@pytest.mark.parametrize("key_form", ["Vapid instance", "raw private key string"])
def test_signed_push_is_decrypted_to_exactly_the_bytes_sent(service: PushService, vapid: Vapid, key_form: str):
    sub = service.subscribe("phone")
    data = json.dumps({"title": "Créneau à 14 h", "url": "/shifts/42"}).encode()
    raw = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    key = vapid if key_form == "Vapid instance" else b64url_encode(raw)

    before = time.time()
    response = push(sub, data, key, ttl=3600, headers={"Urgency": "high", "Topic": "shift42"})

    assert response.status_code == 201
    assert response.headers["Location"].startswith(f"{service.base_url}/message/")
    assert service.rejected == []
    [delivery] = service.received
    assert delivery.payload == data
    assert delivery.json()["title"] == "Créneau à 14 h"
    assert (delivery.endpoint, delivery.subscription_name) == (sub.endpoint, "phone")
    assert (delivery.ttl, delivery.urgency, delivery.topic) == (3600, "high", "shift42")
    assert delivery.claims["aud"] == service.base_url
    assert delivery.claims["sub"] == CONTACT
    assert before < delivery.claims["exp"] <= before + 24 * 3600 + 1
    assert delivery.vapid_public_key == service.vapid_public_key


def test_push_signed_by_another_vapid_key_is_refused_403(service: PushService):
    sub = service.subscribe()
    other = Vapid()
    other.generate_keys()

    assert refused(sub, b"hello", other) == 403
    assert service.received == []
    assert [r.status for r in service.rejected] == [403]
    assert "applicationServerKey" in service.rejected[0].reason


def test_any_key_is_accepted_when_none_is_configured(vapid: Vapid):
    with PushService() as service:
        push(service.subscribe(), b"hello", vapid)
        assert service.received[0].payload == b"hello"


def test_push_without_vapid_is_refused_401(service: PushService):
    assert refused(service.subscribe(), b"hello", vapid_claims=None) == 401
    assert service.received == []
    assert "missing Authorization" in service.rejected[0].reason


def test_legacy_webpush_scheme_is_refused_401(service: PushService, vapid: Vapid):
    """pywebpush only sends 'WebPush <jwt>' + Crypto-Key when handed a py_vapid.Vapid01; the server must not."""
    legacy = Vapid01(vapid.private_key)
    assert refused(service.subscribe(), b"hello", legacy) == 401
    assert "legacy" in service.rejected[0].reason


def test_pywebpush_quietly_replaces_a_past_exp(service: PushService, vapid: Vapid):
    """Why the expired-token test signs its own header: webpush() swaps a past exp for now + 12 h."""
    push(service.subscribe(), b"hello", vapid, vapid_claims={"sub": CONTACT, "exp": int(time.time()) - 60})
    assert service.received[0].claims["exp"] > time.time() + 11 * 3600


def test_expired_jwt_is_refused_401(service: PushService, vapid: Vapid):
    sub = service.subscribe()
    headers = signed_headers(vapid, {"aud": service.base_url, "exp": int(time.time()) - 60})
    assert refused(sub, b"hello", headers=headers, vapid_claims=None) == 401
    assert service.received == []
    assert "exp must be in the future" in service.rejected[0].reason


def test_jwt_valid_for_more_than_24_hours_is_refused_401(service: PushService, vapid: Vapid):
    sub = service.subscribe()
    assert refused(sub, b"hello", vapid, vapid_claims={"sub": CONTACT, "exp": int(time.time()) + 2 * 86400}) == 401
    assert "24 h" in service.rejected[0].reason


def test_wrong_audience_is_refused_401(service: PushService, vapid: Vapid):
    sub = service.subscribe()
    assert refused(sub, b"hello", vapid, vapid_claims={"sub": CONTACT, "aud": "https://fcm.googleapis.com"}) == 401
    assert service.received == []
    assert "aud" in service.rejected[0].reason


def test_sub_must_be_a_contact_uri(service: PushService, vapid: Vapid):
    lax = Vapid(vapid.private_key, conf={"no-strict": True})  # py_vapid itself would refuse to sign this
    assert refused(service.subscribe(), b"hello", lax, vapid_claims={"sub": "ops@comptoir.example"}) == 401
    assert "sub" in service.rejected[0].reason


@pytest.mark.parametrize("part", ["signature", "claims"])
def test_tampered_token_is_refused_401(service: PushService, vapid: Vapid, part: str):
    sub = service.subscribe()
    authorization = signed_headers(vapid, {"aud": service.base_url})["Authorization"]
    token, key = authorization.removeprefix("vapid t=").split(",k=")
    header, claims, signature = token.split(".")
    if part == "signature":
        raw = bytearray(b64url_decode(signature))
        raw[10] ^= 1
        signature = b64url_encode(bytes(raw))
    else:
        forged = json.loads(b64url_decode(claims)) | {"sub": "mailto:someone@else.example"}
        claims = b64url_encode(json.dumps(forged).encode())
    headers = {"Authorization": f"vapid t={header}.{claims}.{signature},k={key}"}

    assert refused(sub, b"hello", headers=headers, vapid_claims=None) == 401
    assert service.received == []
    assert "signature does not verify" in service.rejected[0].reason


def test_body_encrypted_for_another_subscription_cannot_be_decrypted(service: PushService, vapid: Vapid):
    mine, theirs = service.subscribe("mine"), service.subscribe("theirs")
    wrong = {"endpoint": mine.endpoint, "keys": theirs.as_json()["keys"]}
    with pytest.raises(WebPushException) as caught:
        webpush(wrong, b"secret", vapid_private_key=vapid, vapid_claims={"sub": CONTACT}, ttl=60, timeout=5)

    assert caught.value.response.status_code == 400
    assert service.received == []
    [rejection] = service.rejected
    assert (rejection.endpoint, rejection.status) == (mine.endpoint, 400)
    assert rejection.reason.startswith("cannot decrypt payload")


def test_only_aes128gcm_is_accepted(service: PushService, vapid: Vapid):
    assert refused(service.subscribe(), b"hello", vapid, content_encoding="aesgcm") == 400
    assert "aes128gcm" in service.rejected[0].reason


def test_ttl_header_is_required(service: PushService, vapid: Vapid):
    sub = service.subscribe()
    body = WebPusher(sub.as_json()).encode(b"hello")["body"]
    headers = signed_headers(vapid, {"aud": service.base_url}) | {"Content-Encoding": "aes128gcm"}

    assert requests.post(sub.endpoint, data=body, headers=headers, timeout=5).status_code == 400
    assert refused(sub, b"hello", vapid, headers={"TTL": "soon"}, ttl=0) == 400
    assert service.received == []
    assert all("TTL" in r.reason for r in service.rejected)


def test_payload_over_4096_bytes_is_refused_413(service: PushService, vapid: Vapid):
    assert refused(service.subscribe(), b"x" * 4000, vapid) == 413


def test_unknown_endpoint_is_404(service: PushService, vapid: Vapid):
    sub = service.subscribe()
    gone = type(sub)(f"{service.base_url}/push/nobody", sub.p256dh, sub.auth, "nobody")
    assert refused(gone, b"hello", vapid) == 404


@pytest.mark.parametrize("status", [404, 410, 429, 500])
def test_answer_forces_a_status_until_reset(service: PushService, vapid: Vapid, status: int):
    sub, other = service.subscribe(), service.subscribe()
    service.answer(sub, status, {"Retry-After": "30"} if status == 429 else None)

    with pytest.raises(WebPushException) as caught:
        push(sub, b"hello", vapid)
    assert caught.value.response.status_code == status
    if status == 429:
        assert caught.value.response.headers["Retry-After"] == "30"
    push(other, b"still fine", vapid)
    assert [d.payload for d in service.received] == [b"still fine"]

    service.answer(sub.endpoint, None)
    push(sub, b"back", vapid)
    assert [d.payload for d in service.received] == [b"still fine", b"back"]


def test_unsubscribe_makes_the_endpoint_gone(service: PushService, vapid: Vapid):
    sub = service.subscribe()
    service.unsubscribe(sub)
    assert refused(sub, b"hello", vapid) == 410
    assert service.received == []


def test_wait_for_pushes_sent_from_another_thread(service: PushService, vapid: Vapid):
    sub = service.subscribe()
    sender = threading.Thread(target=lambda: [push(sub, f"{i}", vapid) for i in range(3)])
    sender.start()
    assert [d.payload for d in service.wait_for(3)] == [b"0", b"1", b"2"]
    sender.join()

    with pytest.raises(AssertionError, match="expected 4 push deliveries"):
        service.wait_for(4, timeout=0.2)


def test_public_key_helper_matches_py_vapid(vapid: Vapid):
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert b64url_decode(public_key_b64(vapid.public_key)) == raw
