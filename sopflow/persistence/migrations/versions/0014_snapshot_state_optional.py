"""case_snapshots: the compressed workflow state is optional (engine steps run by a job keep none)

Every command still writes its snapshot row with the summary (latest task data, ready task
specs) that the point-in-time view and replay compare against; the full state, which only
forensics reads, is kept for the start, every command a person gave and the end.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_snapshots", schema=None) as batch_op:
        batch_op.alter_column("state_sha256", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("state_zlib", existing_type=sa.LargeBinary(), nullable=True)


def downgrade() -> None:
    # a summary-only snapshot has no state to give back: it is removed. The cases' current
    # state and their audit events are untouched; the point-in-time view of an event it
    # covered then shows the snapshot before it.
    op.execute("DELETE FROM case_snapshots WHERE state_zlib IS NULL")
    with op.batch_alter_table("case_snapshots", schema=None) as batch_op:
        batch_op.alter_column("state_zlib", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column("state_sha256", existing_type=sa.String(length=64), nullable=False)
