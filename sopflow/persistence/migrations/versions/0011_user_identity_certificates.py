"""users: NIP, position title, identity source and retirement; user_certificates

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

- ``nip`` and ``position_title`` (jabatan) are printed in signature blocks.
- ``auth_source`` says where the user signs in (``local``, ``oidc`` or ``ldap``);
  ``external_subject`` is the directory's stable id of that person; ``retired_at`` is set
  when the directory no longer maps the person to any lane or role.
- ``user_certificates`` holds the signing certificates registered to a user (public
  part only: a private key never reaches the database).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("nip", sa.String(30), nullable=True))
        batch.add_column(sa.Column("position_title", sa.String(200), nullable=True))
        batch.add_column(sa.Column("auth_source", sa.String(20), nullable=False, server_default="local"))
        batch.add_column(sa.Column("external_subject", sa.String(255), nullable=True))
        batch.add_column(sa.Column("retired_at", sa.DateTime(), nullable=True))
        batch.create_unique_constraint("uq_users_auth_subject", ["auth_source", "external_subject"])
    op.create_table(
        "user_certificates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("fingerprint_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("serial_number", sa.String(80), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("not_after", sa.DateTime(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("user_certificates")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_auth_subject", type_="unique")
        batch.drop_column("retired_at")
        batch.drop_column("external_subject")
        batch.drop_column("auth_source")
        batch.drop_column("position_title")
        batch.drop_column("nip")
