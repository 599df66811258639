"""Structured logs, request ids and health endpoints, observed on the real log output.

The logs are read from stderr as the configured handler writes them (``configure_logging("json")``,
captured by ``capsys``): what is asserted is the line an operator's log shipper would get.
"""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sopflow import ClaimTask, CompleteUserTask, Engine, NotFound, Settings, StartInstance
from sopflow.logs import configure_logging
from sopflow.plugins import register
from tests.webapp import conftest as web_fixtures
from webapp import create_app

# the web tests' fixtures: the app on the test database, its client, sign-in through the real form
app, client, clock = web_fixtures.app, web_fixtures.client, web_fixtures.clock
demo_users, login_as = web_fixtures.demo_users, web_fixtures.login_as

LogLines = Callable[[], list[dict[str, Any]]]

FAILING_LINE = 'raise ZeroDivisionError("uji: pembagi nol pada langkah hitung")'

TINY_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="defs_uji_log" targetNamespace="http://sopflow.test/uji_log">
  <bpmn:process id="uji_log" name="Proses Uji Log" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_a" name="Pengusul">
        <bpmn:flowNodeRef>mulai</bpmn:flowNodeRef><bpmn:flowNodeRef>isi</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>hitung</bpmn:flowNodeRef><bpmn:flowNodeRef>selesai</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="mulai" name="Mula"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="isi" name="Isi angka">
      <bpmn:extensionElements>
        <spiffworkflow:formJsonSchemaFilename>forms/isi.schema.json</spiffworkflow:formJsonSchemaFilename>
        <spiffworkflow:properties>
          <spiffworkflow:property name="sop.step" value="1"/>
          <spiffworkflow:property name="sop.persyaratan" value="Data"/>
          <spiffworkflow:property name="sop.waktu" value="1"/>
          <spiffworkflow:property name="sop.output" value="Angka"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:serviceTask id="hitung" name="Hitung">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="uji_log_meledak" resultVariable="hasil">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="angka" type="int" value="angka"/>
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
        <spiffworkflow:properties>
          <spiffworkflow:property name="sop.step" value="2"/>
          <spiffworkflow:property name="sop.persyaratan" value="Angka"/>
          <spiffworkflow:property name="sop.waktu" value="1"/>
          <spiffworkflow:property name="sop.output" value="Hasil"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="selesai" name="Selesai"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="mulai" targetRef="isi"/>
    <bpmn:sequenceFlow id="f2" sourceRef="isi" targetRef="hitung"/>
    <bpmn:sequenceFlow id="f3" sourceRef="hitung" targetRef="selesai"/>
  </bpmn:process>
</bpmn:definitions>
"""
FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"angka": {"type": "integer", "title": "Angka"}},
    "required": ["angka"],
}


@register("uji_log_meledak")
def uji_log_meledak(params: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Test handler: a bug in a service step (raises whatever the input)."""
    raise ZeroDivisionError("uji: pembagi nol pada langkah hitung")


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[LogLines]:
    """Switch logging to JSON lines; ``read()`` returns the lines written to stderr since the last read."""
    configure_logging("json", "INFO")
    capsys.readouterr()

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]

    yield read
    configure_logging("console", "INFO")


@pytest.fixture
def web(client: FlaskClient, json_logs: LogLines) -> tuple[FlaskClient, LogLines]:
    """The test client (``login_as`` signs it in), with JSON logs switched on after the app was created."""
    return client, json_logs


@pytest.fixture
def tiny(engine: Engine, make_user, tmp_path: Path) -> dict[str, Any]:
    """Publish the tiny process (user task ``isi`` → failing service task ``hitung``); ``ani`` may act."""
    folder = tmp_path / "proses"
    (folder / "forms").mkdir(parents=True)
    (folder / "forms" / "isi.schema.json").write_text(json.dumps(FORM), encoding="utf-8")
    (folder / "uji_log.bpmn").write_text(TINY_BPMN, encoding="utf-8")
    engine.publish_process(folder / "uji_log.bpmn", "ani")
    make_user("ani", lanes=["Pengusul"], roles=("aktor", "pemilik_proses"))
    return {"engine": engine}


def _only(lines: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [line for line in lines if all(line.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one line with {match}, got {found}"
    return found[0]


# -- request ids and the access log ---------------------------------------------------------------
def test_request_id_round_trip_and_one_access_line_per_request(web, demo_users, login_as) -> None:
    client, logs = web
    response = client.get("/masuk", headers={"X-Request-ID": "uji-123_ABC"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "uji-123_ABC"
    lines = logs()
    line = _only(lines, event="http_request")
    assert line["request_id"] == "uji-123_ABC"
    assert (line["method"], line["path"], line["status"], line["level"]) == ("GET", "/masuk", 200, "info")
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user"] is None

    # an unsafe or too long incoming id is replaced by a fresh one
    for bad in ("ada spasi", "x" * 65, "a;b", "<script>"):
        response = client.get("/masuk", headers={"X-Request-ID": bad})
        fresh = response.headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", fresh), fresh
        assert _only(logs(), event="http_request")["request_id"] == fresh
    generated = client.get("/masuk").headers["X-Request-ID"]
    assert generated != fresh and re.fullmatch(r"[0-9a-f]{32}", generated)

    # signed in: the user is named; static files write no line
    login_as("kabid_ikp")
    logs()
    response = client.get("/", headers={"X-Request-ID": "halaman-tugas"})
    assert response.status_code == 200
    line = _only(logs(), event="http_request")
    assert (line["request_id"], line["path"], line["user"]) == ("halaman-tugas", "/", "kabid_ikp")
    assert client.get("/static/css/sopflow.css").status_code == 200
    assert [line for line in logs() if line["event"] == "http_request"] == []


def test_api_request_is_logged_with_the_token_user(web, demo_users, engine: Engine) -> None:
    from sopflow.access.tokens import issue_token

    client, logs = web
    with engine.db.unit_of_work() as session:
        token = issue_token(session, "kabid_ikp")
    response = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}", "X-Request-ID": "api-1"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "api-1"
    line = _only(logs(), event="http_request")
    assert (line["path"], line["status"], line["user"], line["request_id"]) == (
        "/api/v1/tasks",
        200,
        "kabid_ikp",
        "api-1",
    )


def test_unexpected_error_is_logged_with_traceback_and_answered_without_it(app: Flask, json_logs) -> None:
    def broken_view() -> str:
        raise RuntimeError("uji: kesalahan tak terduga di tampilan")

    app.add_url_rule("/uji-rusak", "uji_rusak", broken_view)
    app.add_url_rule("/api/uji-rusak", "uji_rusak_api", broken_view)
    client = app.test_client()

    response = client.get("/uji-rusak", headers={"X-Request-ID": "rusak-1"})
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Terjadi kesalahan pada sistem" in body and "rusak-1" in body
    assert "Traceback" not in body and "RuntimeError" not in body
    lines = json_logs()
    error = _only(lines, event="unhandled_error")
    assert error["level"] == "error" and error["request_id"] == "rusak-1" and error["path"] == "/uji-rusak"
    assert error["exception"].startswith("Traceback (most recent call last):")
    assert "in broken_view" in error["exception"]
    assert "RuntimeError: uji: kesalahan tak terduga di tampilan" in error["exception"]
    assert _only(lines, event="http_request")["status"] == 500

    response = client.get("/api/uji-rusak", headers={"X-Request-ID": "rusak-2"})
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "Traceback" not in response.get_data(as_text=True)
    assert "in broken_view" in _only(json_logs(), event="unhandled_error", request_id="rusak-2")["exception"]


# -- engine commands and failed steps -------------------------------------------------------------
def test_engine_command_line_names_case_task_actor_duration_and_outcome(tiny, json_logs) -> None:
    engine: Engine = tiny["engine"]
    outcome = engine.start_instance(StartInstance("uji_log", "ani", "2026-TW1"))
    line = _only(json_logs(), event="engine_command", command="start_instance")
    assert (line["case_id"], line["actor"], line["outcome"], line["case_status"]) == (
        outcome.case_id,
        "ani",
        "ok",
        "berjalan",
    )
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0

    task_id = outcome.open_tasks[0]["task_id"]
    engine.claim_task(ClaimTask(task_id, "ani"))
    line = _only(json_logs(), event="engine_command", command="claim_task")
    assert (line["task_id"], line["case_id"], line["actor"], line["outcome"]) == (task_id, outcome.case_id, "ani", "ok")

    with pytest.raises(NotFound):
        engine.claim_task(ClaimTask("tidak-ada", "ani"))
    line = _only(json_logs(), event="engine_command", command="claim_task")
    assert (line["task_id"], line["actor"], line["outcome"]) == ("tidak-ada", "ani", "NotFound")
    assert line["error"] and "case_id" not in line


def test_failed_step_logs_its_full_traceback(tiny, json_logs) -> None:
    engine: Engine = tiny["engine"]
    outcome = engine.start_instance(StartInstance("uji_log", "ani", "2026-TW1"))
    task_id = outcome.open_tasks[0]["task_id"]
    json_logs()
    outcome = engine.complete_user_task(CompleteUserTask(task_id, "ani", {"angka": 7}))
    assert outcome.status == "gagal"
    lines = json_logs()
    failed = _only(lines, event="step_failed")
    assert failed["level"] == "error"
    assert (failed["case_id"], failed["element_id"], failed["operation"]) == (
        outcome.case_id,
        "hitung",
        "uji_log_meledak",
    )
    assert failed["task_id"] == outcome.failure["task_id"]
    trace = failed["exception"]
    assert trace.startswith("Traceback (most recent call last):")
    # the handler's own frame and line, not only the wrapped message
    assert "in uji_log_meledak" in trace and FAILING_LINE in trace
    assert "ZeroDivisionError: uji: pembagi nol pada langkah hitung" in trace
    command = _only(lines, event="engine_command", command="complete_user_task")
    assert (command["outcome"], command["case_status"], command["task_id"]) == ("ok", "gagal", task_id)


# -- health ------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real Redis server on a free local port (no persistence), stopped by its process id."""
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def _app_with_broker(settings: Settings, broker_url: str) -> Flask:
    return create_app({"TESTING": True, "SOPFLOW_SETTINGS": dataclasses.replace(settings, broker_url=broker_url)})


def test_healthz_and_readyz_need_no_login(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert "broker" not in body["checks"]  # no broker configured


def test_readyz_checks_the_broker(settings: Settings, redis_url: str) -> None:
    app = _app_with_broker(settings, redis_url)
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["checks"]["broker"]["status"] == "ok"
    finally:
        app.extensions["sopflow"].db.dispose()

    closed = f"redis://127.0.0.1:{_free_port()}/0"
    app = _app_with_broker(settings, closed)
    try:
        started = time.monotonic()
        response = app.test_client().get("/readyz")
        elapsed = time.monotonic() - started
        body = response.get_json()
        assert response.status_code == 503, body
        assert body["status"] == "unavailable"
        assert body["checks"]["database"]["status"] == "ok"
        assert body["checks"]["broker"]["status"] == "error"
        assert "refused" in body["checks"]["broker"]["error"].lower()
        assert elapsed < 3.0
        assert app.test_client().get("/healthz").status_code == 200  # alive, though not ready
    finally:
        app.extensions["sopflow"].db.dispose()


def test_sopflow_used_as_a_library_logs_an_exception_as_a_plain_traceback(tmp_path: Path) -> None:
    """Without configure_logging (a script using the engine), a logged exception is a plain traceback.

    structlog's own default renders it with rich when rich is installed (the test tools bring it),
    printing every frame's locals: a failing job then took minutes inside the log call.
    """
    script = tmp_path / "library_use.py"
    script.write_text(
        "import sys\n"
        "from sopflow.logs import get_logger\n"
        "workflow_like = {i: list(range(50)) for i in range(2000)}\n"
        "try:\n"
        "    raise ValueError('uji: gagal')\n"
        "except ValueError:\n"
        "    get_logger('sopflow.jobs').exception('job failed', job='j1')\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    output = done.stdout + done.stderr  # structlog's default logger prints to stdout
    assert done.returncode == 0, output
    assert "Traceback (most recent call last):" in output and "ValueError: uji: gagal" in output
    assert "workflow_like" not in output and "╭" not in output  # no rich panel, no locals
