"""process drafts: the diagram the process owner is editing, kept even when invalid

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_drafts",
        sa.Column("process_id", sa.String(length=120), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("process_id"),
    )


def downgrade() -> None:
    op.drop_table("process_drafts")
