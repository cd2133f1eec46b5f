"""Many coordinators at once on one real ``deploy/serve`` (waitress, 8 threads) over PostgreSQL: 16 clients open the
list pages, a distribution's orders, log and sign-off (the large read models) in parallel for a while, and the
process must still be alive and have answered every request. Written after app servers died of a segmentation
fault in the regional bench (``docs/performance.md``, "A regional scheme"); a stress test, not a proof: it never
crashed at this size (nor at 200,000 households), with or without the process-wide ``gc`` switches."""

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from tests.conftest import POSTGRES_URL, missing

ROOT = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("COMPTOIR_STRESS_SECONDS", "20"))


def test_sixteen_clients_at_once_leave_the_server_alive():
    if not POSTGRES_URL:
        missing("PostgreSQL (COMPTOIR_TEST_POSTGRES_URL)")
    schema = f"t_stress_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    env = os.environ | {"COMPTOIR_TEST_POSTGRES_URL": POSTGRES_URL}
    build = [sys.executable, "bench/scale.py", "--households", "600", "--points", "3", "--phones", "4"]
    build += ["--runs", "1", "--send-due-runs", "1", "--port", "0", "--schema", schema, "--rebuild"]
    try:
        built = subprocess.run(build, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
        assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
        hammer = [sys.executable, "bench/hammer.py", "--schema", schema, "--threads", "16", "--port", "0"]
        hammer += ["--seconds", str(SECONDS)]
        result = subprocess.run(hammer, cwd=ROOT, env=env, capture_output=True, text=True, timeout=SECONDS + 300)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "server alive" in result.stdout and " 0 failed" in result.stdout, result.stdout
    finally:
        from bench.scale import drop_schema  # the bench module reads the PostgreSQL URL on import

        drop_schema(schema)
        shutil.rmtree(Path(tempfile.gettempdir()) / "comptoir-bench-scale" / schema, ignore_errors=True)
