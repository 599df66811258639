"""Dates in handler data: strict ISO parsing and adding whole years.

One job: form dates arrive as ``"YYYY-MM-DD"`` strings and leave as ISO strings;
retention periods add whole years (29 February becomes 28 February).
"""

from __future__ import annotations

import re
from datetime import date

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_tanggal(value: object) -> date | None:
    """Return the date of a ``"YYYY-MM-DD"`` string, or None when it is not a real ISO date."""
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def tambah_tahun(day: date, years: int) -> date:
    """Return ``day`` plus ``years`` calendar years (29 February -> 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


_BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def format_tanggal(day: date) -> str:
    """Return the Indonesian long form of a date, e.g. ``"12 Oktober 2026"``."""
    return f"{day.day} {_BULAN[day.month - 1]} {day.year}"
