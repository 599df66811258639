"""Working-day calendar: Indonesian national holidays plus configurable cuti bersama."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import holidays

from sopflow.errors import DeploymentError


class WorkingCalendar:
    """Count working days (Monday–Friday, not a national holiday, not cuti bersama)."""

    def __init__(self, cuti_bersama: list[date] | None = None, country: str = "ID") -> None:
        self._national = holidays.country_holidays(country)
        self._cuti = set(cuti_bersama or [])

    def is_working_day(self, day: date) -> bool:
        """Tell whether ``day`` is a working day."""
        return day.weekday() < 5 and day not in self._national and day not in self._cuti

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """Return the end of the ``ceil(days)``-th working day after ``start`` (start day excluded)."""
        remaining = int(-(-days // 1))  # ceil without importing math for one call
        current = start.date()
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return datetime.combine(current, datetime.max.time().replace(microsecond=0), tzinfo=start.tzinfo)

    def due_date(self, start: datetime, waktu: float, satuan: str) -> datetime:
        """Return the due moment of a task that became ready at ``start``.

        ``satuan`` is ``hari kerja`` (working days, the end of the last day),
        ``hari`` (calendar days) or ``jam`` (hours).
        """
        if satuan == "jam":
            return start + timedelta(hours=waktu)
        if satuan == "hari":
            end = start + timedelta(days=waktu)
            return datetime.combine(end.date(), datetime.max.time().replace(microsecond=0), tzinfo=start.tzinfo)
        return self.add_working_days(start, waktu)


@lru_cache(maxsize=8)
def load_calendar(path: str) -> WorkingCalendar:
    """Build a calendar from a ``kalender.json`` (``{"cuti_bersama": ["YYYY-MM-DD", ...]}``).

    The file is required: without it cuti bersama would silently count as working days and
    every due date would be wrong. Raises DeploymentError naming the missing or malformed file.
    """
    file = Path(path)
    if not file.is_file():
        raise DeploymentError(f"Berkas kalender hari kerja tidak ditemukan: {file}")
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
        days = [date.fromisoformat(d) for d in raw["cuti_bersama"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise DeploymentError(
            f"Berkas kalender hari kerja {file} tidak sah: harus berisi "
            f'{{"cuti_bersama": ["YYYY-MM-DD", ...]}} ({exc}).'
        ) from None
    return WorkingCalendar(days)
