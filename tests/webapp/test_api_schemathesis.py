"""Schemathesis against the generated OpenAPI document and the real app: every check, the stateful phase too.

The app is served by werkzeug on 127.0.0.1 (a free port, in a thread, shut down after the test) on the
test database, with the monev SOP published and the demo accounts. Schemathesis' CLI runs every check
(``--checks all``) in every phase (examples, coverage, fuzzing and the stateful phase, which follows the
document's OpenAPI links from ``POST /cases`` to the case and its tasks) as ``sekretaris``: a process
owner who may start cases and acts in the first step's lane. Bounded and reproducible: a few examples per
operation, deterministic generation (the same requests every run); it must end with zero failures.

Where the document cannot say what is valid, the test says it: a task's form and a process's start form
are JSON Schemas of the process (``GET /tasks/{id}`` → ``form``), not of the API, so data that fits the
API's ``FormData``/``StartCaseRequest`` may still be refused with 422 by the form, and which fields take a
file (``POST /tasks/{id}/files/{field}``) is the form's too; ``positive_data_acceptance`` accepts 422 on
``completeTask``, ``stageUpload`` and ``startCase`` only, through the config file written here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from sopflow.access import tokens
from sopflow.settings import PROJECT_ROOT

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
#: generated requests stay in the low hundreds: a handful of examples per operation and phase
MAX_EXAMPLES = 8
CONFIG = """
[[operations]]
include-operation-id = "completeTask"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
include-operation-id = "stageUpload"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
include-operation-id = "startCase"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
"""


@pytest.fixture
def served_api(app: Flask, demo_users: dict[str, Any]) -> Iterator[str]:
    """The app on 127.0.0.1 (free port) in a thread; yields its base URL and stops it afterwards."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sopflow-schemathesis-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_schemathesis_finds_no_failure(app: Flask, served_api: str, tmp_path: Path) -> None:
    with app.extensions["sopflow"].db.unit_of_work() as session:
        token = tokens.issue_token(session, "sekretaris")  # pemilik_proses: may start cases
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    command = [
        SCHEMATHESIS,
        "--config-file",
        str(config),
        "run",
        f"{served_api}/api/v1/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.webapp.schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path, check=False)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-20000:]
    assert "No issues found" in report or " 0 failures" in report or "failures" not in report.lower(), report[-5000:]
