"""The systemd units of ``deploy/systemd/`` and ``deploy/comptoir.env.example`` name only what exists: the flask
commands they run answer ``--help``, ``deploy/serve`` is there, every timer has its service, every variable is one
the app (or ``deploy/serve``) reads, and ``systemd-analyze verify`` finds nothing to say (with ``/srv/comptoir``
standing for this checkout). With ``CI=true`` a missing ``systemd-analyze`` fails, never skips."""

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from server import create_app
from server.config import DEFAULTS
from tests.conftest import missing

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "deploy" / "systemd"
ENV_EXAMPLE = ROOT / "deploy" / "comptoir.env.example"
PROJECT = "/srv/comptoir"  # where the units expect the checkout
SERVICES = sorted(UNITS.glob("*.service"))
TIMERS = sorted(UNITS.glob("*.timer"))
# Read by server/__init__.py besides server/config.py's DEFAULTS, or by deploy/serve, or by Flask-Limiter.
OTHER_VARIABLES = {"DATABASE_URL", "SECRET_KEY", "INSTANCE_PATH", "LISTEN", "TRUSTED_PROXY", "RATELIMIT_KEY_PREFIX"}


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def test_the_units_are_there():
    assert {path.name for path in SERVICES} >= {
        "comptoir@.service",
        "comptoir-push.service",
        "comptoir-credits.service",
    }
    assert {path.name for path in TIMERS} >= {"comptoir-push.timer", "comptoir-credits.timer"}


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: path.name)
def test_each_service_runs_something_that_exists(path, tmp_path):
    service = unit(path)["Service"]
    assert service["WorkingDirectory"] == PROJECT
    assert service["EnvironmentFile"] == "/etc/comptoir/comptoir.env"
    command = shlex.split(service["ExecStart"])
    assert command[0].startswith(f"{PROJECT}/")
    program = ROOT / command[0].removeprefix(f"{PROJECT}/")
    if program.name == "serve":
        assert program == ROOT / "deploy" / "serve" and program.stat().st_mode & 0o111
        return
    assert command[:3] == [f"{PROJECT}/.venv/bin/flask", "--app", "wsgi"], command
    # The command line as the flask CLI parses it, in this process (a new one costs seconds of imports per unit).
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "units-test"})
    done = app.test_cli_runner().invoke(args=[*command[3:], "--help"])
    assert done.exit_code == 0, done.output
    assert f" {' '.join(command[3:])} [OPTIONS]" in done.output, done.output


@pytest.mark.parametrize("path", TIMERS, ids=lambda path: path.name)
def test_each_timer_starts_its_service(path):
    timer = unit(path)
    assert (UNITS / timer["Timer"].get("Unit", path.with_suffix(".service").name)).exists()
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_systemd_finds_nothing_to_say(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        missing("systemd-analyze (apt-get install systemd)")
    names = []
    for path in [*SERVICES, *TIMERS]:
        name = path.name.replace("@.service", "@8000.service")  # a template is checked as one of its instances
        (tmp_path / name).write_text(path.read_text().replace(PROJECT, str(ROOT)))
        names.append(name)
    done = subprocess.run(
        [analyze, "verify", "--man=no", *names], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_environment_example_names_only_what_the_app_reads():
    lines = [line.removeprefix("#") for line in ENV_EXAMPLE.read_text().splitlines()]
    variables = dict(re.findall(r"^COMPTOIR_([A-Z_]+)=(\S+)$", "\n".join(lines), re.M))
    assert {"BASE_URL", "SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URI"} <= set(variables)
    unknown = set(variables) - set(DEFAULTS) - OTHER_VARIABLES
    assert not unknown, f"{ENV_EXAMPLE.name} names variables nothing reads: {sorted(unknown)}"
    serve = (ROOT / "deploy" / "serve").read_text()
    assert all(f"COMPTOIR_{name}" in serve for name in ("LISTEN", "TRUSTED_PROXY"))
    assert "RATELIMIT_KEY_PREFIX" in (ROOT / "server" / "ratelimits.py").read_text()
