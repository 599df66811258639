"""The engine: commands that change a case, and the machinery that runs them on SpiffWorkflow.

Public surface: :class:`Engine` (``sopflow.engine.boundary``; every command of a case or a
process goes through it) and the command objects of :mod:`sopflow.engine.commands`. The rest is
how a command runs: :mod:`case_run` (one case's workflow inside a transaction), :mod:`serializer`
(workflow state to JSON and back, task data with dates), :mod:`sandbox` and :mod:`script_engine`
(diagram expressions under RestrictedPython with limits), :mod:`stepping` and :mod:`tree_facts`
(advancing and reading the task tree), :mod:`workflow_cache` (specs built once per version),
:mod:`projection` (human task rows), :mod:`forms`/:mod:`start_data`/:mod:`uploads`/:mod:`files`
(what a user submits), :mod:`process_commands` and :mod:`case_migration` (publishing and moving
cases between versions), :mod:`runtime_versions` and :mod:`command_log`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sopflow.engine.boundary import Engine

__all__ = ["Engine"]


def __getattr__(name: str) -> Any:
    # lazy, so that importing a submodule (e.g. sopflow.engine.sandbox) does not build the whole engine
    if name == "Engine":
        from sopflow.engine.boundary import Engine

        return Engine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
