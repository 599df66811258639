"""The embedded scheduler: one thread running the scheduler round while ``sopflow serve`` serves.

Only the embedded mode uses it (no ``BROKER_URL``: one process, SQLite). A deployment runs
``sopflow scheduler`` (Celery beat) instead, and web workers never run timers.
"""

from __future__ import annotations

import threading

from sopflow.engine.boundary import Engine
from sopflow.logs import get_logger

log = get_logger(__name__)


class InProcessScheduler(threading.Thread):
    """Calls :meth:`Engine.tick` (resend lost jobs, escalate, remind) every ``interval`` seconds until :meth:`stop`."""

    def __init__(self, engine: Engine, interval: float = 30.0) -> None:
        super().__init__(name="sopflow-penjadwal", daemon=True)
        self.engine = engine
        self.interval = interval
        self._stopped = threading.Event()
        self.runs = 0

    def run(self) -> None:
        """Run a round now, then after every interval; a failure is logged and retried next time."""
        while not self._stopped.is_set():
            try:
                result = self.engine.tick()
                if any(result.values()):
                    log.info("scheduler_round", **result)
            except Exception:  # keep the scheduler alive; the next round retries
                log.exception("scheduler_round_failed")
            self.runs += 1
            self._stopped.wait(self.interval)

    def stop(self) -> None:
        """Ask the thread to finish after the current round."""
        self._stopped.set()
