"""Demo figures: the time ``flask --app wsgi demo`` takes to load the demo network, its past played by phones
through the real ingest, on SQLite and PostgreSQL (target: under 30 s).

Run: .venv/bin/python bench/demo.py   (PostgreSQL: COMPTOIR_TEST_POSTGRES_URL, default the local server)
"""

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # first: ``import sync`` must find the package, not a script

from bench.sync import engine_app  # noqa: E402
from server.extensions import db  # noqa: E402

TODAY = date(2026, 3, 24)  # a fixed day: the same network every run


def load_seconds(folder: Path, backend: str) -> tuple[float, str]:
    """Seconds to load and commit the demo on a new database of ``backend``, and its summary."""
    from server.demo.loader import load_demo_network

    app, drop = engine_app(folder, backend)
    try:
        with app.app_context():
            start = time.perf_counter()
            loaded = load_demo_network(today=TODAY)
            db.session.commit()
            return time.perf_counter() - start, loaded.summary
    finally:
        drop()


def main() -> None:
    rows = []
    for backend in ("sqlite", "postgresql"):
        with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as folder:
            seconds, summary = load_seconds(Path(folder), backend)
        events = summary.split("played by phones: ")[1].split(" events")[0]
        rows.append((f"{backend}: demo load (with {events} past events through the ingest)", f"{seconds:.1f} s"))
    width = max(len(figure) for figure, _ in rows)
    print(f"{'figure':<{width}}  value  target")
    for figure, value in rows:
        print(f"{figure:<{width}}  {value:>5}  < 30 s")


if __name__ == "__main__":
    main()
