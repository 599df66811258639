"""The wheel is a real deployment: built, installed into a fresh virtualenv, run from elsewhere.

The module builds the sdist and, from it, the wheel (``python -m build``), installs the
wheel into a new virtualenv outside the repository (``uv pip install``), and runs the
installed ``sopflow`` from a temporary working directory with a fresh ``SOPFLOW_DATA_DIR``
and no ``DATABASE_URL``: validate the packaged process, play the whole demo, serve the
login page.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uv

ROOT = Path(__file__).resolve().parents[2]
# Checkout folder → where the wheel puts it. Every file there must travel in the wheel.
RUNTIME_FOLDERS = {
    "processes": "sopflow_sops/processes",
    "templates": "sopflow_sops/templates",
    "samples": "sopflow_sops/samples",
    "sopflow": "sopflow",  # code, every subpackage, migrations
    "handlers": "handlers",
    "webapp": "webapp",  # code, static files, page templates
}
# Settings the test must not inherit from the machine running it.
CLEARED = ("DATABASE_URL", "PYTHONPATH", "SECRET_KEY", "BROKER_URL", "SMTP_HOST", "VIRTUAL_ENV")


@dataclass
class Installed:
    """A wheel installed into its own virtualenv, and how to run it from outside the repository."""

    wheel: Path
    venv: Path
    work: Path
    build_seconds: float
    install_seconds: float

    def env(self, data_dir: Path, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith("SOPFLOW_")}
        env.update(PATH=f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", SOPFLOW_DATA_DIR=str(data_dir))
        env.update(extra)
        return env

    def run(self, *args: str, data_dir: Path, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.venv / "bin" / "sopflow"), *args],
            cwd=self.work,
            env=self.env(data_dir, **extra),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def python(self, code: str, data_dir: Path) -> str:
        done = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", code],
            cwd=self.work,
            env=self.env(data_dir),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout.strip()

    def processes_dir(self, data_dir: Path) -> Path:
        """The packaged processes folder, as the installed sopflow.resources finds it."""
        code = "from sopflow.resources import builtin_processes_dir; print(builtin_processes_dir())"
        return Path(self.python(code, data_dir))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("wheel")
    assert not base.resolve().is_relative_to(ROOT)
    dist, venv, work = base / "dist", base / "venv", base / "work"
    work.mkdir()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    built = time.perf_counter()
    (wheel,) = dist.glob("sopflow-*.whl")
    # A plain stdlib virtualenv; uv (a test dependency) installs the wheel and its dependencies into
    # it: the same files as pip, in seconds, where pip took ~25 s of CPU (mostly compiling every
    # dependency's .pyc up front). Versions as pinned for development (constraints.txt).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python, constraints = str(venv / "bin" / "python"), str(ROOT / "constraints.txt")
    subprocess.run(
        [uv.find_uv_bin(), "pip", "install", "--quiet", "--python", python, "--constraint", constraints, str(wheel)],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
        env={k: v for k, v in os.environ.items() if k not in CLEARED},
    )
    done = time.perf_counter()
    print(f"\nwheel: build {built - started:.1f} s, venv + install {done - built:.1f} s ({wheel.name})")
    yield Installed(wheel, venv, work, built - started, done - built)


def test_wheel_carries_every_runtime_file(installed):
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *RUNTIME_FOLDERS],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    expected = set()
    for name in listed:
        if not (ROOT / name).is_file():
            continue  # deleted in the working tree
        folder = next(f for f in RUNTIME_FOLDERS if name.startswith(f + "/"))
        expected.add(RUNTIME_FOLDERS[folder] + name.removeprefix(folder))
    assert "sopflow_sops/processes/kalender.json" in expected
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    assert sorted(expected - names) == []


def test_installed_package_is_used_and_validates_its_process(installed, tmp_path):
    where = installed.python("import sopflow, webapp; print(sopflow.__file__); print(webapp.__file__)", tmp_path)
    for line in where.splitlines():
        assert Path(line).is_relative_to(installed.venv)
    processes = installed.processes_dir(tmp_path)
    assert processes.is_relative_to(installed.venv)
    assert (processes / "kalender.json").is_file()
    done = installed.run("validate", str(processes / "monev_kinerja.bpmn"), data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sah — proses monev_kinerja" in done.stdout


def test_installed_demo_runs_to_the_end(installed, tmp_path):
    out = tmp_path / "hasil"
    done = installed.run("demo", "--out", str(out), data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Status kasus: selesai" in done.stdout
    assert [p.name for p in (out / "laporan_final").glob("*.docx")] == ["laporan_monev_kinerja_2026-TW3.docx"]
    archived = {
        line.split()[1]: line.split("SHA-256 ")[1].split()[0]
        for line in done.stdout.splitlines()
        if line.startswith("Arsip:")
    }
    assert "laporan_monev_kinerja_2026-TW3.docx" in archived
    for filename, sha in archived.items():
        assert hashlib.sha256((out / "arsip" / filename).read_bytes()).hexdigest() == sha
    assert (tmp_path / "data" / "sopflow.sqlite3").is_file()
    assert not (installed.work / "var").exists()  # the data went to SOPFLOW_DATA_DIR


def test_installed_serve_answers_the_login_page(installed, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(installed.venv / "bin" / "sopflow"), "serve", "--port", str(port)],
        cwd=installed.work,
        env=installed.env(tmp_path / "data"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status, deadline = None, time.monotonic() + 90
        while status is None and time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"sopflow serve berhenti (kode {server.returncode}): {server.stdout.read()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/masuk", timeout=5) as response:
                    status, page = response.status, response.read().decode("utf-8")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        assert status == 200
        assert 'name="password"' in page
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
        server.stdout.close()


def test_installed_missing_calendar_stops_start_up_naming_it(installed, tmp_path):
    packaged = installed.processes_dir(tmp_path)
    processes = tmp_path / "proses-kantor"
    shutil.copytree(packaged, processes)
    (processes / "kalender.json").unlink()
    missing = str(processes / "kalender.json")
    demo = installed.run(
        "demo", "--out", str(tmp_path / "hasil"), data_dir=tmp_path / "data", SOPFLOW_PROCESSES_DIR=str(processes)
    )
    assert demo.returncode == 1 and missing in demo.stderr
    assert not (tmp_path / "hasil").exists()
    serve = installed.run("serve", "--port", "1", data_dir=tmp_path / "data", SOPFLOW_PROCESSES_DIR=str(processes))
    assert serve.returncode == 1 and missing in serve.stderr


def test_installed_production_mode_migrates_only_when_told(installed, tmp_path):
    data = tmp_path / "data"
    production = {"SOPFLOW_MODE": "production", "SECRET_KEY": "k" * 40}
    serve = installed.run("serve", "--port", "1", data_dir=data, **production)
    assert serve.returncode == 1 and "sopflow db upgrade" in serve.stderr
    assert installed.run("db", "current", data_dir=data, **production).returncode == 1
    upgrade = installed.run("db", "upgrade", data_dir=data, **production)
    assert upgrade.returncode == 0, upgrade.stderr
    current = installed.run("db", "current", data_dir=data, **production)
    assert current.returncode == 0 and "Skema mutakhir" in current.stdout
