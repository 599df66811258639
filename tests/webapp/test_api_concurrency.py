"""50 users claim the same task through the API at the same moment, against a real threaded HTTP server.

Exactly one claim wins (200); the other 49 get 409 ``task_claimed_by_other``; nothing
answers 500; the task is claimed once in the task table and once in the audit trail.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from sopflow.access import tokens
from sopflow.access.users import add_user
from sopflow.queries import inbox

CLAIMERS = 50


@pytest.fixture
def claim_race_server(app: Flask) -> Iterator[tuple[str, int]]:
    """Serve the app on a free local port with one thread per request; yield (host, port)."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", server.server_port
    server.shutdown()
    thread.join(timeout=10)


def _request(address: tuple[str, int], method: str, path: str, token: str) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection(*address, timeout=120)
    try:
        conn.request(method, path, headers={"Authorization": f"Bearer {token}", "Content-Length": "0"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_fifty_simultaneous_claims_one_winner(
    app: Flask, demo_case: dict[str, Any], claim_race_server: tuple[str, int]
) -> None:
    ext = app.extensions["sopflow"]
    names = [f"sekretaris_{i:02d}" for i in range(CLAIMERS)]
    with ext.db.unit_of_work() as session:
        for name in names:
            add_user(session, name, "kata-sandi-uji", lanes=["Sekretaris"])
        issued = {name: tokens.issue_token(session, name) for name in names}
    case_id = demo_case["case_id"]
    with ext.db.reading() as session:
        (task,) = [t for t in inbox.tasks_of_case(session, case_id) if t["element_id"] == "langkah01_format_isian"]
    assert task["lane"] == "Sekretaris" and task["state"] == "ready" and task["claimed_by"] is None

    barrier = threading.Barrier(CLAIMERS)
    results: dict[str, tuple[int, dict[str, Any]]] = {}

    def claim(name: str) -> None:
        barrier.wait()
        try:
            results[name] = _request(claim_race_server, "POST", f"/api/v1/tasks/{task['task_id']}/claim", issued[name])
        except Exception as exc:  # a dropped connection must fail the test, not hang it
            results[name] = (0, {"exception": repr(exc)})

    threads = [threading.Thread(target=claim, args=(name,)) for name in names]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    elapsed = time.perf_counter() - began

    statuses = Counter(status for status, _ in results.values())
    print(f"\n{CLAIMERS} klaim serentak dalam {elapsed:.2f} s: {dict(statuses)}")
    assert len(results) == CLAIMERS
    assert statuses == {200: 1, 409: CLAIMERS - 1}, results
    (winner,) = [name for name, (status, _) in results.items() if status == 200]
    assert results[winner][1]["claimed_by"] == winner
    losers = [body for status, body in results.values() if status == 409]
    assert all(body["error"]["code"] == "task_claimed_by_other" for body in losers)
    assert all(winner in body["error"]["message"] for body in losers)

    with ext.db.reading() as session:
        rows = [t for t in inbox.tasks_of_case(session, case_id) if t["task_id"] == task["task_id"]]
        claims = [
            e
            for e in inbox.timeline_for_case(session, case_id)
            if e["kind"] == "task_claimed" and e["task_id"] == task["task_id"]
        ]
    assert len(rows) == 1 and rows[0]["claimed_by"] == winner and rows[0]["state"] == "ready"
    assert len(claims) == 1 and claims[0]["actor"] == winner

    # the winner's inbox shows it, everyone else's does not
    status, body = _request(claim_race_server, "GET", "/api/v1/tasks", issued[winner])
    assert status == 200 and [t["task_id"] for t in body["tasks"]] == [task["task_id"]]
    other = next(name for name in names if name != winner)
    status, body = _request(claim_race_server, "GET", "/api/v1/tasks", issued[other])
    assert status == 200 and body["tasks"] == []
