"""The demo case's final Laporan, rendered once: shared by the PDF checks and ``docs/laporan_render.py``.

Plays the whole demo (``samples/monev_kinerja/demo.json``) on a fresh SQLite database
through the engine, exactly as ``sopflow demo`` does, and returns the final report's
.docx bytes as stored in the case.
"""

from __future__ import annotations

from pathlib import Path

import handlers  # noqa: F401 - registers the real handlers
from sopflow import Database, Engine, Settings
from sopflow.demo import load_script, run_demo
from sopflow.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "samples" / "monev_kinerja" / "demo.json"


def demo_final_report(workdir: Path) -> bytes:
    """Play the demo case in ``workdir`` and return the bytes of its final Laporan (.docx)."""
    database = Database(f"sqlite:///{workdir / 'sopflow.sqlite3'}")
    database.upgrade()
    try:
        engine = Engine(database, Settings(database_url=database.url, data_dir=workdir / "data"))
        result = run_demo(engine, load_script(SCRIPT), workdir / "out", say=lambda _line: None)
        [final] = [p for p in result.exported if p.parent.name == "laporan_final" and p.suffix == ".docx"]
        return final.read_bytes()
    finally:
        database.dispose()
