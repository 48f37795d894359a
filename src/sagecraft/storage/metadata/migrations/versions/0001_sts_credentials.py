"""STS: temporary credentials issued by AssumeRole

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sts_credentials",
        sa.Column("access_key_id", sa.String(length=128), nullable=False),
        sa.Column("secret_access_key", sa.String(length=128), nullable=False),
        sa.Column("session_token", sa.Text(), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("user_id", sa.String(length=193), nullable=False),
        sa.Column("role_arn", sa.String(length=2048), nullable=False),
        sa.Column("role_session_name", sa.String(length=64), nullable=False),
        sa.Column("source_identity", sa.String(length=256), nullable=True),
        sa.Column("issuer_arn", sa.String(length=2048), nullable=False),
        sa.Column("session_policy", sa.JSON(), nullable=True),
        sa.Column("policy_arns", sa.JSON(), nullable=True),
        sa.Column("session_tags", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("access_key_id", name=op.f("pk_sts_credentials")),
    )
    op.create_index(op.f("ix_sts_credentials_expires_at"), "sts_credentials", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sts_credentials_expires_at"), table_name="sts_credentials")
    op.drop_table("sts_credentials")
