"""Faults in the production topology: killed processes, a restarted database, a broker away.

One deployment per module (gunicorn with 2 workers, 2 Celery workers, the scheduler) on a
private PostgreSQL cluster and a private Redis (never the shared servers). Each fault test
plays its own case (its own periode) of the demo script through the HTTP API, causes the
fault, and ends with ``sopflow audit verify`` clean and the same end state as an undisturbed
in-process run. No process is restarted by hand: the same gunicorn master, Celery workers
and scheduler run from the first test to the last.

Runs in the CI pass without ``DATABASE_URL`` only (it brings its own databases).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from sopflow import ClaimTask, CompleteUserTask, Database, Engine, Settings, StartInstance
from sopflow.demo import ensure_users, load_script, script_process_file
from sopflow.settings import PROJECT_ROOT
from tests.conftest import PlayedDemo
from tests.deploy.servers import PgCluster, RedisServer, alive, pg_cluster, redis_server, shared_database, socket_owner
from tests.deploy.topology import (
    SCRIPT_PATH,
    Player,
    Topology,
    baseline_state,
    end_state,
    matches,
    sqlalchemy_url,
    start_data,
    topology,
)

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="runs once, in the pass without DATABASE_URL (own databases)"
)

BACKENDS = "SELECT client_port FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"


@dataclass
class Deployment:
    topo: Topology
    cluster: PgCluster
    redis: RedisServer
    url: str  # the database, for the test's own psycopg connections
    baseline: dict[str, Any]  # the end state of an undisturbed run


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, _played_demo: PlayedDemo) -> Iterator[Deployment]:
    folder = Path(tmp_path_factory.mktemp("faults"))
    with pg_cluster("sopflow") as cluster, redis_server(folder / "redis") as redis:
        url = cluster.url("sopflow")
        with topology(url, redis.url, folder) as topo:
            yield Deployment(topo, cluster, redis, url, baseline_state(_played_demo))


def _until(what: str, probe: Any, timeout: float = 60.0, poll: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(poll)


def _finish(deployment: Deployment, player: Player) -> None:
    """Play the rest of the script, then check the end state, the audit chain and the processes."""
    player.settle()
    player.play()
    assert end_state(deployment.topo.db, player.case_id, player.periode) == deployment.baseline
    deployment.topo.audit_verify()
    deployment.topo.assert_running()


def _no_pending_job(deployment: Deployment, case_id: str) -> None:
    """Wait until every job of the case ran (e.g. the PDF copy of the last draft).

    A test that holds back document inserts must not catch an earlier job inside its
    transaction: that job keeps the case row locked, and the step the test completes next
    would wait for it past gunicorn's worker timeout.
    """
    query = text("SELECT count(*) FROM jobs WHERE case_id = :c AND status = 'pending'")

    def idle() -> bool:
        with deployment.topo.db.engine.connect() as conn:
            return conn.execute(query, {"c": case_id}).scalar_one() == 0

    _until("the case's earlier jobs to finish", idle, timeout=120, poll=0.2)


def _task_traces(db: Database, task_id: str) -> tuple[str, int, int]:
    with db.engine.connect() as conn:
        state = conn.execute(text("SELECT state FROM human_tasks WHERE id = :t"), {"t": task_id}).scalar_one()
        events = conn.execute(
            text("SELECT count(*) FROM audit_events WHERE task_id = :t AND kind = 'task_completed'"), {"t": task_id}
        ).scalar_one()
        uploads = conn.execute(
            text("SELECT count(*) FROM documents WHERE task_id = :t AND kind = 'unggahan'"), {"t": task_id}
        ).scalar_one()
    return state, events, uploads


TICK_DONE = "-- tick selesai, status"
#: one scheduler process: once imported it says so (a status line "-"), then runs ``sopflow tick
#: --now T`` (the CLI's own entry point) for each line T of its standard input and prints the exit
#: status. Started once, not once per tick: a process start (imports) costs about a second of CPU,
#: and 42 of them were most of this test.
TICK_LOOP = f"""
import sys
from webapp.cli import main
print("{TICK_DONE}", "-", flush=True)
for line in sys.stdin:
    status = main(["tick", "--now", line.strip()])
    print("{TICK_DONE}", status, flush=True)
"""


def _tick_output(scheduler: subprocess.Popen) -> list[str]:
    """The lines a scheduler process printed for one tick, up to and with its status line."""
    lines: list[str] = []
    while not lines or not lines[-1].startswith(TICK_DONE):
        line = scheduler.stdout.readline()
        assert line, "the scheduler process ended:\n" + "\n".join(lines)
        lines.append(line.rstrip("\n"))
    return lines


# First in the module: it needs no deployment, so none runs beside its two tick processes.
def test_two_schedulers_fire_each_reminder_once(tmp_path: Path) -> None:
    """``sopflow tick --now T`` in two processes at once, for T over ten minutes in 30 s steps.

    Both processes wait for T on their standard input and get it at the same moment: their two
    rounds race for the same reminders and escalations, 21 times.
    """
    script = load_script(SCRIPT_PATH)
    with shared_database("sopflow_ticks") as url:
        db = Database(sqlalchemy_url(url))
        try:
            db.upgrade()
            engine = Engine(db, Settings(database_url=db.url, data_dir=tmp_path / "data"))
            engine.publish_process(script_process_file(script, engine.settings.processes_dir), "sistem", "uji")
            ensure_users(engine, script)
            first = script["steps"][0]
            outcome = engine.start_instance(
                StartInstance(script["process_id"], script["start"]["actor"], "2035-TW1", start_data(script))
            )
            task = next(t for t in outcome.open_tasks if matches(t, first))
            engine.claim_task(ClaimTask(task["task_id"], first["actor"]))
            engine.complete_user_task(CompleteUserTask(task["task_id"], first["actor"], first["data"]))
            open_tasks = engine.case_outcome(outcome.case_id).open_tasks
            assert len(open_tasks) == 5
            due = min(t["due_at"] for t in open_tasks)
            env = {k: v for k, v in os.environ.items() if k not in ("BROKER_URL", "SOPFLOW_CONFIG")}
            env.update(DATABASE_URL=url, SECRET_KEY=os.urandom(24).hex(), SOPFLOW_DATA_DIR=str(tmp_path / "data"))
            schedulers = [
                subprocess.Popen(
                    [sys.executable, "-c", TICK_LOOP],
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for _ in range(2)
            ]
            try:
                for scheduler in schedulers:  # both imported and waiting before the first moment
                    assert _tick_output(scheduler)[-1] == f"{TICK_DONE} -"
                for step in range(21):  # due - 5 min ... due + 5 min: due soon first, then overdue
                    moment = (due - timedelta(minutes=5) + timedelta(seconds=30 * step)).isoformat()
                    for scheduler in schedulers:  # both are waiting on stdin: the two ticks start together
                        scheduler.stdin.write(moment + "\n")
                        scheduler.stdin.flush()
                    for scheduler in schedulers:
                        output = _tick_output(scheduler)
                        assert output[-1] == f"{TICK_DONE} 0", "\n".join(output)
            finally:
                for scheduler in schedulers:
                    scheduler.stdin.close()
                    scheduler.wait(timeout=60)
                    scheduler.stdout.close()
            assert [scheduler.returncode for scheduler in schedulers] == [0, 0]
            with db.engine.connect() as conn:
                alerts = conn.execute(text("SELECT task_id, kind, count(*) FROM task_alerts GROUP BY 1, 2")).all()
                notes = conn.execute(
                    text(
                        "SELECT task_id, kind, username, count(*) FROM notifications "
                        "WHERE kind IN ('due_soon', 'overdue') GROUP BY 1, 2, 3"
                    )
                ).all()
                escalated = conn.execute(
                    text("SELECT task_id, count(*) FROM audit_events WHERE kind = 'task_escalated' GROUP BY 1")
                ).all()
        finally:
            db.dispose()
    ids = {t["task_id"] for t in open_tasks}
    assert {(t, k) for t, k, _n in alerts} == {(t, k) for t in ids for k in ("due_soon", "overdue")}
    assert all(n == 1 for _t, _k, n in alerts), alerts
    assert {(t, k) for t, k, _u, _n in notes} == {(t, k) for t in ids for k in ("due_soon", "overdue")}
    assert all(n == 1 for *_key, n in notes), notes
    units = {t["task_id"]: t["unit"] for t in open_tasks}
    bidang = {s["units"][0]: s["username"] for s in script["users"] if s.get("units")}
    assert {(t, u) for t, _k, u, _n in notes} == {(t, bidang[units[t]]) for t in ids}
    assert sorted(escalated) == sorted((t, 1) for t in ids)


def test_a_gunicorn_worker_killed_mid_completion_leaves_each_completion_whole_or_absent(
    deployment: Deployment,
) -> None:
    topo = deployment.topo
    master = topo.procs["web"].pid
    players = [Player(topo, f"2031-TW{n}") for n in range(1, 5)]
    work: list[tuple[Player, dict[str, Any], str]] = []
    for player in players:
        player.start()
        player.play(until=1)
        for step in topo.script["steps"][1:6]:  # the five Kepala Bidang uploads of step 2
            task = player.ready_task(step)
            assert topo.api.call("POST", f"/tasks/{task['task_id']}/claim", step["actor"]).status == 200
            work.append((player, step, task["task_id"]))

    outcomes: dict[str, Any] = {}

    def complete(player: Player, step: dict[str, Any], task_id: str) -> None:
        try:
            path = f"/tasks/{task_id}/complete"
            outcomes[task_id] = topo.api.call("POST", path, step["actor"], step["data"], player.uploads(step)).status
        except OSError as exc:  # the connection died with its worker
            outcomes[task_id] = type(exc).__name__

    threads = [threading.Thread(target=complete, args=item) for item in work]
    with psycopg.connect(deployment.url) as hold:
        # A completion writes its audit events last, inside its transaction: holding inserts back
        # keeps the web workers inside their completions until one of them is killed there.
        hold.execute("LOCK TABLE audit_events IN SHARE MODE")
        for thread in threads:
            thread.start()
        with psycopg.connect(deployment.url, autocommit=True) as conn:
            waiting = BACKENDS + " AND wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO audit_events%%'"

            def busy_web_worker() -> int | None:
                ports = conn.execute(waiting).fetchall()
                owners = [socket_owner(port, topo.web_workers()) for (port,) in ports if port]
                return next((pid for pid in owners if pid), None)

            victim = _until("a web worker inside a completion", busy_web_worker)
            os.kill(victim, signal.SIGKILL)
            _until("the web worker to die", lambda: not alive(victim))
        hold.rollback()
    for thread in threads:
        thread.join(120)

    lost = [task_id for task_id, status in outcomes.items() if status != 200]
    assert lost, f"the killed worker was serving a completion: {outcomes}"
    assert all(status == 200 or isinstance(status, str) for status in outcomes.values()), outcomes
    for _player, _step, task_id in work:
        state, events, uploads = _task_traces(topo.db, task_id)
        assert (state, events, uploads) in {("completed", 1, 1), ("ready", 0, 0)}, (task_id, state, events, uploads)
    # the users try again where their request failed; a completion that did commit answers 409
    for player, step, task_id in work:
        if task_id in lost and _task_traces(topo.db, task_id)[0] == "ready":
            path = f"/tasks/{task_id}/complete"
            reply = topo.api.call("POST", path, step["actor"], step["data"], player.uploads(step))
            assert reply.status == 200, reply.body
    for _player, _step, task_id in work:
        assert _task_traces(topo.db, task_id) == ("completed", 1, 1)

    assert topo.procs["web"].pid == master and victim not in topo.web_workers()
    _until("gunicorn to replace its worker", lambda: len(topo.web_workers()) == 2, poll=0.2)
    for player in players:
        player.position = 6
    _finish(deployment, players[0])
    for player in players[1:]:
        player.settle()


def test_a_celery_worker_killed_while_rendering_the_report(deployment: Deployment) -> None:
    topo = deployment.topo
    player = Player(topo, "2032-TW1")
    player.start()
    approve = player.step_index("langkah11_verifikasi", 2)  # "setujui": the final report is rendered next
    player.play(until=approve)
    _no_pending_job(deployment, player.case_id)
    workers = {name: topo.pool_children(name) for name in ("w1", "w2")}

    with psycopg.connect(deployment.url) as hold:
        # Documents are written at the end of the job's transaction: holding inserts back keeps the
        # job inside it, after render_report_docx, for as long as this transaction lasts.
        hold.execute("LOCK TABLE documents IN SHARE MODE")
        reply = player.complete(topo.script["steps"][approve])
        assert reply.status == 200 and reply.body["jobs"], reply.body
        player.position += 1
        job_id = reply.body["jobs"][0]["job_id"]
        with psycopg.connect(deployment.url, autocommit=True) as conn:
            waiting = BACKENDS + " AND wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO documents%%'"
            (port,) = _until("the job to wait for its document insert", lambda: conn.execute(waiting).fetchone())
            started, attempts = conn.execute("SELECT started_at, attempts FROM jobs WHERE id = %s", [job_id]).fetchone()
        assert started is not None and attempts == 1
        victim = socket_owner(port, workers["w1"] + workers["w2"])
        assert victim is not None, "the backend's client is a Celery pool child"
        os.kill(victim, signal.SIGKILL)
        _until("the pool child to die", lambda: not alive(victim))
        hold.rollback()

    _finish(deployment, player)
    with topo.db.engine.connect() as conn:
        status, attempts = conn.execute(text("SELECT status, attempts FROM jobs WHERE id = :j"), {"j": job_id}).one()
    assert status == "done" and attempts >= 2
    for name in ("w1", "w2"):  # both workers still run, with a pool child each
        assert topo.pool_children(name)


def test_postgresql_restarts_while_requests_run(deployment: Deployment) -> None:
    topo, cluster = deployment.topo, deployment.cluster
    player = Player(topo, "2033-TW1")
    player.start()
    merge = player.step_index("langkah05_monitoring", 5)  # its job writes the draft .docx
    player.play(until=merge)
    _no_pending_job(deployment, player.case_id)
    seen: list[tuple[str, str, int | str, str | None]] = []
    phase = {"now": "before"}
    stop = threading.Event()

    def keep_asking(path: str, user: str) -> None:
        while not stop.is_set():
            began = phase["now"]
            try:
                reply = topo.api.call("GET", path, user, timeout=30)
                seen.append((began, phase["now"], reply.status, reply.headers.get("Retry-After")))
            except OSError as exc:
                seen.append((began, phase["now"], type(exc).__name__, None))
            time.sleep(0.05)

    askers = [
        threading.Thread(target=keep_asking, args=("/tasks", "kasi_monev")),
        threading.Thread(target=keep_asking, args=(f"/cases/{player.case_id}", "admin")),
    ]
    hold = psycopg.connect(deployment.url)  # closed, not committed: the outage ends its session
    try:
        hold.execute("LOCK TABLE documents IN SHARE MODE")  # the job stays inside its transaction
        reply = player.complete(topo.script["steps"][merge])
        assert reply.status == 200 and reply.body["jobs"], reply.body
        player.position = merge + 1
        with psycopg.connect(deployment.url, autocommit=True) as conn:
            waiting = BACKENDS + " AND wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO documents%%'"
            _until("the job inside its transaction", lambda: conn.execute(waiting).fetchone())
        for asker in askers:
            asker.start()
        try:
            cluster.stop("fast")  # ends every session, the job's and this one's included
            phase["now"] = "down"
            _until("503 answers during the outage", lambda: sum(s[0] == s[1] == "down" for s in seen) >= 6, 30)
        finally:
            phase["now"] = "restarting"  # an answer that ends while the cluster comes back may be either
            cluster.start()
            phase["now"] = "after"
    finally:
        hold.close()
    _until("answers after the restart", lambda: sum(s[0] == "after" and s[2] == 200 for s in seen) >= 4, 60)
    stop.set()
    for asker in askers:
        asker.join(60)

    assert all(status in (200, 503) for _b, _e, status, _r in seen), seen
    during = [(status, retry) for began, ended, status, retry in seen if began == ended == "down"]
    assert during and all(status == 503 and retry for status, retry in during), during
    assert all(status == 503 and retry for _b, _e, status, retry in seen if status != 200)
    _finish(deployment, player)  # the job cut off by the outage runs after (sweeper)


def test_completions_commit_while_redis_is_away_and_their_steps_run_after(deployment: Deployment) -> None:
    topo = deployment.topo
    player = Player(topo, "2034-TW1")
    player.start()
    player.play(until=1)
    deployment.redis.stop()
    try:
        for step in topo.script["steps"][1:6]:
            reply = player.complete(step)
            assert reply.status == 200, reply.body
            player.position += 1
        assert reply.body["jobs"], "the last upload queued the aggregation"
        with topo.db.engine.connect() as conn:
            pending = conn.execute(
                text("SELECT count(*) FROM jobs WHERE case_id = :c AND status = 'pending'"), {"c": player.case_id}
            ).scalar_one()
        assert pending == 1
        time.sleep(3)  # a few scheduler ticks fail to reach the broker
    finally:
        deployment.redis.start()
    _finish(deployment, player)  # the sweeper resends the job JOB_RESEND_SECONDS (5 s here) after its last send
