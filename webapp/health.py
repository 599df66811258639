"""Health endpoints for load balancers and orchestrators; no login, no CSRF, no session.

- ``GET /healthz``: the process is alive — always ``200 {"status": "ok"}``, touches nothing.
- ``GET /readyz``: the process can serve — the database answers ``SELECT 1`` and, when
  ``settings.broker_url`` is set, the job broker accepts a connection. Every check runs in
  its own thread and is given :data:`CHECK_TIMEOUT` seconds (the checks run side by side);
  ``200`` when all pass, ``503`` otherwise, with each check's result:
  ``{"status": "ok" | "unavailable", "checks": {"database": {"status": "ok", "duration_ms": 1.2}, ...}}``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

from sopflow.logs import get_logger

bp = Blueprint("health", __name__)

CHECK_TIMEOUT = 2.0

log = get_logger("sopflow.health")


def init_app(app: Flask) -> None:
    """Register the blueprint and exempt it from CSRF (call after ``CSRFProtect(app)``)."""
    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)


@bp.get("/healthz")
def healthz() -> Response:
    """Tell that the process runs; never touches the database."""
    response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Check the database (and the broker when configured); 200 when every check passes, else 503."""
    ext = current_app.extensions["sopflow"]
    checks: dict[str, Callable[[], None]] = {"database": lambda: ext.db.ping()}
    broker_url = getattr(ext.settings, "broker_url", None)
    if broker_url:
        checks["broker"] = lambda: check_broker(broker_url)
    results = run_checks(checks, CHECK_TIMEOUT)
    ready = all(result["status"] == "ok" for result in results.values())
    if not ready:
        log.warning("not_ready", checks=results)
    response = jsonify({"status": "ok" if ready else "unavailable", "checks": results})
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ready else 503


def check_broker(url: str, timeout: float = CHECK_TIMEOUT) -> None:
    """Open and close a connection to the job broker (Redis or AMQP URL) with one retry at most."""
    from kombu import Connection

    with Connection(url, connect_timeout=timeout) as conn:
        # kombu takes the timeout in seconds as a float; celery-types declares int
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)  # type: ignore[arg-type]


def run_checks(checks: dict[str, Callable[[], None]], timeout: float) -> dict[str, dict[str, Any]]:
    """Run every check in its own daemon thread; a check still running after ``timeout`` seconds fails."""
    results: dict[str, dict[str, Any]] = {}

    def run(name: str, check: Callable[[], None]) -> None:
        started = time.perf_counter()
        try:
            check()
            outcome: dict[str, Any] = {"status": "ok"}
        except Exception as exc:
            message = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
            outcome = {"status": "error", "error": f"{type(exc).__name__}: {message}"[:300]}
        outcome["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = outcome

    threads = {name: threading.Thread(target=run, args=(name, check), daemon=True) for name, check in checks.items()}
    for thread in threads.values():
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads.values():
        thread.join(max(0.0, deadline - time.monotonic()))
    return {
        name: dict(results.get(name) or {"status": "error", "error": f"tidak menjawab dalam {timeout:g} detik"})
        for name in checks
    }
