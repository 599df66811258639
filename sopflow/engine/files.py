"""Content-addressed file storage and the per-command file access handed to handlers."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sopflow.documents.ooxml import canonicalise
from sopflow.plugins import HandlerError


class FileStore:
    """Stores bytes on disk under their SHA-256; the same content is stored once.

    Files are written to a temporary name and renamed, so a crash never leaves a
    half-written file under a valid hash. A file written by a command that later rolls
    back stays on disk unreferenced, which is harmless (content-addressed).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """Return where the content with this hash lives (it may not exist)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise HandlerError(f"Referensi berkas tidak sah: {sha256!r}.")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 hex digest."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha256)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, target)
        return sha256

    def get(self, sha256: str) -> bytes:
        """Return the stored bytes; raise HandlerError if missing or not matching the hash."""
        target = self.path_for(sha256)
        if not target.is_file():
            raise HandlerError(f"Berkas dengan SHA-256 {sha256[:12]}… tidak ditemukan di penyimpanan.")
        data = target.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise HandlerError(f"Berkas dengan SHA-256 {sha256[:12]}… telah berubah sejak disimpan.")
        return data

    def verify(self, sha256: str) -> bool:
        """Tell whether the stored file exists and still matches its hash."""
        try:
            self.get(sha256)
        except HandlerError:
            return False
        return True


@dataclass
class RecordedFile:
    """A file a handler (or an upload) produced during one command, to become a document row."""

    ref: dict[str, Any]
    kind: str
    meta: dict[str, Any]
    task_id: str
    element_id: str


@dataclass
class CommandFiles:
    """The :class:`sopflow.plugins.FileAccess` of one engine command; records what was stored."""

    store: FileStore
    recorded: list[RecordedFile] = field(default_factory=list)
    task_id: str = ""
    element_id: str = ""
    now: datetime | None = None

    def put(
        self,
        data: bytes,
        filename: str,
        media_type: str,
        kind: str = "dokumen",
        meta: dict[str, Any] | None = None,
        canonical: bool = True,
    ) -> dict[str, Any]:
        """Store bytes and return their FileRef; recorded as a document of the current task.

        Generated Office documents are stored in canonical form dated with the command's
        clock (see :mod:`sopflow.documents.ooxml`); pass ``canonical=False`` for uploads.
        """
        if canonical and self.now is not None:
            data = canonicalise(data, self.now)
        sha256 = self.store.put(data)
        ref = {"sha256": sha256, "filename": filename, "media_type": media_type, "size": len(data)}
        self.recorded.append(RecordedFile(ref, kind, dict(meta or {}), self.task_id, self.element_id))
        return ref

    def get(self, ref: dict[str, Any]) -> bytes:
        """Return the bytes of a FileRef."""
        if not isinstance(ref, dict) or "sha256" not in ref:
            raise HandlerError(f"Referensi berkas tidak sah: {ref!r}.")
        return self.store.get(ref["sha256"])

    def tag(self, ref: dict[str, Any], kind: str, meta: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record an already stored file again under ``kind`` (e.g. ``arsip``)."""
        self.get(ref)  # must exist and be intact
        self.recorded.append(RecordedFile(dict(ref), kind, dict(meta or {}), self.task_id, self.element_id))
        return ref
