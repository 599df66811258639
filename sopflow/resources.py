"""Where the installed package keeps its built-in data: processes, templates and sample data.

The repository keeps ``processes/``, ``templates/`` and ``samples/`` at its top level; the
packaging configuration (``pyproject.toml``) maps them into the namespace package
``sopflow_sops`` (``sopflow_sops.processes`` → ``processes/`` and so on), so they travel in
the wheel and are found the same way in an editable install (``pip install -e .``) and in a
real installation — never relative to a checkout.

The lookup goes through the import system (:func:`importlib.util.find_spec`) and returns the
package's real directory. We do not return ``importlib.resources.files()`` directly: for a
namespace package in an editable install, Python 3.11's ``files()`` fails on the path hook
placeholder that setuptools adds to ``__path__``; and callers need a real
:class:`~pathlib.Path` (files are opened by name, folders listed, paths shown to users).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sopflow.errors import DeploymentError

PROCESSES_PACKAGE = "sopflow_sops.processes"
TEMPLATES_PACKAGE = "sopflow_sops.templates"
SAMPLES_PACKAGE = "sopflow_sops.samples"


def package_dir(package: str) -> Path:
    """Return the real directory of a data package (e.g. ``sopflow_sops.processes``).

    Raises DeploymentError when the package is not installed (a broken installation).
    """
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        folder = Path(location)
        if folder.is_dir():
            return folder.resolve()
    raise DeploymentError(
        f"Data bawaan sopflow ({package}) tidak ditemukan pada instalasi ini; pasang ulang paket sopflow."
    )


def builtin_processes_dir() -> Path:
    """The packaged SOP processes: ``<process>.bpmn``, ``forms/``, ``<process>.config.json``, ``kalender.json``."""
    return package_dir(PROCESSES_PACKAGE)


def builtin_templates_dir() -> Path:
    """The packaged document templates (``*.docx``) filled by the handlers."""
    return package_dir(TEMPLATES_PACKAGE)


def builtin_samples_dir() -> Path:
    """The packaged sample data (DATA CONTOH): ``<process>/demo.json``, indicators, filled forms."""
    return package_dir(SAMPLES_PACKAGE)


def require_file(path: Path, what: str) -> Path:
    """Return ``path`` when it is a file; otherwise raise DeploymentError naming it (``what`` says what it is)."""
    if not path.is_file():
        raise DeploymentError(f"Berkas {what} tidak ditemukan: {path}")
    return path


def require_dir(path: Path, what: str) -> Path:
    """Return ``path`` when it is a directory; otherwise raise DeploymentError naming it."""
    if not path.is_dir():
        raise DeploymentError(f"Folder {what} tidak ditemukan: {path}")
    return path
