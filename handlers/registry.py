"""Registry of service-task handlers, looked up by BPMN operator name.

Extension point: a handler is a pure function ``(params, ctx) -> dict`` registered
under the operator name that a BPMN service task (``spiffworkflow:serviceTaskOperator
id="..."``) or a form schema (``"x-sopflow-validate": "..."``) names.

Discovery: every installed distribution may declare its handlers as entry points in
the group ``sopflow.handlers`` (``operator = "package.module:function"``; sopflow's own
are in ``pyproject.toml``). A handler's module is imported the first time its operator
is looked up, so starting the engine loads no document or plotting library. A module
that uses :func:`register` and is imported by other means (tests, a plug-in's own
``__init__``) works too. Adding a handler never changes the engine.

Handlers never import the database layer, Flask or the engine: everything they
need arrives in ``params`` (values evaluated from task data) and ``ctx``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib.metadata import EntryPoint, entry_points
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
class Person:
    """A person as documents print them (e.g. a signature block): read-only, no credentials."""

    username: str
    name: str
    nip: str = ""  # Nomor Induk Pegawai; "" when the user record has none
    title: str = ""  # position title (jabatan); "" when the user record has none


class People(Protocol):
    """Read-only look-up of the people who act in the process (the engine's user records).

    Only active people are returned; a handler never changes anyone.
    """

    def get(self, username: str) -> Person | None:
        """Return the active person with this username, or None."""

    def lead_of(self, lane: str) -> Person | None:
        """Return the active head of ``lane`` (lane name as in the diagram), or None.

        With several heads, the first by username (deterministic, so a replay agrees).
        """


class NoPeople:
    """The :class:`People` of a context without user records (tests of a single handler)."""

    def get(self, username: str) -> Person | None:
        """Return None: nobody is known."""
        return None

    def lead_of(self, lane: str) -> Person | None:
        """Return None: nobody is known."""
        return None


@dataclass(frozen=True)
class HandlerContext:
    """Everything a handler may use besides its params.

    ``config`` is the process's sidecar configuration (``<process>.config.json``
    next to the BPMN file, stored with the process version); ``now`` is the
    engine's clock, so handlers never read the wall clock themselves;
    ``process_properties`` are the process's own properties in the published diagram
    (e.g. the SOP identity ``sop.nomor``, ``sop.dasar_hukum.1``); ``people`` reads
    names, NIP and titles of the people of the process (e.g. the head of a lane who signs).
    """

    files: FileAccess
    templates_dir: Path
    config: dict[str, Any] = field(default_factory=dict)
    now: datetime = field(default_factory=datetime.now)
    case_id: str = ""
    task_id: str = ""
    people: People = field(default_factory=NoPeople)
    process_properties: Mapping[str, str] = field(default_factory=dict)


class Handler(Protocol):
    """A registered operation: evaluated params and a context in, JSON-able dict (or list) out."""

    def __call__(self, params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any] | list[Any]: ...


_HANDLERS: dict[str, Handler] = {}


def register(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of operator ``name``."""

    def decorate(func: Handler) -> Handler:
        if name in _HANDLERS and _HANDLERS[name] is not func:
            raise ValueError(f"handler {name!r} is already registered")
        _HANDLERS[name] = func
        return func

    return decorate


ENTRY_POINT_GROUP = "sopflow.handlers"


def get(name: str) -> Handler:
    """Return the handler of operator ``name``, importing its module on first use; KeyError names the known ones."""
    handler = _HANDLERS.get(name)
    if handler is not None:
        return handler
    point = _entry_points().get(name)
    if point is None:
        known = ", ".join(names()) or "(none)"
        raise KeyError(f"no handler registered as {name!r}; registered: {known}")
    loaded = point.load()
    # the module registers itself when imported; an entry point to a plain function is registered here
    return _HANDLERS.setdefault(name, loaded)


def names() -> list[str]:
    """Return the sorted operator names of all known handlers (registered or declared as entry points)."""
    return sorted(set(_HANDLERS) | set(_entry_points()))


@cache
def _entry_points() -> dict[str, EntryPoint]:
    # read once per process: installing a plug-in takes a restart, as any Python package does
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}
