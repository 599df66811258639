"""Imports go one way: webapp → sopflow → handlers (through sopflow.plugins). The engine never imports Flask;
handlers stay pure; the web app stays on the engine's public surface; every subpackage says what it offers."""

from __future__ import annotations

import ast
import subprocess
import sys
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
        ("handlers", {"flask", "webapp", "sqlalchemy", "alembic", "werkzeug", "SpiffWorkflow"}),
    ],
)
def test_layers_do_not_import_upwards(package, forbidden):
    offenders = {module: sorted(names & forbidden) for module, names in imported_modules(package).items()}
    assert {m: n for m, n in offenders.items() if n} == {}


def full_imports(package: str) -> dict[str, set[str]]:
    """Every absolute module name each file of ``package`` imports (``from a.b import c`` gives ``a.b``)."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def test_handlers_reach_sopflow_only_through_the_plugin_contract():
    offenders = {
        module: sorted(n for n in names if n.split(".")[0] == "sopflow" and not n.startswith("sopflow.plugins"))
        for module, names in full_imports("handlers").items()
    }
    assert {m: n for m, n in offenders.items() if n} == {}


def test_webapp_uses_no_orm_rows_or_row_helpers():
    """The web app reads through sopflow.queries and commands; tables, the store and SQL stay below."""
    below = ("sopflow.persistence.models", "sopflow.persistence.store", "sqlalchemy")
    offenders = {
        module: sorted(n for n in names if n.startswith(below)) for module, names in full_imports("webapp").items()
    }
    assert {m: n for m, n in offenders.items() if n} == {}


def test_every_subpackage_says_what_it_offers():
    bare = [
        str(init.relative_to(ROOT))
        for init in (ROOT / "sopflow").rglob("__init__.py")
        if "migrations" not in init.parts and ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) is None
    ]
    assert bare == []


def test_the_plugin_contract_loads_neither_the_database_layer_nor_the_workflow_engine():
    code = (
        "import sys, sopflow.plugins\n"
        "print(sorted(m for m in ('sqlalchemy', 'SpiffWorkflow', 'flask', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


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


def test_the_command_line_starts_without_document_or_plotting_libraries():
    """Only the commands that write documents import python-docx, docxtpl, openpyxl or matplotlib."""
    code = (
        "import sys, sopflow.cli\n"
        "print(sorted(m for m in ('matplotlib', 'docx', 'docxtpl', 'openpyxl', 'flask') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_console_command_imports_flask_only_to_serve():
    """``sopflow`` is webapp.cli:main; ``sopflow tick`` from cron must not import Flask and every view."""
    code = "import sys, webapp.cli\nprint(sorted(m for m in ('flask', 'webapp.app', 'webapp.api') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    code = "from webapp import create_app\nprint(create_app.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "webapp.app"
