"""Write the shared test vectors: ``tickets.json`` from fixed test keys (Ed25519 signatures are deterministic) and
``events.json`` from fixed events (canonical encodings and hashes)."""

import json
from pathlib import Path

from sync.vectors import events, tickets

HERE = Path(__file__).parent
FILES = {"tickets.json": tickets.build, "events.json": events.build}


def write(name: str) -> Path:
    path = HERE / name
    path.write_text(json.dumps(FILES[name](), indent=2, ensure_ascii=False) + "\n")
    return path


if __name__ == "__main__":
    for name in FILES:
        print(f"wrote {write(name)}")
