"""case_snapshots.summary: the point-in-time view reads it instead of inflating the state

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_snapshots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "summary",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("case_snapshots", schema=None) as batch_op:
        batch_op.drop_column("summary")
