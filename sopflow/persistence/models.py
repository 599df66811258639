"""SQLAlchemy 2.0 tables. Schema changes go through Alembic (``sopflow/migrations``).

All timestamps are stored as naive UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base of every sopflow table."""


class ProcessVersion(Base):
    """One immutable version of a process: BPMN text (with SHA-256), forms, config, parsed spec."""

    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("process_id", "version", name="uq_process_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    properties: Mapped[dict[str, Any]] = mapped_column(JsonType)
    forms: Mapped[dict[str, Any]] = mapped_column(JsonType)
    config: Mapped[dict[str, Any]] = mapped_column(JsonType)
    spec_state: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="published")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ProcessDraft(Base):
    """The process owner's work in progress on a process diagram (one per process; may be invalid)."""

    __tablename__ = "process_drafts"

    process_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    base_version: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Case(Base):
    """A running or finished case (process instance) with its serialized workflow state."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_process_periode", "process_id", "periode"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    process_id: Mapped[str] = mapped_column(String(120))
    periode: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(20))
    failure: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    started_by: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    # Every UPDATE carries "WHERE version = <loaded>": a concurrent change raises StaleDataError.
    # SQLAlchemy's typing declares it an instance attribute, though mappers read it from the class
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}  # type: ignore[misc]


class HumanTask(Base):
    """Projection of the tasks people act on; the inbox reads this, never the workflow state."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_state_lane", "state", "lane", "due_at"),
        Index("ix_human_tasks_claimed_by", "claimed_by", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    # copied from the case so the inbox never joins ``cases`` (planners misjudge that join at scale)
    periode: Mapped[str] = mapped_column(String(40), default="")
    element_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str | None] = mapped_column(String(120), nullable=True)
    label: Mapped[str | None] = mapped_column(String(300), nullable=True)
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(20))
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ready_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    escalated_to: Mapped[str | None] = mapped_column(String(120), nullable=True)


class AuditEvent(Base):
    """Append-only record of everything that happened to a case, hash-chained per case.

    The database refuses UPDATE and DELETE on this table (triggers, migration 0003).
    """

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_audit_case_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(32), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    element_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Document(Base):
    """A file a case produced or received (format isian, upload, report, archive entry)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    element_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    meta: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class User(Base):
    """A person who logs in: the lanes they act in, the units (Bidang) they belong to, roles."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    lanes: Mapped[list[str]] = mapped_column(JsonType)
    units: Mapped[list[str]] = mapped_column(JsonType)
    roles: Mapped[list[str]] = mapped_column(JsonType)
    lead_lanes: Mapped[list[str]] = mapped_column(JsonType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # the user's own switch (profile page): in-app notifications stay, e-mail stops
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    # the session generation: signing out or a new password bumps it and ends every web session
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # printed in signature blocks (Laporan, SOP document, signature stamp)
    nip: Mapped[str | None] = mapped_column(String(30), nullable=True)
    position_title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # where the person signs in: "local" (password here), "oidc" or "ldap"
    auth_source: Mapped[str] = mapped_column(String(20), default="local", server_default="local")
    # the directory's stable id of the person (OIDC "sub", LDAP entry id)
    external_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # set when the directory no longer maps the person to any lane or role
    retired_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (UniqueConstraint("auth_source", "external_subject", name="uq_users_auth_subject"),)


class UserCertificate(Base):
    """A signing certificate registered to a user (public part only, never the key)."""

    __tablename__ = "user_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    fingerprint_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(500))
    serial_number: Mapped[str] = mapped_column(String(80))
    not_before: Mapped[datetime] = mapped_column(DateTime)
    not_after: Mapped[datetime] = mapped_column(DateTime)
    certificate_pem: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ApiToken(Base):
    """A bearer token of a user for the REST API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # None: refused (migration 0010)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class StagedUpload(Base):
    """A file uploaded for a task before the task is completed (kept across form re-renders)."""

    __tablename__ = "staged_uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    field: Mapped[str] = mapped_column(String(120))
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class CaseSnapshot(Base):
    """What one command left: the summary point-in-time views and replay read, and maybe the full state.

    ``seq`` is the sequence number of the last audit event that command wrote. The workflow
    state (zlib-compressed, with its SHA-256) is kept for the start, every command a person
    gave and the end; engine steps run by a job keep the summary only (claims write none).
    """

    __tablename__ = "case_snapshots"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_snapshot_case_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    state_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state_zlib: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # what the point-in-time view needs (latest task data, ready task specs), so it never inflates the state
    summary: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Job(Base):
    """One unit of background work, recorded in the outbox in the transaction that caused it.

    The row is the job's identity: a worker runs it inside one transaction that also marks
    it ``done``, so a redelivered or duplicated message finds it done and does nothing.
    ``kind``: ``advance_case`` (the service steps after a completion) or ``send_email``.
    ``status``: ``pending`` → ``done`` | ``failed`` (retries exhausted; a person retries it).
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    triggered_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Notification(Base):
    """A message to one user (in-app list; e-mailed when they and the instance allow it).

    ``(username, kind, task_id)`` is unique: each notification about a task exists once.
    ``email_status``: ``menunggu`` | ``terkirim`` | ``gagal`` | ``nonaktif`` (user switched it
    off) | ``tanpa_alamat`` | ``smtp_belum_diatur``.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("username", "kind", "task_id", name="uq_notification_once"),
        Index("ix_notifications_user_created", "username", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    email_status: Mapped[str] = mapped_column(String(30))
    email_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class TaskAlert(Base):
    """That a timed alert (``due_soon``, ``overdue``) fired for a task; unique, so it fires once."""

    __tablename__ = "task_alerts"
    __table_args__ = (UniqueConstraint("task_id", "kind", name="uq_task_alert_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))
    fired_at: Mapped[datetime] = mapped_column(DateTime)


class AuditHead(Base):
    """The anchor of one case's audit chain: the sequence number and hash of its newest event.

    :meth:`sopflow.audit.records.AuditLog.write` updates it in the transaction that appends the
    events, so it always names the chain's head; verification compares every chain with
    its anchor (a cut-off tail, a case whose events are all gone, a missing anchor). The
    database refuses DELETE and any UPDATE that lowers ``seq`` (migration 0009).
    """

    __tablename__ = "audit_heads"

    case_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class AuditCheckpoint(Base):
    """A signed (Ed25519) statement over the heads of every case's audit chain at one moment.

    ``id`` is the checkpoint number (1, 2, …); ``changes`` lists ``[case_id, seq, hash]`` of
    the heads that changed since the previous checkpoint, so folding them in order gives the
    full set whose Merkle root is ``heads_root``. ``prev`` is the SHA-256 of the previous
    checkpoint's statement (a chain of checkpoints). Append-only (migration 0009); see
    :mod:`sopflow.audit.checkpoint`.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    events: Mapped[int] = mapped_column(Integer)
    cases: Mapped[int] = mapped_column(Integer)
    heads_root: Mapped[str] = mapped_column(String(64))
    changes_root: Mapped[str] = mapped_column(String(64))
    changes: Mapped[list[Any]] = mapped_column(JsonType)
    prev: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
