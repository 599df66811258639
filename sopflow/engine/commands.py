"""Frozen command objects: what a caller (CLI, web, demo) asks the engine to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Upload:
    """A file sent with a form: original name and bytes."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class StartInstance:
    """Start a case of the latest published version of ``process_id``."""

    process_id: str
    actor: str
    periode: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClaimTask:
    """Take a ready task so that nobody else in the lane works on it."""

    task_id: str
    actor: str


@dataclass(frozen=True)
class UnclaimTask:
    """Give a claimed task back to the lane."""

    task_id: str
    actor: str


@dataclass(frozen=True)
class CompleteUserTask:
    """Complete a ready user task with its form data and uploaded files."""

    task_id: str
    actor: str
    data: dict[str, Any] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)


@dataclass(frozen=True)
class ReassignTask:
    """Hand a ready task to another member of its lane (by the lane's head or an admin)."""

    task_id: str
    actor: str
    to_user: str


@dataclass(frozen=True)
class StageUpload:
    """Store a file for a task's upload field before the task is completed."""

    task_id: str
    actor: str
    field: str
    upload: Upload


@dataclass(frozen=True)
class RetryFailedStep:
    """Run a failed service step again, optionally correcting task data first."""

    case_id: str
    actor: str
    data_patch: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseOutcome:
    """What a command left behind: the case's status, open tasks and any failed step."""

    case_id: str
    status: str
    version: int
    open_tasks: list[dict[str, Any]]
    failure: dict[str, Any] | None = None
    #: the case's queued, running or failed jobs (service steps waiting for a worker)
    jobs: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class PublishedVersion:
    """A stored process version."""

    process_id: str
    version: int
    sha256: str
    name: str


@dataclass(frozen=True)
class SaveDraft:
    """Keep the process owner's edited diagram as the draft of ``process_id`` (valid or not)."""

    process_id: str
    bpmn_xml: str
    actor: str


@dataclass(frozen=True)
class PublishDraft:
    """Validate the draft of ``process_id`` and publish it as the newest immutable version."""

    process_id: str
    actor: str
    note: str


@dataclass(frozen=True)
class MigrateCases:
    """Move running cases of ``process_id`` to published version ``to_version`` where that is safe."""

    process_id: str
    to_version: int
    actor: str
    case_ids: tuple[str, ...] | None = None
    dry_run: bool = False
