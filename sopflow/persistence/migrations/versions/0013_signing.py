"""signing_key_files: the uploaded PKCS#12 file of each registered signing certificate

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-02

The file is kept as uploaded (encrypted with the owner's passphrase, which is never
stored); the certificate's public part stays in ``user_certificates`` (0011).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_key_files",
        sa.Column("certificate_id", sa.Integer(), sa.ForeignKey("user_certificates.id"), primary_key=True),
        sa.Column("pkcs12", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("signing_key_files")
