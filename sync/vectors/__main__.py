"""Write ``sync/vectors/tickets.json`` from fixed test keys (Ed25519 signatures are deterministic)."""

import json
from pathlib import Path

from sync.vectors.tickets import build

PATH = Path(__file__).with_name("tickets.json")

if __name__ == "__main__":
    PATH.write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {PATH}")
