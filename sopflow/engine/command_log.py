"""One structured log line per engine command: which command, on what, by whom, how long, how it ended.

:func:`logged_command` decorates the public command methods of :class:`sopflow.engine.boundary.Engine`.
The line (event ``engine_command``) carries ``command``, ``case_id``, ``task_id``, ``actor``
(read from the command object or keyword arguments, and from the result when the command
created the case), ``duration_ms`` and ``outcome``: ``ok``, or the error class name with
its message in ``error``. A case left with a failed step is ``ok`` with ``case_status``
``gagal`` (the step's traceback is logged by :mod:`sopflow.engine.case_run`). Expected refusals
(:class:`SopflowError`) are logged at ``info``, anything else at ``error``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from sopflow.errors import SopflowError
from sopflow.logs import get_logger

F = TypeVar("F", bound=Callable[..., Any])

log = get_logger("sopflow.engine")

_FIELDS = ("case_id", "task_id", "actor", "process_id")


def logged_command(func: F) -> F:
    """Decorate an engine command method so that every call writes one ``engine_command`` line."""
    name = func.__name__

    @functools.wraps(func)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        fields = command_fields(args, kwargs)
        started = time.perf_counter()
        try:
            result = func(self, *args, **kwargs)
        except Exception as exc:
            duration = round((time.perf_counter() - started) * 1000, 1)
            message = exc.message if isinstance(exc, SopflowError) else str(exc)
            level = log.info if isinstance(exc, SopflowError) else log.error
            level(
                "engine_command",
                command=name,
                **fields,
                duration_ms=duration,
                outcome=type(exc).__name__,
                error=message[:500],
            )
            raise
        duration = round((time.perf_counter() - started) * 1000, 1)
        # a periodic command that found nothing to do (an empty list) is not worth a line at info
        level = log.debug if isinstance(result, list) and not result else log.info
        level("engine_command", command=name, **{**fields, **result_fields(result)}, duration_ms=duration, outcome="ok")
        return result

    return cast(F, wrapper)


def command_fields(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Return the case id, task id, actor and process id a command call names (only those present)."""
    found: dict[str, Any] = {}
    for value in (*args, *kwargs.values()):
        for key in _FIELDS:
            item = getattr(value, key, None)
            if isinstance(item, str) and key not in found:
                found[key] = item
    for key in _FIELDS:
        if isinstance(kwargs.get(key), str):
            found[key] = kwargs[key]
    if "actor" not in found and len(args) >= 2 and isinstance(args[1], str):
        found["actor"] = args[1]  # publish_process(source, actor, note)
    return found


def result_fields(result: Any) -> dict[str, Any]:
    """Return what a command's result adds: the case (and its status) it created or changed, counts of lists."""
    if isinstance(result, list):
        return {"count": len(result)}
    fields: dict[str, Any] = {}
    source = result if isinstance(result, Mapping) else None
    for key in ("case_id", "task_id", "status"):
        value = source.get(key) if source is not None else getattr(result, key, None)
        if isinstance(value, str):
            fields["case_status" if key == "status" else key] = value
    return fields
