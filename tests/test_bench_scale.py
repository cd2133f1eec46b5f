"""``bench/scale.py`` at a tiny size on PostgreSQL, so that the regional bench keeps running as the code moves: it
builds its network, starts its two app servers, signs a coordinator in, opens every page and checks that no event
uploaded by its phones is lost or pulled twice."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.conftest import POSTGRES_URL, missing

ROOT = Path(__file__).resolve().parent.parent


def test_the_regional_bench_runs_at_a_tiny_size():
    if not POSTGRES_URL:
        missing("PostgreSQL (COMPTOIR_TEST_POSTGRES_URL)")
    schema = f"t_scale_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "bench/scale.py", "--households", "300", "--points", "3", "--phones", "10"]
    command += ["--runs", "1", "--send-due-runs", "1", "--port", "0", "--schema", schema, "--rebuild", "--drop"]
    env = os.environ | {"COMPTOIR_TEST_POSTGRES_URL": POSTGRES_URL}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = result.stdout.split("\nfigure ", 1)[1]
    for figure in ("admin: members search by surname", "admin: distribution log", "member page /m/<token>"):
        assert figure in table
    assert "a phone's pack" in table and "export: 7 days of payments" in table and "push send-due" in table
    assert "200 / 200 / 0 / 0 / 0" in table  # 10 phones × 20 events accepted, pulled once each, none failed
