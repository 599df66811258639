"""The production topology end to end: gunicorn (2 workers), 2 Celery workers and the scheduler
on PostgreSQL (a fresh database in the machine's server) and a private Redis, one whole case
played through the HTTP API (the demo script, its uploads and its revisi loop).

The end state must equal an undisturbed in-process run of the same script on SQLite, and
``sopflow audit verify`` must be clean. These tests run in the SQLite pass of CI only
(``DATABASE_URL`` unset): they bring their own PostgreSQL database, so the PostgreSQL pass
would only repeat them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PlayedDemo
from tests.deploy.servers import redis_server, shared_database
from tests.deploy.topology import Player, Topology, baseline_state, end_state, topology

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="runs once, in the pass without DATABASE_URL (own database)"
)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    folder = tmp_path_factory.mktemp("topology")
    with (
        shared_database("sopflow_topology") as url,
        redis_server(Path(folder) / "redis") as redis,
        topology(url, redis.url, Path(folder)) as topo,
    ):
        yield topo


def test_a_whole_case_through_the_http_api_matches_an_undisturbed_run(
    deployment: Topology, _played_demo: PlayedDemo
) -> None:
    player = Player(deployment, deployment.script["periode"])
    player.start()
    player.play()

    assert end_state(deployment.db, player.case_id, player.periode) == baseline_state(_played_demo)
    deployment.assert_running()
    deployment.audit_verify()

    # the service steps ran on the Celery workers (not in the web process) and every job is done
    jobs = deployment.sopflow("jobs", "list")
    assert jobs.returncode == 0 and "Tidak ada pekerjaan" in jobs.stdout, jobs.stdout + jobs.stderr
    worker_logs = deployment.log("w1") + deployment.log("w2")
    assert '"job_kind": "advance_case"' in worker_logs and '"outcome": "done"' in worker_logs
    assert '"job_kind"' not in deployment.log("web")
