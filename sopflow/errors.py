"""The one exception tree of sopflow; the web layer maps each class to an HTTP status.

Messages are in Bahasa Indonesia because they reach the user as they are.
"""

from __future__ import annotations

from typing import Any


class SopflowError(Exception):
    """Base of every error the engine raises on purpose."""

    http_status = 400

    def __init__(self, message: str, **ids: Any) -> None:
        super().__init__(message)
        self.message = message
        self.ids = {k: v for k, v in ids.items() if v is not None}

    def __str__(self) -> str:
        return self.message


class NotFound(SopflowError):
    """A case, task, process version or user does not exist."""

    http_status = 404


class TaskNotReady(SopflowError):
    """The task is no longer (or not yet) open, e.g. completed in another tab."""

    http_status = 409


class NotAssignee(SopflowError):
    """The actor may not act on this task (other lane, other unit, claimed by someone else)."""

    http_status = 403


class TaskClaimedByOther(NotAssignee):
    """The task is claimed by another user."""

    http_status = 409


class StaleInstance(SopflowError):
    """The case changed since it was read; reload and try again."""

    http_status = 409


class InvalidForm(SopflowError):
    """Submitted data does not satisfy the task's form; ``errors`` maps field → messages."""

    http_status = 422

    def __init__(self, message: str, errors: list[dict[str, Any]], **ids: Any) -> None:
        super().__init__(message, **ids)
        self.errors = errors

    def field_errors(self) -> dict[str, list[str]]:
        """Return the messages grouped by form field ('' for the whole form)."""
        grouped: dict[str, list[str]] = {}
        for err in self.errors:
            grouped.setdefault(err.get("field") or "", []).append(err["message"])
        return grouped


class CaseAlreadyExists(InvalidForm):
    """A process already has a case for the periode: a conflict with existing state (409), reported on ``periode``."""

    http_status = 409


class InvalidProcess(SopflowError):
    """A BPMN file or its forms/config are not valid; ``problems`` name the elements."""

    http_status = 422

    def __init__(self, message: str, problems: list[dict[str, Any]], **ids: Any) -> None:
        super().__init__(message, **ids)
        self.problems = problems


class ExpressionRejected(SopflowError):
    """A diagram expression tried something the sandbox forbids."""

    http_status = 422


class HandlerFailed(SopflowError):
    """A service step failed; the step is kept in error and can be retried."""

    http_status = 500

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None, **ids: Any) -> None:
        super().__init__(message, **ids)
        self.errors = errors or [{"message": message}]


class PermissionDenied(SopflowError):
    """The actor lacks the role needed for this command."""

    http_status = 403


class DeploymentError(SopflowError):
    """The installation cannot run: an invalid setting, a missing data file, an unsafe secret key."""

    http_status = 500


class SchemaOutdated(DeploymentError):
    """The database schema is not at the newest migration; ``sopflow db upgrade`` brings it there."""
