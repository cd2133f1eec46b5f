"""What the PostgreSQL benches share to build a large network fast (``INSERT … SELECT generate_series``): the
database they use, the statement runner, step timings, and the SQL expressions that draw evenly spread numbers and
event ids without a round-trip per row (``bench/cycles.py``, ``bench/push.py``, ``bench/scale.py``)."""

import os
import time
from zoneinfo import ZoneInfo

from sqlalchemy import text

from server.extensions import db

POSTGRES_URL = os.environ.get("COMPTOIR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PARIS = ZoneInfo("Europe/Paris")


def sql(statement: str, **params) -> int:
    """Run one statement in the app's session and commit; returns the rows it touched."""
    result = db.session.execute(text(statement), params)
    db.session.commit()
    return result.rowcount


def step(label: str, started: list[float]) -> None:
    """Print the seconds since ``started[0]`` beside ``label`` and restart the clock."""
    now = time.perf_counter()
    print(f"  {label}: {now - started[0]:.1f} s", flush=True)
    started[0] = now


def spread(seed: str) -> str:
    """A number from 0 to 2^28 - 1 drawn from ``seed`` in SQL (md5): who orders, who subscribes, evenly everywhere."""
    return f"('x' || substr(md5({seed}), 1, 7))::bit(28)::int"


def uuid7_sql(seed: str) -> str:
    """A UUIDv7-shaped id (what ``sync.events`` accepts) from an md5 in SQL."""
    h = f"md5({seed})"
    return (
        f"substr({h},1,8)||'-'||substr({h},9,4)||'-7'||substr({h},14,3)||'-8'||substr({h},18,3)||'-'||substr({h},21,12)"
    )
