"""How much does sopflow add to SpiffWorkflow itself? Side by side with bare SpiffWorkflow, in one run.

Two comparisons, both with "stub" handlers that replay recorded results, so only engine
overhead remains:

1. **Full case.** The monev process and the demo's 16 form submissions. Recording: the
   demo is played once with the real handlers; every handler call's result (or refusal) is
   kept per operation, in order. Then, repeatedly:
   - *bare*: SpiffWorkflow's own parser, workflow and ``BpmnWorkflowSerializer``; each
     recorded submission goes into its task's data exactly as sopflow put it there (the
     ``after`` of the recorded ``task_completed`` event), the task runs, the engine steps
     run (service tasks answer with the recorded results), and the workflow is serialized
     and deserialized after every completion, as a persistent engine must;
   - *sopflow*: ``start_instance`` and the same ``complete_user_task`` commands through the
     engine on SQLite (and PostgreSQL when asked), with the handlers replaced by stubs that
     replay the recording. The claims the inbox needs are timed apart ("claims excluded").
2. **Loop.** The mini process (``tests/engine/data/mini.bpmn``) after 1, 50 and 140 rounds
   of its "ulang" loop: the median cost of one command of the next rounds, bare vs sopflow.

3. **The durable floor.** Bare SpiffWorkflow that also commits its serialized state and one
   event row after every step, through a sopflow ``Database`` (the same connection settings):
   the least any engine that must not lose a completed step pays for the disk (SQLite) or the
   round trips (PostgreSQL). Printed for the full case and the loop, with sopflow's ratio to it;
   with the median of the smallest durable transaction (one one-row UPDATE and its commit).

Ends with one line for scripts: ``floor-ratio sqlite=<x.xx> postgresql=<y.yy> loop-max=<z.zz>``
(loop-max: the largest sopflow/bare ratio over the loop sizes, SQLite). PostgreSQL is used
when ``DATABASE_URL`` is set, or with ``--postgresql`` (the machine's server, a scratch
database created and dropped by the script); otherwise ``postgresql=na``.

With ``--profile FILE`` the measured sopflow full cases (SQLite) also run under cProfile and
its statistics are written to FILE (read with ``python -m pstats FILE``); their times are then
not comparable with bare and no ratio line is printed.

Usage: ``.venv/bin/python bench/bench_floor.py [--cases 7] [--loop-samples 5] [--sizes 1,50,140] [--postgresql]
[--profile FILE]``
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import os
import statistics
import tempfile
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import ROOT, empty_tables, handlers_wrapped, prepare
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, select, text

from sopflow import ClaimTask, CompleteUserTask, Database, Engine, Settings, StartInstance
from sopflow.access.users import add_user
from sopflow.demo import ensure_users, load_script, run_demo
from sopflow.engine.commands import Upload
from sopflow.logs import configure_logging
from sopflow.persistence.models import AuditEvent
from sopflow.plugins import HandlerError, registry
from sopflow.signing import SignTask

DEMO = ROOT / "samples" / "monev_kinerja" / "demo.json"
MONEV = ROOT / "processes" / "monev_kinerja.bpmn"
MINI = ROOT / "tests" / "engine" / "data" / "mini.bpmn"
LOOP_COMMANDS = (
    ("isi_angka", "ani", {"angka": 7}),
    ("periksa_unit", "budi", {"catatan": "sudah diperiksa"}),
    ("putuskan", "budi", {"keputusan": "ulang", "catatan_keputusan": "ulang lagi"}),
)
MINI_RESULT_FILE = {"sha256": "0" * 64, "filename": "hasil.txt", "media_type": "text/plain", "size": 7}


# -- stub handlers ---------------------------------------------------------------------------------
class _RecordingFiles:
    """A handler's file access that also keeps what it stored (``put`` arguments), in order."""

    def __init__(self, files: Any, stored: list[tuple[tuple, dict, Any]]) -> None:
        self._files, self._stored = files, stored

    def put(self, *args: Any, **kwargs: Any) -> Any:
        ref = self._files.put(*args, **kwargs)
        self._stored.append((args, kwargs, ref))
        return ref

    def __getattr__(self, name: str) -> Any:
        return getattr(self._files, name)


class Recording:
    """Every handler call's outcome, per operation in call order: ``("ok", result, puts)`` or ``("error", exc, puts)``.

    ``puts`` are the files the call stored; the replaying stub stores the same bytes again (the
    engine's work of recording documents stays in the measurement, the handler's work does not).
    """

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple[str, Any, list]]] = defaultdict(list)

    @contextmanager
    def recording(self) -> Iterator[None]:
        """Wrap every registered handler so its outcomes are kept (real work still done)."""

        def wrap(name: str, func: Callable) -> Callable:
            def recorded(params: dict[str, Any], ctx: Any) -> Any:
                puts: list[tuple[tuple, dict, Any]] = []
                ctx = dataclasses.replace(ctx, files=_RecordingFiles(ctx.files, puts))
                try:
                    result = func(params, ctx)
                except HandlerError as exc:
                    self.calls[name].append(("error", exc, puts))
                    raise
                self.calls[name].append(("ok", json.loads(json.dumps(result)), puts))
                return result

            return recorded

        with handlers_wrapped(wrap):
            yield

    def queues(self) -> dict[str, deque]:
        """Return a fresh queue of outcomes per operation (one full case's worth)."""
        return {name: deque(calls) for name, calls in self.calls.items()}

    @contextmanager
    def replaying(self) -> Iterator[Callable[[], None]]:
        """Replace every handler by a stub answering from the recording; yields ``rewind`` (per case)."""
        originals = dict(registry._HANDLERS)
        state = {"queues": self.queues()}

        def stub(name: str) -> Callable:
            def replayed(params: dict[str, Any], ctx: Any) -> Any:
                kind, value, puts = state["queues"][name].popleft()
                # stored again now (generated documents carry the command's date): refs follow the new bytes
                new_refs = {old["sha256"]: ctx.files.put(*args, **kwargs) for args, kwargs, old in puts}
                if kind == "error":
                    raise value
                return _with_refs(value, new_refs)

            return replayed

        registry._HANDLERS.update({name: stub(name) for name in self.calls})
        try:
            yield lambda: state.update(queues=self.queues())
        finally:
            registry._HANDLERS.clear()
            registry._HANDLERS.update(originals)


def _with_refs(value: Any, refs: dict[str, dict[str, Any]]) -> Any:
    """Return ``value`` with every file reference whose SHA-256 is in ``refs`` replaced by the new one."""
    if isinstance(value, dict):
        if value.get("sha256") in refs:
            return {**value, **refs[value["sha256"]]}
        return {key: _with_refs(item, refs) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_refs(item, refs) for item in value]
    return value


class StubScriptEngine(PythonScriptEngine):
    """Bare SpiffWorkflow's default script engine; service tasks answer from a queue of results."""

    def __init__(self, answer: Callable[[str, dict[str, Any]], Any]) -> None:
        super().__init__()
        self.answer = answer

    def call_service(self, task: Any, **kwargs: Any) -> str:
        params = {name: p["value"] for name, p in kwargs.get("operation_params", {}).items()}
        return json.dumps(self.answer(kwargs["operation_name"], params))


# -- bare SpiffWorkflow ------------------------------------------------------------------------------
class Bare:
    """A process run by SpiffWorkflow alone, serialized and restored after every completion."""

    def __init__(self, bpmn: Path, process_id: str, answer: Callable[[str, dict[str, Any]], Any]) -> None:
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(bpmn))
        self.spec = parser.get_spec(process_id)
        self.subprocess_specs = parser.get_subprocess_specs(process_id)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.engine = StubScriptEngine(answer)
        self.state = ""

    def start(self, data: dict[str, Any]) -> None:
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.engine)
        workflow.get_tasks(state=TaskState.READY)[0].data.update(data)
        workflow.do_engine_steps()
        self._store(workflow)

    def complete(self, pick: Callable[[list[Any]], Any], after: dict[str, Any], form: bool = False) -> None:
        """Complete the picked ready task with ``after`` as its new data (``form``: a form, joined to its MI item)."""
        workflow = self._restore()
        task = pick(workflow.get_tasks(state=TaskState.READY, manual=True))
        task.data.update(_as_instance_data(task, after) if form else after)
        task.run()
        workflow.do_engine_steps()
        self._store(workflow)

    def _store(self, workflow: BpmnWorkflow) -> None:
        self.state = self.serializer.serialize_json(workflow)

    def _restore(self) -> BpmnWorkflow:
        workflow = self.serializer.deserialize_json(self.state)
        workflow.script_engine = self.engine
        return workflow


class DurableBare(Bare):
    """Bare SpiffWorkflow that also keeps each serialized state durably: the floor of a durable engine.

    After the start and every completion, one transaction on a sopflow :class:`Database` (its
    connection settings: WAL and a flush to disk at commit on SQLite) updates the state row and
    inserts one event row, then commits. Nothing else: no audit chain, projection, snapshot,
    jobs or documents. Its ratio to bare is what the disk (SQLite) or the network round trips
    (PostgreSQL) alone cost a process that must not lose a step.

    ``keep_live``: the live workflow is kept between steps instead of restored from the stored
    state, as sopflow's workflow cache does (it still serializes and commits every step): the
    floor of an engine that caches its workflows.
    """

    def __init__(
        self,
        bpmn: Path,
        process_id: str,
        answer: Callable[[str, dict[str, Any]], Any],
        url: str,
        keep_live: bool = False,
    ) -> None:
        super().__init__(bpmn, process_id, answer)
        self.db = Database(url)
        self.keep_live = keep_live
        self.live: BpmnWorkflow | None = None
        self.commits = 0
        self.seq = 0
        suffix = "_live" if keep_live else ""
        self.state_table, self.event_table = f"floor_state{suffix}", f"floor_event{suffix}"
        with self.db.engine.begin() as conn:
            self._drop(conn)
            conn.execute(text(f"CREATE TABLE {self.state_table} (id INTEGER PRIMARY KEY, state TEXT NOT NULL)"))
            conn.execute(
                text(f"CREATE TABLE {self.event_table} (case_id INTEGER NOT NULL, seq INTEGER NOT NULL, data TEXT)")
            )
            conn.execute(text(f"INSERT INTO {self.state_table} (id, state) VALUES (1, '')"))

    def _drop(self, conn: Any) -> None:
        conn.execute(text(f"DROP TABLE IF EXISTS {self.event_table}"))
        conn.execute(text(f"DROP TABLE IF EXISTS {self.state_table}"))

    def _store(self, workflow: BpmnWorkflow) -> None:
        super()._store(workflow)
        self.live = workflow
        self.seq += 1
        with self.db.engine.execution_options(sopflow_write=True).begin() as conn:
            conn.execute(text(f"UPDATE {self.state_table} SET state = :state WHERE id = 1"), {"state": self.state})
            conn.execute(
                text(f"INSERT INTO {self.event_table} (case_id, seq, data) VALUES (1, :seq, :data)"),
                {"seq": self.seq, "data": '{"kind": "step"}'},
            )
        self.commits += 1

    def _restore(self) -> BpmnWorkflow:
        if self.keep_live and self.live is not None:
            return self.live
        return super()._restore()

    def minimal_transaction_ms(self, n: int = 60) -> float:
        """Median milliseconds of the smallest durable write: one one-row UPDATE and its commit."""
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            with self.db.engine.execution_options(sopflow_write=True).begin() as conn:
                conn.execute(text(f"UPDATE {self.state_table} SET id = 1 WHERE id = :one"), {"one": 1})
            samples.append(time.perf_counter() - started)
        return statistics.median(samples) * 1000

    def close(self) -> None:
        """Drop the two scratch tables and close the pool."""
        with self.db.engine.begin() as conn:
            self._drop(conn)
        self.db.dispose()


def _as_instance_data(task: Any, form: dict[str, Any]) -> dict[str, Any]:
    """What a form becomes in task data: in a multi-instance, the item joined with the form (as sopflow does)."""
    parent = task.parent.task_spec if task.parent else None
    if isinstance(parent, LoopTask) and parent.task_spec == task.task_spec.name and parent.output_item is not None:
        out_name = parent.output_item.bpmn_id
        in_name = parent.input_item.bpmn_id if parent.input_item else out_name
        current = task.data.get(out_name, task.data.get(in_name))
        item = dict(current) if isinstance(current, dict) else {"item": current}
        return {out_name: {**item, **form}}
    return form


# -- full case -------------------------------------------------------------------------------------
def record_demo(data_dir: Path) -> tuple[Recording, dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Play the demo once with the real handlers.

    Returns the recording, the script, the start data as the engine put it into the
    workflow, and each completion as ``{element, before, after}`` from the audit events.
    """
    url = f"sqlite:///{data_dir / 'record.sqlite3'}"
    db = Database(url)
    db.upgrade()
    engine = Engine(db, Settings(database_url=url, data_dir=data_dir / "record"))
    script = load_script(DEMO)
    recording = Recording()
    with recording.recording():
        result = run_demo(engine, script, data_dir / "record-out", say=lambda _line: None)
    with db.reading() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.case_id == result.case_id, AuditEvent.kind.in_(("case_started", "task_completed")))
            .order_by(AuditEvent.seq)
        ).all()
        start_data = events[0].data["data"]
        completions = [
            {"element": e.element_id, "before": e.data["before"], "after": e.data["after"]} for e in events[1:]
        ]
    db.dispose()
    return recording, script, start_data, completions


def _mi_pick(element: str, before: dict[str, Any]) -> Callable[[list[Any]], Any]:
    """Pick the ready task of ``element`` whose data holds the recorded ``before`` values (its MI item)."""

    def pick(ready: list[Any]) -> Any:
        for task in ready:
            # an MI instance's item sits under its input name until the form writes the output name
            values = list(task.data.values())
            if task.task_spec.bpmn_id == element and all(
                task.data.get(k) == v or v in values for k, v in before.items()
            ):
                return task
        raise RuntimeError(f"bare run: no ready task {element} matching the recording")

    return pick


def bare_case(bare: Bare, recording: Recording, start_data: dict[str, Any], completions: list[dict[str, Any]]) -> float:
    """Run one full case with bare SpiffWorkflow; return its seconds."""
    queues = recording.queues()
    bare.engine.answer = lambda operation, params: queues[operation].popleft()[1]  # bare stores no files
    started = time.perf_counter()
    bare.start(start_data)
    for item in completions:
        bare.complete(_mi_pick(item["element"], item["before"]), item["after"])
    return time.perf_counter() - started


def sopflow_case(engine: Engine, script: dict[str, Any], periode: str) -> tuple[float, float, int]:
    """Run one full case through the engine (stub handlers); return (seconds without claims, claim seconds, claims)."""
    base = script["_base"]
    data = json.loads((base / script["start"]["data_file"]).read_text(encoding="utf-8"))
    data = {key: data[key] for key in script["start"].get("data_keys", data.keys())}
    spent = claims = 0.0
    count = 0
    started = time.perf_counter()
    outcome = engine.start_instance(StartInstance(script["process_id"], script["start"]["actor"], periode, data))
    spent += time.perf_counter() - started
    for step in script["steps"]:
        task = next(
            t
            for t in outcome.open_tasks
            if t["element_id"] == step["element"] and step.get("unit") in (None, t["unit"], t["label"])
        )
        started = time.perf_counter()
        engine.claim_task(ClaimTask(task["task_id"], step["actor"]))
        claims += time.perf_counter() - started
        count += 1
        uploads = {
            name: Upload(Path(file).name, (base / file).read_bytes()) for name, file in step.get("uploads", {}).items()
        }
        started = time.perf_counter()
        try:
            outcome = engine.complete_user_task(
                CompleteUserTask(task["task_id"], step["actor"], step.get("data", {}), uploads)
            )
        except Exception:
            if not step.get("expect_rejected"):
                raise
        spent += time.perf_counter() - started
    for task in outcome.open_tasks:  # the Kepala Dinas's signature (step 12); the stubs made no PDF to sign
        actor = next(u["username"] for u in script["users"] if task["lane"] in u.get("lanes", []))
        started = time.perf_counter()
        engine.claim_task(ClaimTask(task["task_id"], actor))
        claims += time.perf_counter() - started
        count += 1
        started = time.perf_counter()
        outcome = engine.sign_task(SignTask(task["task_id"], actor, without_signature=True))
        spent += time.perf_counter() - started
    if outcome.status != "selesai":
        raise RuntimeError(f"sopflow run ended as {outcome.status}: {outcome.failure}")
    return spent, claims, count


class SopflowCases:
    """One database with the monev process published and the demo's users; plays measured full cases.

    ``durable=False`` (SQLite only, a diagnostic) turns off SQLite's flush to disk at commit
    (``PRAGMA synchronous=OFF``), to show how much of a case is the disk's fsync rather than
    the engine. Commits and SQL statements (claims included) are counted per case.
    """

    def __init__(self, label: str, url: str, data_dir: Path, script: dict[str, Any], durable: bool = True) -> None:
        self.label, self.script = label, script
        self.db = bench_database(url, durable)
        self.commits = self.statements = 0
        event.listen(self.db.engine, "commit", self._count_commit)
        event.listen(self.db.engine, "before_cursor_execute", self._count_statement)
        self.engine = Engine(self.db, Settings(database_url=url, data_dir=data_dir))
        version = self.engine.publish_process(MONEV, "sistem", "bench")
        assert version.process_id == script["process_id"]
        ensure_users(self.engine, script)
        self.totals: list[float] = []
        self.claim_each: list[float] = []
        self.claim_counts: list[int] = []
        self.commits_each: list[int] = []
        self.statements_each: list[int] = []

    def _count_commit(self, _conn: Any) -> None:
        self.commits += 1

    def _count_statement(self, *_args: Any) -> None:
        self.statements += 1

    def case(self, n: int, measured: bool, profiler: cProfile.Profile | None = None) -> None:
        """Play case ``n`` (periode ``2000+n``-TW1); keep its times when ``measured``."""
        self.commits = self.statements = 0
        if profiler is not None and measured:
            spent, claims, count = profiler.runcall(sopflow_case, self.engine, self.script, f"{2000 + n}-TW1")
        else:
            spent, claims, count = sopflow_case(self.engine, self.script, f"{2000 + n}-TW1")
        if measured:
            self.totals.append(spent)
            self.claim_each.append(claims / count)
            self.claim_counts.append(count)
            self.commits_each.append(self.commits)
            self.statements_each.append(self.statements)

    def close(self) -> None:
        """Empty the scratch tables (PostgreSQL) and close the pool."""
        close_database(self.db)


def bench_database(url: str, durable: bool = True) -> Database:
    """A migrated, emptied scratch database; ``durable=False``: SQLite's flush at commit off (a diagnostic)."""
    db = Database(url)
    prepare(db, wipe=True)
    if not durable:
        event.listen(db.engine, "connect", _no_flush_at_commit)
        db.engine.dispose()  # pooled connections were opened with the default
    return db


def close_database(db: Database) -> None:
    """Empty a PostgreSQL scratch database's tables and close the pool."""
    if not db.is_sqlite:
        empty_tables(db)
    db.dispose()


def _no_flush_at_commit(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


# -- loop ------------------------------------------------------------------------------------------
def _mini_answer(operation: str, params: dict[str, Any]) -> Any:
    if operation == "uji_gandakan":
        return {"nilai": params["angka"] * 2, "berkas": MINI_RESULT_FILE}
    return {}


@contextmanager
def mini_stubs() -> Iterator[None]:
    """Register the mini process's handlers as stubs with the same answers the bare run gets."""
    added = [name for name in ("uji_gandakan", "uji_periksa_angka") if name not in registry._HANDLERS]
    for name in added:
        registry._HANDLERS[name] = lambda params, ctx, _name=name: _mini_answer(_name, params)
    try:
        yield
    finally:
        for name in added:
            registry._HANDLERS.pop(name, None)


Complete = Callable[[str, dict[str, Any]], None]


def bare_loop(durable_url: str | None = None, keep_live: bool = False) -> Complete:
    """Start the mini process with bare SpiffWorkflow (with ``durable_url``: the durable floor on that
    database, see :class:`DurableBare`); return its ``complete(element, data)``."""
    bare = (
        Bare(MINI, "mini", _mini_answer)
        if durable_url is None
        else DurableBare(MINI, "mini", _mini_answer, durable_url, keep_live)
    )
    bare.start({"daftar_unit": [{"unit": "U1"}], "putaran": 0, "periode": "2026-TW1"})  # start form defaults
    return lambda element, data: bare.complete(_element_pick(element), data, form=True)


def _element_pick(element: str) -> Callable[[list[Any]], Any]:
    return lambda ready: next(t for t in ready if t.task_spec.bpmn_id == element)


@contextmanager
def sopflow_loop(url: str, data_dir: Path, durable: bool = True) -> Iterator[Complete]:
    """Start the mini process through the engine; yield its ``complete(element, data)`` (durable: see SopflowCases)."""
    db = bench_database(url, durable)
    engine = Engine(db, Settings(database_url=url, data_dir=data_dir))
    try:
        with mini_stubs():
            engine.publish_process(MINI, "ani")
            with db.unit_of_work() as session:
                add_user(session, "ani", "kata-sandi-bench", lanes=["Pengusul"], roles=["aktor", "pemilik_proses"])
                add_user(session, "budi", "kata-sandi-bench", lanes=["Pemeriksa"], units=["U1", "U2"])
            outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]}))
            state = {"open": outcome.open_tasks}
            actors = {element: actor for element, actor, _ in LOOP_COMMANDS}

            def complete(element: str, data: dict[str, Any]) -> None:
                task = next(t for t in state["open"] if t["element_id"] == element)
                state["open"] = engine.complete_user_task(
                    CompleteUserTask(task["task_id"], actors[element], data)
                ).open_tasks

            yield complete
    finally:
        close_database(db)


def loop_medians(sizes: list[int], samples: int, runs: dict[str, Complete]) -> dict[str, dict[int, float]]:
    """Median seconds per command of the loop after each number of rounds, per run.

    The runs advance in lockstep, command by command, so a busy moment of the machine falls
    on all of them alike.
    """
    rounds = 0
    timed: dict[str, dict[int, list[float]]] = {label: defaultdict(list) for label in runs}
    for size in sizes:
        while rounds < size:
            for element, _actor, data in LOOP_COMMANDS:
                for complete in runs.values():
                    complete(element, data)
            rounds += 1
        for _ in range(samples):
            for element, _actor, data in LOOP_COMMANDS:
                for label, complete in runs.items():
                    started = time.perf_counter()
                    complete(element, data)
                    timed[label][size].append(time.perf_counter() - started)
            rounds += 1
    return {label: {size: statistics.median(times) for size, times in per.items()} for label, per in timed.items()}


# -- main ------------------------------------------------------------------------------------------
@contextmanager
def postgresql_url(asked: bool) -> Iterator[str | None]:
    """Yield ``DATABASE_URL``, or with ``asked`` a scratch database on the machine's server, or None."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        yield "postgresql+psycopg://" + url.removeprefix("postgresql://").removeprefix("postgresql+psycopg://")
        return
    if not asked:
        yield None
        return
    admin = Database("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"sopflow_floor_{uuid.uuid4().hex[:8]}"
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=7, help="full cases measured per engine (median)")
    parser.add_argument("--loop-samples", type=int, default=5, help="loop rounds measured at each size (median)")
    parser.add_argument("--sizes", default="1,50,140", help="loop rounds before each measurement")
    parser.add_argument("--postgresql", action="store_true", help="also run on a scratch database of 127.0.0.1:5432")
    parser.add_argument("--profile", metavar="FILE", help="profile the sopflow full cases (SQLite) into FILE")
    args = parser.parse_args(argv)
    sizes = sorted({int(n) for n in args.sizes.split(",")})
    configure_logging(level="WARNING")  # the engine's per-command log lines would be timed too
    with tempfile.TemporaryDirectory(prefix="sopflow-floor-") as tmp, postgresql_url(args.postgresql) as pg_url:
        folder = Path(tmp)
        print("recording the demo case with the real handlers ...", flush=True)
        recording, script, start_data, completions = record_demo(folder)
        # PDF copies are LibreOffice's work, not the engine's: the measured runs make none (the
        # Kepala Dinas then completes the signing step unsigned, as the engine allows without PDFs)
        os.environ["SOFFICE"] = str(folder / "tanpa-libreoffice")
        print(f"{len(completions)} form submissions, {sum(map(len, recording.calls.values()))} handler calls")
        bare_engine = Bare(MONEV, script["process_id"], lambda operation, params: None)
        engines = [("sqlite", f"sqlite:///{folder / 'floor.sqlite3'}")]
        if pg_url:
            engines.append(("postgresql", pg_url))
        if args.profile:
            profiler = cProfile.Profile()
            profiled = SopflowCases("sqlite", engines[0][1], folder / "sqlite", script)
            with recording.replaying() as rewind:
                for n in range(args.cases + 1):
                    rewind()
                    profiled.case(n, measured=n > 0, profiler=profiler)
            profiled.close()
            profiler.dump_stats(args.profile)
            print(f"profile of {args.cases} sopflow full cases (SQLite) written to {args.profile}")
            return 0
        runs = [SopflowCases(label, url, folder / label, script) for label, url in engines]
        runs.append(
            SopflowCases("sqlite, no fsync", f"sqlite:///{folder / 'nosync.sqlite3'}", folder / "nosync", script, False)
        )
        floor_urls = [("sqlite", f"sqlite:///{folder / 'durable-floor.sqlite3'}"), *engines[1:]]
        durable = {
            (label, live): DurableBare(MONEV, script["process_id"], lambda operation, params: None, url, live)
            for label, url in floor_urls
            for live in (False, True)
        }
        bare_times: list[float] = []
        durable_times: dict[tuple[str, bool], list[float]] = defaultdict(list)
        # bare, the durable floor and each database take turns case by case, so a busy moment of
        # the machine falls on all of them alike; the first round warms caches and is not counted
        with recording.replaying() as rewind:
            for n in range(args.cases + 1):
                seconds = bare_case(bare_engine, recording, start_data, completions)
                if n:
                    bare_times.append(seconds)
                for key, floor in durable.items():
                    seconds = bare_case(floor, recording, start_data, completions)
                    if n:
                        durable_times[key].append(seconds)
                for run in runs:
                    rewind()
                    run.case(n, measured=n > 0)
        minimal_ms = {label: floor.minimal_transaction_ms() for (label, live), floor in durable.items() if not live}
        floor_commits = {key: floor.commits // (args.cases + 1) for key, floor in durable.items()}
        for floor in durable.values():
            floor.close()
        for run in runs:
            run.close()
        bare = statistics.median(bare_times)
        print()
        print(f"full case (monev, {len(completions)} submissions, stub handlers), median of {args.cases}")
        print(f"{'run':<44}{'per case':>12}{'ratio':>8}{'commits':>9}{'SQL':>7}")
        print(f"{'bare SpiffWorkflow':<44}{bare * 1000:>9.1f} ms{1:>8.2f}{0:>9}{0:>7}")
        ratios = {}
        for run in runs:
            case_s = statistics.median(run.totals)
            ratios[run.label] = case_s / bare
            name = f"sopflow {run.label}, claims excluded"
            commits, statements = statistics.median(run.commits_each), statistics.median(run.statements_each)
            print(f"{name:<44}{case_s * 1000:>9.1f} ms{ratios[run.label]:>8.2f}{commits:>9.0f}{statements:>7.0f}")
        print("(no fsync: a diagnostic, SQLite's PRAGMA synchronous=OFF; sopflow itself always commits durably)")
        print()
        print("the durable floor: bare SpiffWorkflow that also commits its state and one event row after each step")
        print("(live kept: the workflow is kept between steps, as sopflow's cache does, instead of restored)")
        print(f"{'run':<44}{'per case':>12}{'ratio':>8}{'commits':>9}{'sopflow/floor':>15}")
        for (label, live), times in durable_times.items():
            floor_s = statistics.median(times)
            sop = next(statistics.median(r.totals) for r in runs if r.label == label)
            name = f"bare + durable save ({label}{', live kept' if live else ''})"
            print(
                f"{name:<44}{floor_s * 1000:>9.1f} ms{floor_s / bare:>8.2f}"
                f"{floor_commits[(label, live)]:>9}{sop / floor_s:>15.2f}"
            )
        for label, ms in minimal_ms.items():
            run = next(r for r in runs if r.label == label)
            commits, claims = statistics.median(run.commits_each), statistics.median(run.claim_counts)
            spent = (commits - claims) * ms
            print(
                f"smallest durable transaction ({label}): median {ms:.2f} ms; sopflow's {commits - claims:.0f}"
                f" transactions per case (claims excluded) at that cost: {spent:.1f} ms"
                f" = {spent / 1000 / bare:.2f}x bare"
            )
        for run in runs[:-1]:
            print(f"claim ({run.label}): median {statistics.median(run.claim_each) * 1000:.2f} ms")
        loop_url = engines[0][1].replace("floor.sqlite3", "loop.sqlite3")
        nosync_url = engines[0][1].replace("floor.sqlite3", "loop-nosync.sqlite3")
        with (
            sopflow_loop(loop_url, folder / "loop") as sopflow_complete,
            sopflow_loop(nosync_url, folder / "loop-nosync", durable=False) as nosync_complete,
        ):
            medians = loop_medians(
                sizes,
                args.loop_samples,
                {
                    "bare": bare_loop(),
                    "floor": bare_loop(f"sqlite:///{folder / 'loop-floor.sqlite3'}"),
                    "floor, live kept": bare_loop(f"sqlite:///{folder / 'loop-floor.sqlite3'}", keep_live=True),
                    "sopflow": sopflow_complete,
                    "nosync": nosync_complete,
                },
            )
        bare_loop_ms, sop_loop_ms, nosync_ms = medians["bare"], medians["sopflow"], medians["nosync"]
        floor_ms, live_ms = medians["floor"], medians["floor, live kept"]
        print()
        print(f"loop (mini process, SQLite), median per command of {args.loop_samples} rounds")
        print(
            f"{'rounds':>8}{'bare':>12}{'sopflow':>12}{'ratio':>8}{'no fsync':>12}{'ratio':>8}"
            f"{'durable floor':>15}{'ratio':>8}{'sopflow/floor':>15}{'floor, live kept':>18}{'sopflow/it':>12}"
        )
        loop_ratios = []
        for size in sizes:
            ratio = sop_loop_ms[size] / bare_loop_ms[size]
            loop_ratios.append(ratio)
            print(
                f"{size:>8}{bare_loop_ms[size] * 1000:>9.2f} ms{sop_loop_ms[size] * 1000:>9.2f} ms{ratio:>8.2f}"
                f"{nosync_ms[size] * 1000:>9.2f} ms{nosync_ms[size] / bare_loop_ms[size]:>8.2f}"
                f"{floor_ms[size] * 1000:>12.2f} ms{floor_ms[size] / bare_loop_ms[size]:>8.2f}"
                f"{sop_loop_ms[size] / floor_ms[size]:>15.2f}"
                f"{live_ms[size] * 1000:>15.2f} ms{sop_loop_ms[size] / live_ms[size]:>12.2f}"
            )
    pg = f"{ratios['postgresql']:.2f}" if "postgresql" in ratios else "na"
    print()
    print(f"floor-ratio sqlite={ratios['sqlite']:.2f} postgresql={pg} loop-max={max(loop_ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
