"""audit events: per-case hash chain, and append-only enforced by the database

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from sopflow.audit.chain import chain

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION sopflow_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=False, server_default=""))
    _backfill()
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION sopflow_audit_append_only()"
        )
    elif bind.dialect.name == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{operation.lower()} BEFORE {operation} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: {operation} refused'); END"
            )


def _backfill() -> None:
    """Chain the events written before this migration (in their recorded order)."""
    bind = op.get_bind()
    events = sa.table(
        "audit_events",
        sa.column("id"),
        sa.column("case_id"),
        sa.column("seq"),
        sa.column("at", sa.DateTime()),
        sa.column("actor"),
        sa.column("kind"),
        sa.column("task_id"),
        sa.column("element_id"),
        sa.column("data", sa.JSON()),
        sa.column("prev_hash"),
        sa.column("hash"),
    )
    rows = [dict(r._mapping) for r in bind.execute(sa.select(events).order_by(events.c.case_id, events.c.seq))]
    by_case: dict[str, list[dict]] = {}
    for row in rows:
        by_case.setdefault(row["case_id"], []).append(row)
    for case_rows in by_case.values():
        for row, (prev, digest) in zip(case_rows, chain(case_rows), strict=True):
            bind.execute(events.update().where(events.c.id == row["id"]).values(prev_hash=prev, hash=digest))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS sopflow_audit_append_only()")
    elif bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
