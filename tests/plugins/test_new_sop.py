"""An SOP as its own package: `sopflow new-sop` writes it, pip installs it, sopflow finds it by entry points.

Runs in the SQLite pass only (its subject is packaging, not the database). The package is
installed with ``pip install --target`` into a temporary folder put on ``PYTHONPATH`` of the
child processes, so the test environment itself never gains the plug-in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sopflow.errors import InvalidForm
from sopflow.plugins.scaffold import new_sop

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")
SOPFLOW = str(Path(sys.executable).with_name("sopflow"))


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_a_scaffolded_sop_installs_validates_publishes_and_runs_its_case_to_the_end(tmp_path):
    made = _run([SOPFLOW, "new-sop", "cuti_pegawai", "--dir", str(tmp_path)], dict(os.environ), tmp_path)
    assert made.returncode == 0, made.stderr
    package = tmp_path / "cuti_pegawai"
    site = tmp_path / "site"
    installed = _run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(package)],
        dict(os.environ),
        tmp_path,
    )
    assert installed.returncode == 0, installed.stderr
    env = dict(os.environ, PYTHONPATH=str(site), SOPFLOW_DATA_DIR=str(tmp_path / "data"))
    env.pop("DATABASE_URL", None)
    valid = _run([SOPFLOW, "validate", "cuti_pegawai"], env, tmp_path)  # by id: found through the entry points
    assert valid.returncode == 0 and "sah — proses cuti_pegawai" in valid.stdout, valid.stdout + valid.stderr
    listed = _run([SOPFLOW, "process", "available"], env, tmp_path)
    assert "cuti_pegawai" in listed.stdout and "monev_kinerja" in listed.stdout
    published = _run([SOPFLOW, "process", "publish", "cuti_pegawai"], env, tmp_path)
    assert published.returncode == 0 and "cuti_pegawai versi 1" in published.stdout, published.stderr
    case = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], env, package)
    assert case.returncode == 0 and "1 passed" in case.stdout, case.stdout + case.stderr


def test_a_bad_name_or_an_existing_folder_is_refused_without_writing(tmp_path):
    with pytest.raises(InvalidForm, match="huruf kecil"):
        new_sop("Cuti Pegawai", tmp_path)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "cuti").mkdir()
    with pytest.raises(InvalidForm, match="sudah ada"):
        new_sop("cuti", tmp_path)
