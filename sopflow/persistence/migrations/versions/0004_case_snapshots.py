"""case snapshots: the workflow state after each command, compressed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state_sha256", sa.String(length=64), nullable=False),
        sa.Column("state_zlib", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "seq", name="uq_snapshot_case_seq"),
    )
    with op.batch_alter_table("case_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_snapshots_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_snapshots_case_id"))
    op.drop_table("case_snapshots")
