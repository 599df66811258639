"""How the pages write dates, times and numbers: Indonesian, one filter each.

- ``waktu``: a naive-UTC timestamp in the office time zone, ``2 Desember 2026 14:05 WITA``
  (a strftime format may be given; its ``%d-%m-%Y`` part is written the same long way);
- ``tanggal``: a date (or the date of a timestamp, office time zone), ``2 Desember 2026``;
- ``angka``: a number with Indonesian separators, ``1.250.000,50`` (``desimal`` digits);
- ``ukuran``: a file size, ``12,5 KB``;
- ``combine``: a query-string dict with some keys changed or dropped (links that keep the filters).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

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
            value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = (value.replace(tzinfo=UTC) if value.tzinfo is None else value).astimezone(zone).date()
    return long_date(value)


def number_text(value: Any, decimals: int | None = None) -> str:
    """Return a number with Indonesian separators: ``1.250.000,50``; '-' for none, other text unchanged.

    Without ``decimals`` a whole number has none and any other two (``1.250.000,50``).
    """
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return str(value)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if decimals is None:
        decimals = 0 if number == number.to_integral_value() else 2
    text = f"{number:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def size_text(value: int | None) -> str:
    """Return a file size the Indonesian way: ``980 byte``, ``12,5 KB``, ``1,2 MB``."""
    if value is None:
        return "-"
    if value < 1024:
        return f"{number_text(value)} byte"
    if value < 1024 * 1024:
        return f"{number_text(value / 1024, 1)} KB"
    return f"{number_text(value / (1024 * 1024), 1)} MB"


def combine(query: dict[str, Any], changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return ``query`` without the ``drop`` keys, updated with ``changes``, empty values left out.

    For links that keep the current filters in the URL.
    """
    merged = {key: value for key, value in query.items() if key not in drop}
    merged.update(changes or {})
    return {key: value for key, value in merged.items() if value not in (None, "")}


def register(app: Flask, timezone: str) -> None:
    """Register ``waktu``, ``tanggal``, ``angka``, ``ukuran``, ``combine`` and the filters of :mod:`webapp.names`."""
    zone = ZoneInfo(timezone)
    app.jinja_env.filters["waktu"] = lambda value, fmt="%d-%m-%Y %H:%M": local_time(value, zone, fmt)
    app.jinja_env.filters["tanggal"] = lambda value: date_text(value, zone)
    app.jinja_env.filters["angka"] = number_text
    app.jinja_env.filters["ukuran"] = size_text
    app.jinja_env.filters["combine"] = combine
    from . import names

    names.register(app)  # nama_pengguna, nama_langkah: names instead of identifiers
