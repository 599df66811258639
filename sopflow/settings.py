"""Runtime settings, read once from the environment and passed down explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Where sopflow keeps its data and finds its processes and templates.

    ``database_url``: ``DATABASE_URL`` (e.g. ``postgresql+psycopg://...``); default a SQLite
    file in ``data_dir``. ``data_dir``: ``SOPFLOW_DATA_DIR`` (default ``./var``), holding the
    SQLite file and the file store. ``timezone``: ``SOPFLOW_TIMEZONE`` (default
    ``Asia/Makassar``, WITA) in which working days and due dates are counted.
    """

    database_url: str
    data_dir: Path
    processes_dir: Path = PROJECT_ROOT / "processes"
    templates_dir: Path = PROJECT_ROOT / "templates"
    timezone: str = "Asia/Makassar"

    @property
    def files_dir(self) -> Path:
        """Folder of the content-addressed file store."""
        return self.data_dir / "files"

    @property
    def calendar_file(self) -> Path:
        """The cuti bersama list used for working days."""
        return self.processes_dir / "kalender.json"

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None, database_url: str | None = None) -> Settings:
        """Build settings from the environment, with explicit arguments taking precedence."""
        folder = Path(data_dir or os.environ.get("SOPFLOW_DATA_DIR") or "var").resolve()
        url = database_url or os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'sopflow.sqlite3'}"
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return cls(database_url=url, data_dir=folder, timezone=os.environ.get("SOPFLOW_TIMEZONE", "Asia/Makassar"))
