"""A background thread that escalates overdue tasks periodically while the app is served."""

from __future__ import annotations

import logging
import threading

from .engine import Engine

log = logging.getLogger(__name__)


class EscalationScheduler(threading.Thread):
    """Calls :meth:`Engine.escalate_overdue` every ``interval`` seconds until :meth:`stop`."""

    def __init__(self, engine: Engine, interval: float = 60.0) -> None:
        super().__init__(name="sopflow-eskalasi", daemon=True)
        self.engine = engine
        self.interval = interval
        self._stopped = threading.Event()
        self.runs = 0

    def run(self) -> None:
        """Escalate now, then after every interval; a failure is logged and retried next time."""
        while not self._stopped.is_set():
            try:
                escalated = self.engine.escalate_overdue()
                if escalated:
                    log.info("%d tugas terlambat dieskalasi", len(escalated))
            except Exception:  # keep the scheduler alive; the next round retries
                log.exception("eskalasi gagal")
            self.runs += 1
            self._stopped.wait(self.interval)

    def stop(self) -> None:
        """Ask the thread to finish after the current round."""
        self._stopped.set()
