"""Collect the errors of one handler call and raise them together as one HandlerError.

One job: handlers report *every* problem of an input (all bad cells of a file, all
bad rows of a form), not only the first. Messages are complete Indonesian sentences;
the list is capped so a garbage file cannot produce a megabyte of errors.
"""

from __future__ import annotations

from typing import Any

from sopflow.plugins import HandlerError

MAX_ERRORS = 50


class ErrorList:
    """An ordered list of error dicts for :class:`HandlerError`, all tagged with ``field``."""

    def __init__(self, field: str | None = None, limit: int = MAX_ERRORS) -> None:
        self.field = field
        self.limit = limit
        self.items: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, message: str, code: str, **keys: Any) -> None:
        """Add an error with an Indonesian ``message`` and a stable machine ``code``."""
        error: dict[str, Any] = {"message": message, "code": code}
        if self.field is not None:
            error["field"] = self.field
        error.update({k: v for k, v in keys.items() if v is not None})
        self.items.append(error)

    def add_cell(self, file: str, sheet: str, cell: str | None, reason: str, code: str, **keys: Any) -> None:
        """Add an error located in a workbook: file, sheet and (if known) cell.

        The message reads e.g. "Berkas 'statistik.xlsx', lembar 'Kinerja', sel H9:
        berisi teks 'sepuluh', seharusnya angka."
        """
        where = f"Berkas '{file}', lembar '{sheet}'" + (f", sel {cell}" if cell else "")
        self.add(f"{where}: {reason}.", code, file=file, sheet=sheet, cell=cell, reason=reason, **keys)

    def add_file(self, file: str, reason: str, code: str, **keys: Any) -> None:
        """Add an error about a whole file (not readable, too large, wrong Bidang...)."""
        self.add(f"Berkas '{file}': {reason}.", code, file=file, reason=reason, **keys)

    def raise_if_any(self, summary: str) -> None:
        """Raise HandlerError(summary) carrying at most ``limit`` errors plus a remainder line."""
        if not self.items:
            return
        errors = self.items[: self.limit]
        rest = len(self.items) - len(errors)
        if rest > 0:
            tail: dict[str, Any] = {"message": f"... dan {rest} kesalahan lainnya.", "code": "more_errors"}
            if self.field is not None:
                tail["field"] = self.field
            errors = [*errors, tail]
        raise HandlerError(summary, errors)
