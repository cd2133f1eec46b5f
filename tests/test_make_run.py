"""``make run PORT=…``, the real command: the links it prints, and the origin passkeys are checked against, follow the
port it serves on (a phone that opens them signs in; with the default origin its passkey was refused). On a database
that already holds a household, so that ``prepare`` loads no demo."""

import os
import subprocess
import time
import urllib.request
from pathlib import Path

from server import create_app
from server.extensions import db
from server.models import Point
from tests.factories.primitives import LUZARD, full_tier, households
from tests.proxy_harness import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_prints_and_serves_the_port_it_is_given(tmp_path):
    database = f"sqlite:///{tmp_path / 'run.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})
    assert app.test_cli_runner().invoke(args=["prepare", "--no-demo"]).exit_code == 0
    with app.app_context():
        db.session.add_all(households(Point(name=LUZARD, town="Noisiel"), [("Awa", "Diallo", full_tier())]))
        db.session.commit()
        db.engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "COMPTOIR_SQLALCHEMY_DATABASE_URI": database,
        "COMPTOIR_SECRET_KEY": "x",
        "COMPTOIR_INSTANCE_PATH": str(tmp_path),
    }
    env.pop("COMPTOIR_BASE_URL", None)
    server = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        lines = []
        for line in server.stdout:
            lines.append(line)
            if "Serving on" in line:
                break
        printed = "".join(lines)
        origin = f"http://localhost:{port}"
        assert f"Volunteer app (on a phone):    {origin}/app/" in printed, printed
        assert f"Serving on {origin}/" in printed
        assert "localhost:5000" not in printed
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/app/", timeout=2) as answer:
                    assert answer.status == 200
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("make run did not serve")
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)
