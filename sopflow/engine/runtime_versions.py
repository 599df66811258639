"""The versions of the libraries a case's outcome depends on, recorded when it starts.

Due dates come from ``holidays``, documents from ``docxtpl``/``python-docx``/``openpyxl``/
``matplotlib``, scripts run in ``RestrictedPython`` and the engine is SpiffWorkflow: a
different release of any of them can change what a replay reproduces. ``constraints.txt``
pins them for installs; each case's ``case_started`` event keeps the versions it ran with,
and a replay on other versions says so next to its verdict.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata

#: distributions whose release can change a case's recorded outcome
REPLAY_DISTRIBUTIONS = (
    "SpiffWorkflow",
    "RestrictedPython",
    "holidays",
    "docxtpl",
    "python-docx",
    "openpyxl",
    "matplotlib",
    "jsonschema",
    "lxml",
)


@lru_cache(maxsize=1)
def current_versions() -> dict[str, str]:
    """Return ``{distribution: version}`` of the installed replay-relevant libraries."""
    found = {}
    for name in REPLAY_DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "tidak terpasang"
    return found


def differences(recorded: dict[str, str] | None, current: dict[str, str] | None = None) -> list[str]:
    """Return one Indonesian line per library whose version differs from the recorded one."""
    if not recorded:
        return []
    current = current if current is not None else current_versions()
    return [
        f"{name} {current.get(name, 'tidak terpasang')} (kasus berjalan dengan {version})"
        for name, version in sorted(recorded.items())
        if current.get(name, "tidak terpasang") != version
    ]
