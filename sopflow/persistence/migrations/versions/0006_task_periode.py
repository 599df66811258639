"""human_tasks.periode: the inbox reads the projection alone, without joining cases

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("periode", sa.String(length=40), nullable=False, server_default=""))
    op.execute("UPDATE human_tasks SET periode = (SELECT periode FROM cases WHERE cases.id = human_tasks.case_id)")


def downgrade() -> None:
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.drop_column("periode")
