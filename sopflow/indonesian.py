"""Dates and times written the Indonesian way: ``2 Desember 2026``, ``2 Desember 2026 14:05 WITA``.

One place for the month names and the formats, used by the pages, the notifications and the
demo's log (English stays in logs and machine formats).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BULAN = (
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
#: the date part of the formats templates pass to ``waktu``; written as ``2 Desember 2026``
_NUMERIC_DATE = "%d-%m-%Y"


def long_date(day: date) -> str:
    """Return ``2 Desember 2026`` for a date."""
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


def local_time(value: datetime | str | None, zone: ZoneInfo, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """Return a naive-UTC timestamp in the office time zone: ``2 Desember 2026 14:05 WITA`` ('-' for none)."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    local = moment.astimezone(zone)
    text = local.strftime(fmt.replace(_NUMERIC_DATE, long_date(local.date()).replace("%", "%%")))
    return f"{text} {local.tzname()}"


def date_text(value: date | datetime | str | None, zone: ZoneInfo) -> str:
    """Return ``2 Desember 2026``: a date as it is, a timestamp (naive UTC) in the office time zone."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
        except ValueError:
            return value
        value = parsed
    if isinstance(value, datetime):
        value = (value.replace(tzinfo=UTC) if value.tzinfo is None else value).astimezone(zone).date()
    return long_date(value)
