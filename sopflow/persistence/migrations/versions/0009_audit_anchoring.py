"""audit anchoring: per-case anchors (audit_heads), signed checkpoints, TRUNCATE and REPLACE refused

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

- ``audit_heads``: one row per case (seq and hash of its newest event), backfilled here.
  Never deleted; ``seq`` only grows.
- ``audit_checkpoints``: append-only signed checkpoints (see sopflow/audit/checkpoint.py).
- PostgreSQL: BEFORE TRUNCATE (statement) triggers on the three audit tables refuse
  TRUNCATE for every role except a superuser. A superuser can switch any trigger off
  (ALTER TABLE … DISABLE TRIGGER, session_replication_role), so refusing it would protect
  nothing and would break maintenance such as the test suite's table reset; the real
  barrier is the non-superuser application role without TRUNCATE (README "Database roles").
- SQLite: ``INSERT OR REPLACE``/``REPLACE`` deletes the conflicting row without firing the
  DELETE trigger (recursive_triggers is off), so a BEFORE INSERT trigger refuses a row
  whose (case_id, seq) or id already exists; the same guards cover the two new tables.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
AUDIT_TABLES = ("audit_events", "audit_heads", "audit_checkpoints")

_PG_FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION sopflow_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF NOT COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) THEN
        RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE OR REPLACE FUNCTION sopflow_audit_table_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE OR REPLACE FUNCTION sopflow_audit_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_heads is append-only: DELETE refused';
    END IF;
    IF NEW.case_id <> OLD.case_id OR NEW.seq < OLD.seq THEN
        RAISE EXCEPTION 'audit_heads only moves forward: UPDATE to seq % (was %) refused', NEW.seq, OLD.seq;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
""",
)

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
    "WHEN EXISTS (SELECT 1 FROM audit_events WHERE (case_id = NEW.case_id AND seq = NEW.seq) OR id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: REPLACE refused'); END",
    "CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads "
    "BEGIN SELECT RAISE(ABORT, 'audit_heads is append-only: DELETE refused'); END",
    "CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE ON audit_heads "
    "WHEN NEW.case_id <> OLD.case_id OR NEW.seq < OLD.seq "
    "BEGIN SELECT RAISE(ABORT, 'audit_heads only moves forward: UPDATE refused'); END",
    "CREATE TRIGGER audit_heads_no_replace BEFORE INSERT ON audit_heads "
    "WHEN EXISTS (SELECT 1 FROM audit_heads WHERE case_id = NEW.case_id) "
    "BEGIN SELECT RAISE(ABORT, 'audit_heads is append-only: REPLACE refused'); END",
    "CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints "
    "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints "
    "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE refused'); END",
    "CREATE TRIGGER audit_checkpoints_no_replace BEFORE INSERT ON audit_checkpoints "
    "WHEN EXISTS (SELECT 1 FROM audit_checkpoints WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: REPLACE refused'); END",
)
_SQLITE_TRIGGER_NAMES = [statement.split()[2] for statement in _SQLITE_TRIGGERS]


def upgrade() -> None:
    op.create_table(
        "audit_heads",
        sa.Column("case_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("heads_root", sa.String(64), nullable=False),
        sa.Column("changes_root", sa.String(64), nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("prev", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    # every existing chain is anchored at its current head
    op.execute(
        "INSERT INTO audit_heads (case_id, seq, hash, updated_at) "
        "SELECT e.case_id, e.seq, e.hash, e.at FROM audit_events e "
        "WHERE e.seq = (SELECT MAX(l.seq) FROM audit_events l WHERE l.case_id = e.case_id)"
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for function in _PG_FUNCTIONS:
            op.execute(function)
        for table in AUDIT_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION sopflow_audit_no_truncate()"
            )
        op.execute(
            "CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE OR DELETE ON audit_heads "
            "FOR EACH ROW EXECUTE FUNCTION sopflow_audit_head_forward_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints "
            "FOR EACH ROW EXECUTE FUNCTION sopflow_audit_table_append_only()"
        )
    elif bind.dialect.name == "sqlite":
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in AUDIT_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS audit_heads_forward_only ON audit_heads")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON audit_checkpoints")
        for function in (
            "sopflow_audit_no_truncate",
            "sopflow_audit_table_append_only",
            "sopflow_audit_head_forward_only",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    elif bind.dialect.name == "sqlite":
        for name in _SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_heads")
