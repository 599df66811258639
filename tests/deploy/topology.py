"""The production topology as real processes, and a case played through its HTTP API.

:func:`topology` prepares a PostgreSQL database the documented way (``sopflow db upgrade``,
then the process, the demo script's users and their API tokens) and starts:

- gunicorn with N workers (``python -m gunicorn -w N -b 127.0.0.1:PORT webapp.wsgi:app``),
- Celery workers (``sopflow worker --name w1@test`` ...), each with one pool child,
- the scheduler (``sopflow scheduler``, Celery beat, a short tick from ``SOPFLOW_TICK_SECONDS``),

all sharing one data folder (the file storage), each logging to its own file. Everything is
stopped by process id at the end. :class:`Player` drives ``samples/monev_kinerja/demo.json``
through ``/api/v1`` (start, claim, complete with the xlsx uploads, the revisi loop) and waits
for queued steps by polling ``GET /api/v1/cases/{id}``. :func:`end_state` is what must match
an undisturbed run (:func:`baseline_state`: the same script in-process on SQLite, the session's
played demo).
"""

from __future__ import annotations

import functools
import io
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import load_workbook
from sqlalchemy import text

import handlers  # noqa: F401 - registers the real handlers for this process's engine (signing)
from handlers import isian_layout as layout
from sopflow import Database, Engine, Settings
from sopflow.access.tokens import issue_token
from sopflow.demo import ensure_users, load_script, script_process_file, sign_open_tasks
from sopflow.resources import builtin_samples_dir
from sopflow.settings import PROJECT_ROOT
from tests.deploy.servers import Api, Response, children, free_port, stop_processes

if TYPE_CHECKING:
    from tests.conftest import PlayedDemo

SCRIPT_PATH = builtin_samples_dir() / "monev_kinerja" / "demo.json"
STEP_TIMEOUT = 240.0  # a step lost by a fault comes back through the sweeper (JOB_RESEND_SECONDS + a tick)


def sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + url.removeprefix("postgresql://") if url.startswith("postgresql://") else url


@dataclass
class Topology:
    """The running processes of one deployment and how to reach them."""

    folder: Path
    env: dict[str, str]
    base: str
    api: Api
    db: Database
    script: dict[str, Any]
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    _engine: Engine | None = None

    def pool_children(self, worker: str) -> list[int]:
        """The prefork pool children of a Celery worker (``w1`` or ``w2``)."""
        return children(self.procs[worker].pid)

    def web_workers(self) -> list[int]:
        return children(self.procs["web"].pid)

    def sopflow(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run a ``sopflow`` command with the deployment's environment."""
        return subprocess.run(
            [sys.executable, "-m", "webapp.cli", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def log(self, name: str) -> str:
        path = self.folder / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def assert_running(self) -> None:
        """Every process started here is still the same process (none restarted by hand)."""
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited ({proc.returncode}):\n{self.log(name)[-3000:]}"

    def engine(self) -> Engine:
        """An engine of this test process on the deployment's database, files and broker (for signing)."""
        if self._engine is None:
            settings = Settings(
                database_url=sqlalchemy_url(self.env["DATABASE_URL"]),
                data_dir=Path(self.env["SOPFLOW_DATA_DIR"]),
                broker_url=self.env["BROKER_URL"],
            )
            self._engine = Engine(self.db, settings)
        return self._engine

    def audit_verify(self) -> None:
        done = self.sopflow("audit", "verify")
        assert done.returncode == 0, done.stdout + done.stderr


def _spawn(folder: Path, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    with (folder / "logs" / f"{name}.log").open("ab") as log:
        return subprocess.Popen(args, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait(what: str, ready: Callable[[], bool], topo: Topology, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        topo.assert_running()
        assert time.monotonic() < deadline, f"{what} not ready in time"
        time.sleep(0.1)


def _readyz(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=3) as reply:
            return reply.status == 200
    except OSError:
        return False


def prepare_database(database_url: str, folder: Path, env: dict[str, str], script: dict[str, Any]) -> dict[str, str]:
    """``sopflow db upgrade`` (as a deployment does), publish the process, add users; return their tokens."""
    done = subprocess.run(
        [sys.executable, "-m", "webapp.cli", "db", "upgrade"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    db = Database(sqlalchemy_url(database_url))
    try:
        engine = Engine(db, Settings(database_url=db.url, data_dir=folder / "data"))
        engine.publish_process(script_process_file(script, engine.settings.processes_dir), "sistem", "versi uji")
        ensure_users(engine, script)
        with db.unit_of_work() as session:
            return {spec["username"]: issue_token(session, spec["username"]) for spec in script["users"]}
    finally:
        db.dispose()


@contextmanager
def topology(
    database_url: str,
    broker_url: str,
    folder: Path,
    web_workers: int = 2,
    celery_workers: tuple[str, ...] = ("w1", "w2"),
    scheduler: bool = True,
    tick_seconds: float = 2.0,
) -> Iterator[Topology]:
    """Prepare the database and run gunicorn, the Celery workers and the scheduler on it."""
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("SOPFLOW_CONFIG", "SOPFLOW_MODE")}
    env.update(
        DATABASE_URL=database_url,
        BROKER_URL=broker_url,
        SECRET_KEY=secrets.token_hex(32),
        SOPFLOW_DATA_DIR=str(folder / "data"),
        SOPFLOW_TICK_SECONDS=str(tick_seconds),
        JOB_RESEND_SECONDS="5",  # a lost job is sent again after 5 s, not a minute: the fault tests wait for it
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    script = load_script(SCRIPT_PATH)
    tokens = prepare_database(database_url, folder, env, script)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = Database(sqlalchemy_url(database_url))
    topo = Topology(folder, env, base, Api(base, tokens), db, script)
    py = sys.executable
    try:
        topo.procs["web"] = _spawn(
            folder,
            "web",
            [py, "-m", "gunicorn", "-w", str(web_workers), "-b", f"127.0.0.1:{port}", "webapp.wsgi:app"],
            env,
        )
        for name in celery_workers:
            topo.procs[name] = _spawn(folder, name, [py, "-m", "webapp.cli", "worker", "--name", f"{name}@test"], env)
        if scheduler:
            topo.procs["scheduler"] = _spawn(folder, "scheduler", [py, "-m", "webapp.cli", "scheduler"], env)
        _wait("gunicorn", lambda: len(topo.web_workers()) == web_workers and _readyz(base), topo)
        for name in celery_workers:
            _wait(f"worker {name}", lambda name=name: len(topo.pool_children(name)) >= 1, topo)
        yield topo
    finally:
        stop_processes(list(topo.procs.values()))
        db.dispose()


# -- playing the demo script through the API ----------------------------------------------------
def start_data(script: dict[str, Any]) -> dict[str, Any]:
    start = script["start"]
    data = json.loads((script["_base"] / start["data_file"]).read_text(encoding="utf-8"))
    return {key: data[key] for key in start.get("data_keys", data.keys())}


def matches(task: dict[str, Any], step: dict[str, Any]) -> bool:
    return task["element_id"] == step["element"] and step.get("unit") in (None, task["unit"], task["label"])


class Player:
    """Plays the demo script's steps on one case through the HTTP API, as the script's actors."""

    def __init__(self, topo: Topology, periode: str) -> None:
        self.topo = topo
        self.api = topo.api
        self.script = topo.script
        self.periode = periode
        self.case_id = ""
        self.position = 0  # index of the next script step

    def start(self) -> str:
        actor = self.script["start"]["actor"]
        body = {"process_id": self.script["process_id"], "periode": self.periode, "data": start_data(self.script)}
        reply = self.api.call("POST", "/cases", actor, body)
        assert reply.status == 201, reply.body
        self.case_id = reply.body["case_id"]
        return self.case_id

    def case(self) -> dict[str, Any]:
        reply = self.api.call("GET", f"/cases/{self.case_id}", "admin")
        assert reply.status == 200, reply.body
        return reply.body

    def ready_task(self, step: dict[str, Any]) -> dict[str, Any]:
        for task in self.case()["tasks"]:
            if task["state"] == "ready" and matches(task, step):
                return task
        raise AssertionError(f"no ready task for {step['element']} {step.get('unit', '')}")

    def uploads(self, step: dict[str, Any]) -> dict[str, tuple[str, bytes]]:
        base: Path = self.script["_base"]
        return {
            name: (Path(file).name, sample_for_periode(base / file, self.periode))
            for name, file in step.get("uploads", {}).items()
        }

    def complete(self, step: dict[str, Any], timeout: float = 60.0) -> Response:
        """Claim and complete the step's task (one attempt each); return the completion's response."""
        task = self.ready_task(step)
        actor = step["actor"]
        claimed = self.api.call("POST", f"/tasks/{task['task_id']}/claim", actor, timeout=timeout)
        assert claimed.status == 200, claimed.body
        files = self.uploads(step)
        return self.api.call(
            "POST",
            f"/tasks/{task['task_id']}/complete",
            actor,
            step.get("data", {}),
            files if files else None,
            timeout=timeout,
        )

    def settle(self, timeout: float = STEP_TIMEOUT) -> dict[str, Any]:
        """Wait (polling ``GET /cases/{id}``) until the next script step is ready, or the case is done.

        After the script's last step the Kepala Dinas signs, as ``sopflow demo`` does (the
        signing page is not part of the REST API): once a worker has made the PDF to sign.
        """
        steps = self.script["steps"]
        deadline = time.monotonic() + timeout
        while True:
            case = self.case()
            assert case["status"] != "gagal", case["failure"]
            if self.position >= len(steps):
                if case["status"] == "selesai":
                    return case
                self._sign_when_the_pdf_is_ready(case)
            elif any(t["state"] == "ready" and matches(t, steps[self.position]) for t in case["tasks"]):
                return case
            assert time.monotonic() < deadline, f"case {self.case_id} stuck before step {self.position}: {case}"
            time.sleep(0.2)

    def _sign_when_the_pdf_is_ready(self, case: dict[str, Any]) -> None:
        engine = self.topo.engine()
        scripted = {step["element"] for step in self.script["steps"]}
        for task in case["tasks"]:
            if task["state"] != "ready" or task["element_id"] in scripted:
                continue
            actor = next(u["username"] for u in self.script["users"] if task["lane"] in u.get("lanes", []))
            view = engine.signing_view(task["task_id"], actor)
            if view is not None and view.get("pdf", {}).get("state") in ("ada", "tidak_tersedia"):
                outcome = engine.case_outcome(self.case_id)
                sign_open_tasks(engine, self.script, outcome, self.topo.folder, lambda _: None)

    def play(self, until: int | None = None) -> None:
        """Play the script's steps from the current one up to (not including) index ``until``."""
        steps = self.script["steps"]
        stop = len(steps) if until is None else until
        while self.position < stop:
            reply = self.complete(steps[self.position])
            assert reply.status == 200, reply.body
            self.position += 1
            self.settle()

    def step_index(self, element: str, occurrence: int = 1) -> int:
        """Index of the ``occurrence``-th script step of ``element``."""
        found = [i for i, s in enumerate(self.script["steps"]) if s["element"] == element]
        return found[occurrence - 1]


@functools.cache
def sample_for_periode(path: Path, periode: str) -> bytes:
    """The sample filled form, as the Kepala Bidang of ``periode`` would upload it.

    A filled form names its periode in the hidden identity sheet and is refused for another
    one; cases of other periodes (a periode has one case) get the same figures relabelled.
    """
    content = path.read_bytes()
    workbook = load_workbook(io.BytesIO(content))
    identity = workbook[layout.SHEET_IDENTITAS]
    if identity[layout.IDENTITAS_PERIODE_CELL].value == periode:
        return content
    identity[layout.IDENTITAS_PERIODE_CELL] = periode
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- end state ----------------------------------------------------------------------------------------
def end_state(db: Database, case_id: str, periode: str) -> dict[str, Any]:
    """Status, documents (kind, filename with the periode masked) and service steps run, in order."""
    with db.engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM cases WHERE id = :c"), {"c": case_id}).scalar_one()
        documents = conn.execute(
            text("SELECT kind, filename FROM documents WHERE case_id = :c ORDER BY kind, filename"), {"c": case_id}
        ).all()
        services = conn.execute(
            text("SELECT element_id FROM audit_events WHERE case_id = :c AND kind = 'service_run' ORDER BY seq"),
            {"c": case_id},
        ).scalars()
        return {
            "status": status,
            "documents": [(kind, name.replace(periode, "<periode>")) for kind, name in documents],
            "service_run": list(services),
        }


def baseline_state(played: PlayedDemo) -> dict[str, Any]:
    """The end state of the demo script played in-process on SQLite, undisturbed.

    That play is the session's (``_played_demo`` of tests/conftest.py: ``sopflow.demo.run_demo``
    on SQLite in the pass without ``DATABASE_URL``, the only one these tests run in); read from
    the rows it left, as :func:`end_state` reads a database.
    """
    case_id, rows = played.result.case_id, played.rows
    periode = next(c["periode"] for c in rows["cases"] if c["id"] == case_id)
    status = next(c["status"] for c in rows["cases"] if c["id"] == case_id)
    documents = sorted((d["kind"], d["filename"]) for d in rows["documents"] if d["case_id"] == case_id)
    services = sorted(
        (e["seq"], e["element_id"])
        for e in rows["audit_events"]
        if e["case_id"] == case_id and e["kind"] == "service_run"
    )
    return {
        "status": status,
        "documents": [(kind, name.replace(periode, "<periode>")) for kind, name in documents],
        "service_run": [element for _seq, element in services],
    }
