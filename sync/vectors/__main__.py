"""Write the shared test vectors: ``tickets.json`` from fixed test keys (Ed25519 signatures are deterministic),
``events.json`` from fixed events (canonical encodings and hashes), ``projection.json`` from fixed days (what the
projection makes of them), ``pricing.json`` (what a member owes), ``signatures.json`` (device signatures) and
``packs.json`` (packs signed by the server)."""

import json
from pathlib import Path

from sync.vectors import events, packs, pricing, projection, shortages, signatures, tickets

HERE = Path(__file__).parent
FILES = {
    "tickets.json": tickets.build,
    "events.json": events.build,
    "projection.json": projection.build,
    "pricing.json": pricing.build,
    "shortages.json": shortages.build,
    "signatures.json": signatures.build,
    "packs.json": packs.build,
}


def write(name: str) -> Path:
    path = HERE / name
    path.write_text(json.dumps(FILES[name](), indent=2, ensure_ascii=False) + "\n")
    return path


if __name__ == "__main__":
    for name in FILES:
        print(f"wrote {write(name)}")
