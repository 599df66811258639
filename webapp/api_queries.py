"""The query strings of the API's lists (``GET /tasks``, ``GET /cases``): read, checked, or a 400.

Each reader returns the keyword arguments of its :mod:`sopflow.queries.inbox` query plus ``limit`` and
``offset``; a bad value raises :class:`~webapp.api_support.ApiError` 400 ``invalid_query``
naming every bad parameter.
"""

from __future__ import annotations

from typing import Any

from sopflow.queries import inbox

from .api_support import ApiError, int_arg, query_arg

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000
#: the largest id or number a PostgreSQL ``integer`` column holds (past it a query fails instead of finding nothing)
MAX_ID = 2_147_483_647
TASK_ORDERS = ("due", "step", "periode")


def _choice(name: str, allowed: Any, default: str, fields: dict[str, list[str]]) -> str:
    raw = query_arg(name, fields)
    value = default if raw is None else raw  # present but empty (``?order=``) is no choice: 400
    if value not in allowed or (value == "" and raw is not None):
        fields.setdefault(name, []).append(f"Pilih salah satu: {', '.join(a for a in allowed if a)}.")
    return value


def _page(fields: dict[str, list[str]], default_limit: int) -> dict[str, int]:
    limit = int_arg("limit", fields, minimum=1, maximum=MAX_LIMIT)
    offset = int_arg("offset", fields, minimum=0, maximum=MAX_OFFSET)
    return {"limit": default_limit if limit is None else limit, "offset": offset or 0}


def _raise_if_any(fields: dict[str, list[str]]) -> None:
    if fields:
        raise ApiError(400, "invalid_query", "Parameter pencarian belum benar.", fields)


def task_list_args() -> dict[str, Any]:
    """Read ``filter``, ``step``, ``periode``, ``order``, ``limit`` (default 200) and ``offset``."""
    fields: dict[str, list[str]] = {}
    found = {
        "filter": _choice("filter", inbox.FILTERS, "semua", fields),
        "step": int_arg("step", fields, minimum=0, maximum=MAX_ID),
        "periode": query_arg("periode", fields) or None,
        "order": _choice("order", TASK_ORDERS, "due", fields),
        **_page(fields, 200),
    }
    _raise_if_any(fields)
    return found


def case_list_args() -> dict[str, Any]:
    """Read ``status``, ``process_id``, ``periode``, ``order``, ``direction``, ``limit`` (default 100), ``offset``."""
    fields: dict[str, list[str]] = {}
    order = _choice("order", inbox.CASE_ORDERS, "periode", fields)
    direction = _choice("direction", ("", "asc", "desc"), "", fields)
    found = {
        "status": _choice("status", ("", "berjalan", "selesai", "gagal"), "", fields) or None,
        "process_id": query_arg("process_id", fields) or None,
        "periode": query_arg("periode", fields) or None,
        "order": order,
        "descending": {"asc": False, "desc": True}.get(direction),
        **_page(fields, 100),
    }
    _raise_if_any(fields)
    return found
