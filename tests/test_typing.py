"""The code type-checks: mypy with the project's configuration ([tool.mypy] in pyproject.toml) reports no error.

sopflow/ is checked strictly, webapp/ and handlers/ with mypy's defaults plus the bodies of unannotated functions.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_reports_no_error() -> None:
    # The packages to check come from `files` in [tool.mypy]; nothing is left out here.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        pytest.fail(f"mypy reports errors:\n{result.stdout}{result.stderr}", pytrace=False)
