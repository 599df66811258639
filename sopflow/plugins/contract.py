"""The handler contract: what the engine gives a service-task handler and what it may raise.

A handler is a pure function ``(params, ctx) -> dict``: ``params`` are the values the BPMN
service task's parameters evaluate to (task data in, JSON-able dict out), ``ctx`` is a
:class:`HandlerContext` (stored files through :class:`FileAccess`, the process's sidecar
configuration and properties, the engine's clock, read-only :class:`People`). Wrong input
is reported by raising :class:`HandlerError` with per-field errors in Bahasa Indonesia; the
engine shows them on the form (validators) or records the step as failed (service tasks).

Handlers never import the database layer, Flask or the engine: everything they need
arrives in ``params`` and ``ctx``. Registration: :mod:`sopflow.plugins.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping
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
