"""The table that keeps each registered certificate's PKCS#12 file exactly as it was uploaded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from sopflow.persistence.models import Base


class SigningKeyFile(Base):
    """The PKCS#12 file of a :class:`~sopflow.persistence.models.UserCertificate`, still encrypted with its passphrase.

    The passphrase is never stored: it is typed at each signature. Migration 0013.
    """

    __tablename__ = "signing_key_files"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("user_certificates.id"), primary_key=True)
    pkcs12: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(DateTime)
