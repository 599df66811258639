"""The engine's commands about process versions: publish, drafts, migration of running cases.

:class:`ProcessCommands` is a mixin of :class:`sopflow.engine.boundary.Engine`; it expects the
engine's ``db``, ``clock`` and ``services``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sopflow.engine import case_migration
from sopflow.engine.command_log import logged_command
from sopflow.engine.commands import MigrateCases, PublishDraft, PublishedVersion, SaveDraft
from sopflow.persistence import store
from sopflow.process import drafts
from sopflow.process.spec_loader import ProcessDefinition, load_process_file

if TYPE_CHECKING:
    from sopflow.engine.case_run import Services
    from sopflow.persistence.db import Database


class ProcessCommands:
    """Process-version commands of the engine."""

    db: Database
    clock: Callable[[], datetime]
    services: Services

    @logged_command
    def publish_process(self, source: str | Path | ProcessDefinition, actor: str, note: str = "") -> PublishedVersion:
        """Validate a BPMN file (or definition) and store it as the newest published version.

        Raises InvalidProcess listing every problem; an identical latest version is reused.
        """
        definition = source if isinstance(source, ProcessDefinition) else load_process_file(source)
        with self.db.unit_of_work() as session:
            row = store.publish_version(session, definition, actor, note, self.clock())
            return PublishedVersion(row.process_id, row.version, row.sha256, row.name)

    @logged_command
    def save_draft(self, cmd: SaveDraft) -> dict[str, Any]:
        """Keep the edited diagram as the draft, even when invalid; see :func:`sopflow.process.drafts.save_draft`.

        Raises PermissionDenied, NotFound (user), InvalidProcess (malformed or hostile XML; nothing stored).
        """
        with self.db.unit_of_work() as session:
            return drafts.save_draft(session, cmd, self.clock())

    def validate_bpmn(self, process_id: str, bpmn_xml: str) -> list[dict[str, Any]]:
        """Return the problems ``[{"element", "message"}]`` of an edited diagram ([] when valid); saves nothing."""
        with self.db.reading() as session:
            return drafts.validate_bpmn(session, process_id, bpmn_xml)

    @logged_command
    def publish_draft(self, cmd: PublishDraft) -> PublishedVersion:
        """Publish the draft as the next immutable version and delete it.

        Raises PermissionDenied, InvalidForm (empty note), NotFound (no draft), InvalidProcess.
        """
        with self.db.unit_of_work() as session:
            return drafts.publish_draft(session, cmd, self.clock())

    def migration_preview(self, process_id: str, to_version: int) -> list[dict[str, Any]]:
        """Tell for each running case on an older version whether it can move to ``to_version`` and why not.

        Rows: ``{"case_id", "periode", "from_version", "can_migrate", "reason"}``. Raises NotFound.
        """
        with self.db.reading() as session:
            target = store.version_of(session, process_id, to_version)
            rows = case_migration.candidates(session, process_id, to_version)
            return [case_migration.preview_case(case, version, target) for case, version in rows]

    @logged_command
    def migrate_cases(self, cmd: MigrateCases) -> list[dict[str, Any]]:
        """Move running cases to ``cmd.to_version`` where safe, one transaction per case (rows add ``migrated``).

        Raises PermissionDenied, NotFound (user or version).
        """
        return case_migration.migrate_cases(self.db, self.services, cmd, self.clock)
