"""sopflow: run a Standard Operating Procedure as an executable, auditable BPMN process.

The public surface: the :class:`Engine` and its command objects, the read-only
queries in :mod:`sopflow.inbox`, and the error tree. Callers (CLI, web) use nothing else.
"""

from .commands import (
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
from .db import Database
from .engine import Engine
from .errors import (
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
from .settings import Settings

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
