"""sopflow: run a Standard Operating Procedure as an executable, auditable BPMN process.

The public surface: the :class:`Engine` and its command objects, the read-only queries in
:mod:`sopflow.queries`, :class:`Database`, :class:`Settings` and the error tree. Callers
(CLI, web) use nothing else. The names are loaded on first use, so ``import sopflow.plugins``
(a handler's only import of sopflow) does not build the engine.

Subpackages: ``engine`` (commands and how they run), ``process`` (diagrams, drafts, versions),
``persistence`` (tables, database, migrations), ``audit`` (hash chain, history, replay,
evidence), ``access`` (users, tokens, authorization), ``calendar`` (working days, escalation),
``queries`` (inbox, case list, dashboard), ``sopdoc`` (the SOP document), ``documents``
(OOXML, PDF/A), ``jobs`` (outbox, runner, scheduler), ``signing`` (PAdES), ``identity``
(OIDC, LDAP), ``plugins`` (handler contract, registry, SOP packages), ``cli``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sopflow.engine.boundary import Engine
    from sopflow.engine.commands import (
        CaseOutcome,
        ClaimTask,
        CompleteUserTask,
        MigrateCases,
        PublishDraft,
        PublishedVersion,
        ReassignTask,
        RetryFailedStep,
        SaveDraft,
        StageUpload,
        StartInstance,
        UnclaimTask,
        Upload,
    )
    from sopflow.errors import (
        CaseAlreadyExists,
        ExpressionRejected,
        HandlerFailed,
        InvalidForm,
        InvalidProcess,
        NotAssignee,
        NotFound,
        PermissionDenied,
        SopflowError,
        StaleInstance,
        TaskClaimedByOther,
        TaskNotReady,
    )
    from sopflow.persistence.db import Database
    from sopflow.settings import Settings

__all__ = [
    "CaseAlreadyExists",
    "CaseOutcome",
    "ClaimTask",
    "CompleteUserTask",
    "Database",
    "Engine",
    "ExpressionRejected",
    "HandlerFailed",
    "InvalidForm",
    "InvalidProcess",
    "MigrateCases",
    "NotAssignee",
    "NotFound",
    "PermissionDenied",
    "PublishDraft",
    "PublishedVersion",
    "ReassignTask",
    "RetryFailedStep",
    "SaveDraft",
    "Settings",
    "SopflowError",
    "StageUpload",
    "StaleInstance",
    "StartInstance",
    "TaskClaimedByOther",
    "TaskNotReady",
    "UnclaimTask",
    "Upload",
]
_SPECIAL = {"Engine": "sopflow.engine.boundary", "Database": "sopflow.persistence.db", "Settings": "sopflow.settings"}


def _module_of(name: str) -> str | None:
    if name in _SPECIAL:
        return _SPECIAL[name]
    if name not in __all__:
        return None
    from sopflow import errors

    return "sopflow.errors" if hasattr(errors, name) else "sopflow.engine.commands"


def __getattr__(name: str) -> Any:
    module = _module_of(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
