"""Registry of service-task handlers, looked up by BPMN operator name.

Extension point: a handler is a pure function ``(params, ctx) -> dict`` registered
under the operator name that a BPMN service task (``spiffworkflow:serviceTaskOperator
id="..."``) or a form schema (``"x-sopflow-validate": "..."``) names. Adding a
handler means one new module in ``handlers/`` that uses :func:`register` and is
listed in ``handlers/__init__.py``; the engine never changes.

Handlers never import the database layer, Flask or the engine: everything they
need arrives in ``params`` (values evaluated from task data) and ``ctx``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol


class HandlerError(Exception):
    """Raised by a handler when its input is wrong; ``errors`` says where.

    Each error is a dict with at least ``message`` (Bahasa Indonesia, shown to the
    user) and, where it applies, ``field`` (form field), ``file``, ``sheet``,
    ``cell`` and ``reason``.
    """

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or [{"message": message}]


class FileAccess(Protocol):
    """What a handler may do with stored files (content-addressed by SHA-256).

    A file reference (``FileRef``) is a plain dict:
    ``{"sha256": str, "filename": str, "media_type": str, "size": int}``.
    """

    def put(
        self,
        data: bytes,
        filename: str,
        media_type: str,
        kind: str = "dokumen",
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store bytes and return their FileRef; the engine records it as a document."""

    def get(self, ref: dict[str, Any]) -> bytes:
        """Return the bytes of a FileRef; raise HandlerError if missing or altered."""

    def tag(self, ref: dict[str, Any], kind: str, meta: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record an already stored file again under another kind (e.g. ``arsip``)."""


@dataclass(frozen=True)
class HandlerContext:
    """Everything a handler may use besides its params.

    ``config`` is the process's sidecar configuration (``<process>.config.json``
    next to the BPMN file, stored with the process version); ``now`` is the
    engine's clock, so handlers never read the wall clock themselves.
    """

    files: FileAccess
    templates_dir: Path
    config: dict[str, Any] = field(default_factory=dict)
    now: datetime = field(default_factory=datetime.now)
    case_id: str = ""
    task_id: str = ""


class Handler(Protocol):
    """A registered operation: evaluated params and a context in, JSON-able dict out."""

    def __call__(self, params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]: ...


_HANDLERS: dict[str, Handler] = {}


def register(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of operator ``name``."""

    def decorate(func: Handler) -> Handler:
        if name in _HANDLERS and _HANDLERS[name] is not func:
            raise ValueError(f"handler {name!r} is already registered")
        _HANDLERS[name] = func
        return func

    return decorate


def get(name: str) -> Handler:
    """Return the handler registered as ``name``; KeyError names the registered ones."""
    try:
        return _HANDLERS[name]
    except KeyError:
        known = ", ".join(sorted(_HANDLERS)) or "(none)"
        raise KeyError(f"no handler registered as {name!r}; registered: {known}") from None


def names() -> list[str]:
    """Return the sorted names of all registered handlers."""
    return sorted(_HANDLERS)
