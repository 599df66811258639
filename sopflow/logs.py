"""Structured logs: one configuration for the web app, the CLI, workers and the scheduler.

``configure_logging(fmt, level)`` picks JSON lines (``LOG_FORMAT=json``, for log shippers)
or a readable console format. Everything logged through :func:`get_logger` carries the
context bound with :func:`bound_context` (request id, case, job), so a request's id
follows it into the jobs it enqueues (the outbox row keeps it).
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from structlog.typing import EventDict

_configured: tuple[str, str] | None = None


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    """Route structlog and the standard library's logging to stderr in ``fmt`` (``json`` or ``console``)."""
    global _configured
    if _configured == (fmt, level):
        return
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        # plain tracebacks whether or not rich is installed (schemathesis brings it): rich would print
        # every frame's locals, which for the engine's objects takes minutes and gigabytes
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if fmt == "json" else _keep_exc_info,
            renderer,
        ],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_sopflow", False)]:
        root.removeHandler(old)
    handler._sopflow = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # SpiffWorkflow logs every task state change, werkzeug's development server every request
    # (the web app writes its own access line), Alembic each of its plugins on every command:
    # keep their INFO lines for DEBUG only
    for noisy in ("spiff", "werkzeug", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(level.upper() if level.upper() == "DEBUG" else "WARNING")
    _configured = (fmt, level)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler writing to whatever ``sys.stderr`` is when a line is emitted.

    A handler bound to the stream of configuration time keeps writing into a replaced (or
    closed) stream after a test harness or a daemonising server swaps ``sys.stderr``.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass  # always the current sys.stderr


def _plain_defaults() -> None:
    """Give structlog's defaults plain tracebacks when nobody configured logging (sopflow used as a library).

    Unconfigured, structlog renders an exception with rich when rich is installed, printing every
    frame's locals: for an engine call that walks the whole workflow and test harness and takes
    minutes. The default chain is kept; only the exception formatter changes.
    """
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.StackInfoRenderer(),
            structlog.dev.set_exc_info,
            structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S", utc=False),
            structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback),
        ]
    )


_plain_defaults()


def _keep_exc_info(_logger: Any, _name: str, event: EventDict) -> EventDict:
    return event  # the console renderer prints the traceback itself


def get_logger(name: str) -> Any:
    """Return a structured logger; keyword arguments of its calls become fields of the line."""
    return structlog.stdlib.get_logger(name)


def new_request_id() -> str:
    """Return a fresh request id (32 hex characters)."""
    return uuid.uuid4().hex


def current_context() -> dict[str, Any]:
    """Return the context bound to the current thread or task (e.g. ``request_id``)."""
    return dict(structlog.contextvars.get_contextvars())


def current_request_id() -> str | None:
    """Return the request id bound to the current context, if any."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value else None


@contextmanager
def bound_context(**values: Any) -> Iterator[None]:
    """Bind ``values`` to every log line written inside the block, then restore the previous context."""
    tokens = structlog.contextvars.bind_contextvars(**{k: v for k, v in values.items() if v is not None})
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
