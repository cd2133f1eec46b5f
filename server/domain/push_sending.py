"""Sending the due notifications with pywebpush (VAPID, ``aes128gcm``): once per subscription, never in quiet
hours, each send on its own so that one failing push service never holds up the others.

A delivery row is committed *before* its push leaves: a run that dies mid-send never sends it again (at most once,
as people expect of reminders). That row is the claim: its unique (subscription, key) lets one run insert it and
makes any other run, at the same moment or later, fail to, on SQLite and PostgreSQL alike; a retry takes a failed
row back with one conditional ``UPDATE``, which only one run can win. Before claiming, one read per 500 keys leaves
out what was already sent, so a run with nothing new does no write at all.

A push service that fails (5xx, 429, timeout, refused connection) leaves the row ``failed``; later runs retry it
while the notice is still due, up to ``MAX_ATTEMPTS``. 404 and 410 mean the browser unsubscribed: the subscription
is removed. So is one whose keys pywebpush cannot encrypt to (stored before they were checked on subscribing): it
never could be sent to, and the run goes on for the others.
"""

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

import requests
from flask import current_app
from flask_babel import force_locale
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from server.clock import utcnow
from server.domain.notifications import MAX_ATTEMPTS, Notice, Recipient, due_notices
from server.domain.push_subscriptions import keys_valid
from server.extensions import db
from server.models import NetworkSettings, PushDelivery, PushSubscription
from server.push_keys import vapid_key

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
GONE = (404, 410)


@dataclass
class Report:
    """What a run did: counts by outcome, and one line per send for the log."""

    quiet_until: time | None = None
    counts: Counter = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)

    def add(self, outcome: str, line: str) -> None:
        self.counts[outcome] += 1
        self.lines.append(line)
        (log.warning if outcome in ("failed", "gone", "invalid") else log.info)("push %s", line)


def parse_quiet_hours(value: str) -> tuple[time, time] | None:
    """``"21:00-08:00"`` → (21:00, 08:00); empty: no quiet hours."""
    if not value.strip():
        return None
    start, _, end = value.partition("-")
    try:
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError as exc:
        raise ValueError(f"PUSH_QUIET_HOURS must look like 21:00-08:00, not {value!r}") from exc


def quiet_until(now: datetime) -> time | None:
    """The end of the quiet hours if ``now`` (in the network's timezone) is inside them, else None."""
    hours = parse_quiet_hours(current_app.config["PUSH_QUIET_HOURS"])
    if hours is None:
        return None
    start, end = hours
    local = now.astimezone(ZoneInfo(NetworkSettings.current().timezone)).time()
    inside = start <= local < end if start < end else (local >= start or local < end)
    return end if inside else None


CHUNK = 500  # keys per IN (…) query


def _settled(notices: list[Notice]) -> set[tuple[int, str]]:
    """The (subscription, key) pairs of ``notices`` that no run may send any more: sent, being sent, or failed
    ``MAX_ATTEMPTS`` times (``push_deliveries.key`` index)."""
    keys = sorted({notice.key for notice in notices})
    settled: set[tuple[int, str]] = set()
    for start in range(0, len(keys), CHUNK):
        rows = db.session.execute(
            select(PushDelivery.subscription_id, PushDelivery.key, PushDelivery.status, PushDelivery.attempts).where(
                PushDelivery.key.in_(keys[start : start + CHUNK])
            )
        )
        for subscription_id, key, status, attempts in rows:
            if status != "failed" or attempts >= MAX_ATTEMPTS:
                settled.add((subscription_id, key))
    return settled


def _claim(subscription: Recipient, notice: Notice) -> bool:
    """Write the delivery row (or take a failed one back) and commit: True if this run may send it."""
    try:
        db.session.execute(
            insert(PushDelivery).values(
                subscription_id=subscription.id,
                key=notice.key,
                kind=notice.kind,
                status="sending",
                attempts=1,
                created_at=utcnow(),
            )
        )
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
    retried = db.session.execute(
        update(PushDelivery)
        .where(
            PushDelivery.subscription_id == subscription.id,
            PushDelivery.key == notice.key,
            PushDelivery.status == "failed",
            PushDelivery.attempts < MAX_ATTEMPTS,
        )
        .values(status="sending", attempts=PushDelivery.attempts + 1)
    )
    db.session.commit()
    return retried.rowcount == 1


def _payload(subscription: Recipient, notice: Notice) -> str:
    with force_locale(subscription.lang):
        title, body = notice.text()
    return json.dumps({"title": title, "body": body, "url": notice.url, "tag": notice.key, "lang": subscription.lang})


def _push(
    subscription: Recipient, payload: str, notice: Notice, session: requests.Session
) -> tuple[int | None, str | None]:
    """Send one push: (HTTP status, error) — status None when the push service could not be reached."""
    try:
        response = webpush(
            {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
            payload,
            vapid_private_key=vapid_key(),
            vapid_claims={"sub": current_app.config["PUSH_CONTACT"]},  # a new dict each time: webpush fills in aud
            ttl=notice.ttl,
            headers={"Urgency": notice.urgency},
            timeout=TIMEOUT_SECONDS,
            requests_session=session,
        )
        return response.status_code, None
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        return status, str(exc).splitlines()[0][:500]
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]


def _drop(subscription: Recipient) -> None:
    """Remove a subscription that can never be sent to again, and its deliveries (the caller commits)."""
    db.session.execute(delete(PushDelivery).where(PushDelivery.subscription_id == subscription.id))
    db.session.execute(delete(PushSubscription).where(PushSubscription.id == subscription.id))


def _finish(subscription: Recipient, notice: Notice, status: int | None, error: str | None, report: Report) -> None:
    where = f"{notice.key} → subscription {subscription.id}"
    if status in GONE:
        _drop(subscription)
        report.add("gone", f"{where}: {status}, subscription removed")
    else:
        sent = error is None
        db.session.execute(
            update(PushDelivery)
            .where(PushDelivery.subscription_id == subscription.id, PushDelivery.key == notice.key)
            .values(
                status="sent" if sent else "failed",
                http_status=status,
                error=error,
                sent_at=utcnow() if sent else None,
            )
        )
        report.add("sent" if sent else "failed", f"{where}: {status}" + ("" if sent else f" {error}"))
    db.session.commit()


def send_due(now: datetime | None = None) -> Report:
    """Send every notification due at ``now`` (default: now) that each subscription has not had yet."""
    now = now or utcnow()
    report = Report(quiet_until=quiet_until(now))
    if report.quiet_until is not None:
        return report
    notices = list(due_notices(now))
    settled = _settled(notices)
    db.session.commit()  # end the reads before the first claim
    removed: set[int] = set()
    valid: set[int] = set()
    with requests.Session() as session:
        for notice in notices:
            for subscription in notice.subscriptions:
                if subscription.id in removed:
                    continue
                if subscription.id not in valid:
                    if not keys_valid(subscription.p256dh, subscription.auth):
                        _drop(subscription)
                        db.session.commit()
                        removed.add(subscription.id)
                        report.add("invalid", f"subscription {subscription.id}: invalid keys, subscription removed")
                        continue
                    valid.add(subscription.id)
                if (subscription.id, notice.key) in settled:
                    report.counts["already"] += 1
                elif _claim(subscription, notice):
                    payload = _payload(subscription, notice)
                    db.session.commit()  # the text's reads: nothing stays open while the push service answers
                    status, error = _push(subscription, payload, notice, session)
                    if status in GONE:
                        removed.add(subscription.id)
                    _finish(subscription, notice, status, error, report)
                else:
                    report.counts["already"] += 1
    return report
