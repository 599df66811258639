"""Imports go one way: webapp → sopflow → handlers. The engine never imports Flask; handlers stay pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("sopflow", {"flask", "webapp", "werkzeug"}),
        ("handlers", {"flask", "webapp", "sopflow", "sqlalchemy", "alembic", "werkzeug", "SpiffWorkflow"}),
    ],
)
def test_layers_do_not_import_upwards(package, forbidden):
    offenders = {module: sorted(names & forbidden) for module, names in imported_modules(package).items()}
    assert {m: n for m, n in offenders.items() if n} == {}


def test_no_module_grows_past_400_lines():
    """Code modules stay small; migrations are exempt."""
    big = {}
    for package in ("sopflow", "handlers", "webapp"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                lines = len(path.read_text(encoding="utf-8").splitlines())
                if lines > 400:
                    big[str(path.relative_to(ROOT))] = lines
    assert big == {}
