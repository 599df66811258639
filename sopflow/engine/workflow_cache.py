"""The workflows this process saved last, so the next command on a case need not restore it.

A command restores a case's workflow from its stored JSON (SpiffWorkflow's
deserialization: the largest cost of a command once a case has history). After the
command commits, the live workflow object it saved is exactly what the stored JSON
describes, so the cache keeps it under the case id and the row's ``version`` (the
optimistic-lock counter every change bumps). The next command in this process takes it
out when the locked row still has that version; any other change to the case (another
process, a rolled-back command, an edit by migration) leaves a different version or no
entry, and the command restores from the database as before.

One command at a time owns a cached workflow: :meth:`take` removes it, and only a
committed save puts one back. Replay and point-in-time views never use it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

DEFAULT_SIZE = 256


class WorkflowCache:
    """Up to ``size`` live workflows by case id, each valid for one row version."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, case_id: str, version: int) -> Any | None:
        """Remove and return the case's workflow if it was saved at ``version``; else None."""
        with self._lock:
            entry = self._entries.pop(case_id, None)
        if entry is None or entry[0] != version:
            return None
        return entry[1]

    def keep(self, case_id: str, version: int, workflow: Any) -> None:
        """Remember the workflow a committed command saved at ``version``."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries[case_id] = (version, workflow)
            self._entries.move_to_end(case_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def advance(self, case_id: str, old: int, new: int) -> None:
        """Re-key the case's workflow from version ``old`` to ``new`` (a change that left the workflow as it was)."""
        with self._lock:
            entry = self._entries.get(case_id)
            if entry is not None and entry[0] == old:
                self._entries[case_id] = (new, entry[1])

    def forget(self, case_id: str) -> None:
        """Drop the case's entry (its stored state changed outside a command)."""
        with self._lock:
            self._entries.pop(case_id, None)

    def __len__(self) -> int:
        return len(self._entries)
