"""How the pages write dates, times and numbers: Indonesian, one filter each.

- ``waktu``: a naive-UTC timestamp in the office time zone, ``2 Desember 2026 14:05 WITA``
  (a strftime format may be given; its ``%d-%m-%Y`` part is written the same long way);
- ``tanggal``: a date (or the date of a timestamp, office time zone), ``2 Desember 2026``;
- ``angka``: a number with Indonesian separators, ``1.250.000,50`` (``desimal`` digits);
- ``ukuran``: a file size, ``12,5 KB``;
- ``combine``: a query-string dict with some keys changed or dropped (links that keep the filters).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

# the date and time words live in the engine (notifications and the demo log write them too)
from sopflow.indonesian import date_text, local_time


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
