"""Layers point one way: the domain (and the framework-free ``sync`` package) never import the web layer, so a
rule such as "who manages this point" lives in the domain and the decorators ask it, not the reverse."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WEB = ("server.auth", "server.admin", "server.api", "server.cli", "server.members", "server.pwa")


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "server" / "domain").glob("*.py")), ids=lambda p: p.name)
def test_the_domain_never_imports_the_web_layer(path):
    wrong = sorted(m for m in imported_modules(path) if m.startswith(WEB))
    assert wrong == [], f"{path.name} imports {wrong}"


@pytest.mark.parametrize("path", sorted((ROOT / "sync").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_sync_is_framework_free(path):
    wrong = sorted(m for m in imported_modules(path) if m.split(".")[0] in {"server", "flask", "sqlalchemy"})
    assert wrong == [], f"{path.name} imports {wrong}"
