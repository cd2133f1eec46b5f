"""Write the shared test vectors: ``tickets.json`` from fixed test keys (Ed25519 signatures are deterministic),
``events.json`` from fixed events (canonical encodings and hashes), ``projection.json`` from fixed days (what the
projection makes of them) and ``pricing.json`` (what a member owes)."""

import json
from pathlib import Path

from sync.vectors import events, pricing, projection, shortages, tickets

HERE = Path(__file__).parent
FILES = {
    "tickets.json": tickets.build,
    "events.json": events.build,
    "projection.json": projection.build,
    "pricing.json": pricing.build,
    "shortages.json": shortages.build,
}


def write(name: str) -> Path:
    path = HERE / name
    path.write_text(json.dumps(FILES[name](), indent=2, ensure_ascii=False) + "\n")
    return path


if __name__ == "__main__":
    for name in FILES:
        print(f"wrote {write(name)}")
