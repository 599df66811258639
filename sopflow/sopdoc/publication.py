"""The SOP document of a published version, as the web download, the CLI and the PDF job make it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from sopflow.persistence import store
from sopflow.settings import Settings
from sopflow.sopdoc.document import render_sop_document
from sopflow.sopdoc.logo import logo_bytes


def publish_date(created_at: datetime, timezone: str) -> date:
    """Return the local calendar day of a version's publication (stored as naive UTC)."""
    aware = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone)).date()


@dataclass(frozen=True)
class PublishedSop:
    """The .docx of one version's SOP document and the names it is offered under."""

    process_id: str
    version: int
    docx: bytes

    @property
    def stem(self) -> str:
        """File name without extension, e.g. ``cuti_pegawai-v3-sop``."""
        safe = "".join(c if c.isalnum() or c in "_.-" else "_" for c in self.process_id)
        return f"{safe}-v{self.version}-sop"


def render_published_sop(session: Session, settings: Settings, process_id: str, version: int | None) -> PublishedSop:
    """Render the SOP document of a published version (the newest when ``version`` is None).

    Raises NotFound for an unknown process or version.
    """
    row = store.version_of(session, process_id, version)
    docx = render_sop_document(
        store.definition_of(row),
        revised_on=publish_date(row.created_at, settings.timezone),
        version=row.version,
        logo=logo_bytes(settings.logo_file),
    )
    return PublishedSop(row.process_id, row.version, docx)
