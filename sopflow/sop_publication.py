"""The SOP document of a published version, as the web download, the CLI and the PDF job make it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from . import store
from .settings import Settings
from .sop_document import publish_date, render_sop_document
from .sop_logo import logo_bytes


@dataclass(frozen=True)
class PublishedSop:
    """The .docx of one version's SOP document and the names it is offered under."""

    process_id: str
    version: int
    docx: bytes

    @property
    def stem(self) -> str:
        """File name without extension, e.g. ``monev_kinerja-v3-sop``."""
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
