"""Many requests at once to one ``deploy/serve`` process on a network that ``bench/scale.py`` built: the list pages,
the distribution log and sign-off (large read models) in parallel, as several coordinators and a bench at once do.
It reports whether the server process died (its faulthandler output is in the log).

Run: .venv/bin/python bench/hammer.py --schema scale_20000_20 [--threads 16] [--seconds 120] [--port 5810]
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import ROOT, free_port, server_env, sign_in, subjects, wait_for


def pages(ids: dict) -> list[str]:
    p, d, o, h = ids["point"], ids["distribution"], ids["order_id"], ids["household"]
    return [
        f"/admin/distributions/{d}/orders",
        f"/admin/distributions/{d}/log",
        f"/admin/distributions/{d}/sign-off",
        "/admin/audit/",
        "/admin/devices/",
        "/admin/members/",
        f"/admin/members/{h}/accounts",
        f"/admin/points/{p}/history",
        "/admin/distributions/",
        f"/admin/orders/{o}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", required=True)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--port", type=int, default=5810, help="0: any free port")
    parser.add_argument("--log", default=None)
    parser.add_argument("--root", default=str(ROOT), help="the project folder whose deploy/serve runs (another commit)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.gettempdir()) / "comptoir-bench-scale" / args.schema
    ids = subjects(args.schema, folder)
    args.port = args.port or free_port()
    env = server_env(args.schema, folder / "keys", args.port) | {"PYTHONFAULTHANDLER": "1"}
    log_path = Path(args.log or folder / f"hammer-{args.port}.log")
    log = open(log_path, "w")  # noqa: SIM115

    def core() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    server = subprocess.Popen(
        [str(Path(args.root) / "deploy/serve")],
        cwd=args.root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=core,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_for(base, server, folder)
        browser = sign_in(server_env(args.schema, folder / "keys"), base)
        cookies = browser.cookies.get_dict()
        paths = pages(ids)
        done = threading.Event()
        counts = {"ok": 0, "error": 0}
        lock = threading.Lock()

        def worker(number: int) -> None:
            session = requests.Session()
            session.cookies.update(cookies)
            index = number
            while not done.is_set():
                try:
                    answer = session.get(base + paths[index % len(paths)], timeout=300)
                    ok = answer.status_code == 200
                except requests.RequestException:
                    ok = False
                    if server.poll() is not None:
                        done.set()
                with lock:
                    counts["ok" if ok else "error"] += 1
                index += 1

        workers = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(args.threads)]
        started = time.monotonic()
        for w in workers:
            w.start()
        while time.monotonic() - started < args.seconds and server.poll() is None:
            time.sleep(0.5)
        done.set()
        for w in workers:
            w.join(timeout=300)
        died = server.poll() is not None
        print(
            f"{counts['ok']} answered, {counts['error']} failed in {time.monotonic() - started:.0f} s, "
            f"{args.threads} threads: server "
            + (f"DIED (exit {server.returncode}), see {log_path}" if died else "alive")
        )
        return 1 if died else 0
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=20)
        log.close()


if __name__ == "__main__":
    sys.exit(main())
