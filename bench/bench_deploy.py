"""The production topology under load: what two gunicorn workers buy, and what moved to the worker.

Runs real processes on PostgreSQL and Redis (``DATABASE_URL`` / ``BROKER_URL`` when set — a
scratch database, its tables are emptied — else a fresh database in the PostgreSQL at
127.0.0.1:5432, dropped afterwards, and a private ``redis-server`` on a free port):

1. API completions per second (``POST /api/v1/tasks/{id}/complete`` of step 2, the xlsx upload
   of a Kepala Bidang, from 4 client threads, tasks of different cases side by side) with
   ``gunicorn -w 1`` and with ``-w 2``; Celery workers are stopped meanwhile so only the web
   tier is measured. Target: ratio ≥ 1.6 on 2 cores.
2. Latency of the "Selesai" of step 5 that triggers merging, the draft .docx and the analysis
   (the last Kepala Seksi task) against a plain "Selesai" of step 5 (the four before it),
   both through ``gunicorn -w 2`` with 2 Celery workers. Target: ratio ≤ 1.3.
3. Time from that "Selesai" to the draft report being ready (polling ``GET /api/v1/cases/{id}``).

Prints figures and ratios measured in one run; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from common import ROOT, empty_tables

from sopflow import Database
from tests.deploy.servers import free_port, redis_server, shared_database, stop_processes
from tests.deploy.topology import (
    SCRIPT_PATH,
    Api,
    Player,
    _readyz,
    load_script,
    prepare_database,
    sqlalchemy_url,
)

CLIENT_THREADS = 4


def spawn(folder: Path, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    with (folder / f"{name}.log").open("ab") as log:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def start_web(folder: Path, env: dict[str, str], workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = spawn(
        folder,
        f"web{workers}",
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "webapp.wsgi:app"],
        env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while not _readyz(base):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"gunicorn -w {workers} did not start; see {folder}/web{workers}.log")
        time.sleep(0.2)
    for _ in range(workers * 4):  # every worker imports lazily on its first requests: warm them up
        _readyz(base)
    return proc, base


def start_workers(folder: Path, env: dict[str, str]) -> list[subprocess.Popen]:
    return [
        spawn(folder, name, [sys.executable, "-m", "webapp.cli", "worker", "--name", f"{name}@bench"], env)
        for name in ("w1", "w2")
    ]


def periodes() -> list[str]:
    return [f"{year}-TW{q}" for year in range(2027, 2060) for q in range(1, 5)]


def throughput(api: Api, work: list[tuple[Player, dict, str, dict]]) -> float:
    """Completions per second of ``work`` from CLIENT_THREADS threads (each task is completed once).

    The upload of each completion is built before the clock starts: the clients share the two
    cores with the server, and writing a workbook is the office's work, not the server's.
    """
    queue = list(work)
    lock = threading.Lock()
    failures: list[object] = []

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                _player, step, task_id, uploads = queue.pop(0)
            reply = api.call("POST", f"/tasks/{task_id}/complete", step["actor"], step["data"], uploads)
            if reply.status != 200:
                failures.append(reply.body)

    threads = [threading.Thread(target=client) for _ in range(CLIENT_THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"completions failed: {failures[:3]}")
    return len(work) / elapsed


def step2_work(players: list[Player], api: Api) -> list[tuple[Player, dict, str, dict]]:
    """The claimed step-2 tasks of the cases with their uploads, interleaved so neighbours belong to different cases."""
    rows: list[list[tuple[Player, dict, str, dict]]] = []
    for player in players:
        mine = []
        for step in player.script["steps"][1:6]:
            task = player.ready_task(step)
            assert api.call("POST", f"/tasks/{task['task_id']}/claim", step["actor"]).status == 200
            mine.append((player, step, task["task_id"], player.uploads(step)))
        rows.append(mine)
    return [item for group in zip(*rows, strict=True) for item in group]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60, help="cases (×5 completions) per gunicorn size")
    parser.add_argument("--latency-cases", type=int, default=8, help="cases played to step 5 for latency")
    options = parser.parse_args()
    script = load_script(SCRIPT_PATH)
    names = iter(periodes())
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sopflow-bench-deploy-")))
        url = os.environ.get("DATABASE_URL") or stack.enter_context(shared_database("sopflow_bench_deploy"))
        if os.environ.get("DATABASE_URL"):
            db = Database(sqlalchemy_url(url))
            db.upgrade()
            empty_tables(db)
            db.dispose()
        broker = os.environ.get("BROKER_URL") or stack.enter_context(redis_server(folder / "redis")).url
        env = {k: v for k, v in os.environ.items() if k != "SOPFLOW_CONFIG"}
        env.update(
            DATABASE_URL=url,
            BROKER_URL=broker,
            SECRET_KEY=os.urandom(32).hex(),
            SOPFLOW_DATA_DIR=str(folder / "data"),
            LOG_LEVEL="WARNING",
        )
        tokens = prepare_database(url, folder, env, script)
        procs: list[subprocess.Popen] = []
        stack.callback(lambda: stop_processes(procs))

        # setup: cases at step 2 (step 1's job makes the forms), on -w 2 with the workers
        web, base = start_web(folder, env, 2)
        workers = start_workers(folder, env)
        procs += [web, *workers]
        api = Api(base, tokens)
        for_web1, for_web2 = [], []
        for group in (for_web1, for_web2):
            for _ in range(options.cases):
                player = Player(_Topo(api, script), next(names))  # type: ignore[arg-type]
                player.start()
                player.play(until=1)
                group.append(player)
        work1, work2 = step2_work(for_web1, api), step2_work(for_web2, api)
        stop_processes(workers)  # only the web tier in part 1; queued jobs wait in the broker
        rate2 = throughput(api, work2)
        stop_processes([web])
        web1, base1 = start_web(folder, env, 1)
        procs.append(web1)
        rate1 = throughput(Api(base1, tokens), work1)
        stop_processes([web1])

        # part 2: latency of a plain "Selesai" vs the one that triggers the .docx and the analysis
        workers = start_workers(folder, env)
        procs += workers
        web, base = start_web(folder, env, 2)
        procs.append(web)
        api = Api(base, tokens)
        plain: list[float] = []
        trigger: list[float] = []
        ready: list[float] = []
        last5 = [i for i, s in enumerate(script["steps"]) if s["element"] == "langkah05_monitoring"]
        for _ in range(options.latency_cases):
            player = Player(_Topo(api, script), next(names))  # type: ignore[arg-type]
            player.start()
            player.play(until=last5[0])
            for index in last5:
                step = script["steps"][index]
                task = player.ready_task(step)
                assert api.call("POST", f"/tasks/{task['task_id']}/claim", step["actor"]).status == 200
                started = time.perf_counter()
                reply = api.call("POST", f"/tasks/{task['task_id']}/complete", step["actor"], step["data"])
                took = time.perf_counter() - started
                assert reply.status == 200, reply.body
                player.position = index + 1
                if index != last5[-1]:
                    plain.append(took * 1000)
                    continue
                trigger.append(took * 1000)
                while not any(d["kind"] == "draft_laporan" for d in player.case()["documents"]):
                    time.sleep(0.05)
                ready.append(time.perf_counter() - started)

    p, t = statistics.median(plain), statistics.median(trigger)
    print(f"{'measure':52} {'value':>10}   target")
    print(f"{'completions/s, gunicorn -w 1':52} {rate1:10.1f}")
    print(f"{'completions/s, gunicorn -w 2':52} {rate2:10.1f}")
    print(f"{'ratio -w 2 / -w 1':52} {rate2 / rate1:10.2f}   ≥ 1.6  {'ok' if rate2 / rate1 >= 1.6 else 'MISSED'}")
    print(f"{'plain Selesai (step 5, 1st-4th), median ms':52} {p:10.1f}")
    print(f"{'Selesai that queues merge + .docx + analysis, ms':52} {t:10.1f}")
    print(f"{'ratio trigger / plain':52} {t / p:10.2f}   ≤ 1.3  {'ok' if t / p <= 1.3 else 'MISSED'}")
    print(f"{'Selesai → draft .docx ready (worker), median s':52} {statistics.median(ready):10.2f}")
    counts = f"{len(work1)} + {len(work2)} completions, {len(plain)} plain, {len(trigger)} triggering"
    print(f"({counts}; {os.cpu_count()} CPUs)")


class _Topo:
    """The part of :class:`tests.deploy.topology.Topology` a Player uses."""

    def __init__(self, api: Api, script: dict) -> None:
        self.api = api
        self.script = script


if __name__ == "__main__":
    main()
