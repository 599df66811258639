"""users.session_epoch (server-side session invalidation); api_tokens.expires_at and revoked_at

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10

Tokens issued before this revision had no expiry: they get one 90 days after the upgrade.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LEGACY_TOKEN_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))
    expires = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(days=LEGACY_TOKEN_DAYS)
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime()))
    op.execute(tokens.update().where(tokens.c.expires_at.is_(None)).values(expires_at=expires))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("expires_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
