"""Read values from the process sidecar configuration (``ctx.config``) with clear errors.

One job: a missing or malformed configuration entry becomes a HandlerError that tells
the process owner which key of ``<process>.config.json`` to fix.
"""

from __future__ import annotations

from typing import Any

from sopflow.plugins import HandlerError

_MISSING = object()


def nilai(config: dict[str, Any], path: str, default: Any = _MISSING) -> Any:
    """Return the value at dotted ``path`` (e.g. ``"instansi.nama"``).

    Returns ``default`` when given and the key is missing; otherwise raises
    HandlerError naming the key.
    """
    current: Any = config
    for part in path.split("."):
        if isinstance(current, dict) and part in current and current[part] not in (None, ""):
            current = current[part]
            continue
        if default is not _MISSING:
            return default
        message = f"Konfigurasi proses belum lengkap: kunci '{path}' tidak ada atau kosong."
        raise HandlerError(message, [{"message": message, "field": path, "reason": "konfigurasi kurang"}])
    return current


def angka(config: dict[str, Any], path: str, default: float) -> float:
    """Return a non-negative number at ``path`` (``default`` when missing); HandlerError if not a number."""
    value = nilai(config, path, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        message = f"Konfigurasi proses tidak sah: kunci '{path}' harus angka >= 0, bukan {value!r}."
        raise HandlerError(message, [{"message": message, "field": path, "reason": "konfigurasi salah"}])
    return value
