"""Where SOP processes come from: the configured folder, then every installed SOP package.

An office ships an SOP as a Python package that declares, in its ``pyproject.toml``,

    [project.entry-points."sopflow.processes"]
    cuti_pegawai = "sop_cuti_pegawai.processes"

naming a package whose folder holds ``<process>.bpmn`` (with ``forms/`` and an optional
``<process>.config.json``), and its handlers in the ``sopflow.handlers`` group (see
:mod:`sopflow.plugins`). ``sopflow new-sop NAME`` writes such a package. The CLI then
accepts a process id wherever it accepts a BPMN file (``sopflow validate cuti_pegawai``,
``sopflow process publish cuti_pegawai``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from sopflow.errors import NotFound
from sopflow.resources import package_dir

ENTRY_POINT_GROUP = "sopflow.processes"


@dataclass(frozen=True)
class ProcessSource:
    """One folder of processes: the configured one, or an installed SOP package's."""

    name: str
    folder: Path


@cache
def _package_sources() -> tuple[ProcessSource, ...]:
    # read once per process: installing an SOP package takes a restart, as any Python package does
    return tuple(ProcessSource(point.name, package_dir(point.value)) for point in entry_points(group=ENTRY_POINT_GROUP))


def process_sources(processes_dir: Path) -> list[ProcessSource]:
    """Return the configured folder first, then each installed SOP package's folder."""
    return [ProcessSource("konfigurasi", processes_dir), *_package_sources()]


def available_processes(processes_dir: Path) -> list[dict[str, str]]:
    """Return ``{process, file, source}`` for every ``.bpmn`` file the sources hold (first source wins)."""
    found: dict[str, dict[str, str]] = {}
    for source in process_sources(processes_dir):
        for path in sorted(source.folder.glob("*.bpmn")):
            found.setdefault(path.stem, {"process": path.stem, "file": str(path), "source": source.name})
    return list(found.values())


def resolve_process_file(name: str, processes_dir: Path) -> Path:
    """Return the BPMN file ``name`` means: an existing path, or ``<name>.bpmn`` in a process source.

    Raises NotFound naming the processes that are available.
    """
    path = Path(name)
    if path.suffix == ".bpmn" or path.is_file():
        return path
    for source in process_sources(processes_dir):
        candidate = source.folder / f"{name}.bpmn"
        if candidate.is_file():
            return candidate
    known = ", ".join(p["process"] for p in available_processes(processes_dir)) or "(tidak ada)"
    raise NotFound(f"Proses {name!r} tidak ditemukan; yang tersedia: {known}.", process=name)
