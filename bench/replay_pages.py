"""Replay the start of ``bench/scale.py``'s page sequence on its two app servers: in half a minute instead of the whole
bench, it reproduced the segmentation fault that ``docs/performance.md`` ("The crash, found") explains, and now shows
that it stays away.

Run: .venv/bin/python bench/replay_pages.py [--pages 0,1] [--times 7] [--orders-only]   (after ``bench/scale.py``
built its schema)

``--pages`` picks, by position, the pages opened before a distribution's orders, log, sign-off, an order and the users
list; each page is asked ``--times`` times, alternating between the servers, as the bench does. Prints the first
request that got no answer (the server died: its traceback is in the bench folder's ``server-<n>.log``), or that
none did. Environment variables reach the servers (``PYTHONMALLOC``, ``WAITRESS_SERVE`` for another interpreter).
"""

import argparse
import sys
import tempfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import scale


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", default="0,1", help="positions in the bench's page list, before the orders page")
    parser.add_argument("--times", type=int, default=7)
    parser.add_argument("--schema", default="scale_200000_200")
    parser.add_argument(
        "--orders-only", action="store_true", help="only the orders page, on server 1 (it dies at the 4th)"
    )
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir()) / "comptoir-bench-scale" / args.schema
    ids = scale.subjects(args.schema, folder)
    h, p, d, o = ids["household"], ids["point"], ids["distribution"], ids["order_id"]
    before = ["/admin/", "/admin/members/", f"/admin/members/?q={ids['last_name']}", f"/admin/members/{h}/edit",
              f"/admin/members/{h}/accounts", f"/admin/points/{p}/history", "/admin/distributions/"]  # fmt: skip
    chosen = [before[int(i)] for i in args.pages.split(",") if i]
    then = [f"/admin/distributions/{d}/orders", f"/admin/distributions/{d}/log", f"/admin/orders/{o}", "/admin/users/"]
    with scale.two_servers(args.schema, folder, (scale.free_port(), scale.free_port())) as bases:
        browser = scale.sign_in(scale.server_env(args.schema, folder / "keys"), bases[0])
        if args.orders_only:  # the smallest reproduction: one server, one thread will do, that served no sign-in
            for number in range(args.times):
                try:
                    browser.get(bases[1] + then[0], allow_redirects=False, timeout=300)
                except requests.ConnectionError:
                    print(f"no answer: server 1, {then[0]}, request {number + 1} (see {folder}/server-*.log)")
                    return 1
            print("every request answered")
            return 0
        for path in chosen + then:
            for number in range(args.times):
                try:
                    browser.get(bases[number % 2] + path, allow_redirects=False, timeout=300)
                except requests.ConnectionError:
                    print(f"no answer: server {number % 2}, {path}, request {number + 1} (see {folder}/server-*.log)")
                    return 1
    print("every request answered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
