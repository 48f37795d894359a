"""KMS keys, aliases and grants

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "kms_keys",
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("key_usage", sa.String(length=32), nullable=False),
        sa.Column("key_spec", sa.String(length=32), nullable=False),
        sa.Column("key_manager", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deletion_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_window_days", sa.Integer(), nullable=True),
        sa.Column("rotation_enabled", sa.Boolean(), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_kms_keys")),
    )
    op.create_index(op.f("ix_kms_keys_account_id_region"), "kms_keys", ["account_id", "region"])
    op.create_table(
        "kms_aliases",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("alias_name", name_column(256), nullable=False),
        sa.Column("target_key_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["target_key_id"], ["kms_keys.key_id"],
                                name=op.f("fk_kms_aliases_target_key_id_kms_keys"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "region", "alias_name", name=op.f("pk_kms_aliases")),
    )
    op.create_table(
        "kms_grants",
        sa.Column("grant_id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=True),
        sa.Column("grantee_principal", sa.String(length=256), nullable=False),
        sa.Column("retiring_principal", sa.String(length=256), nullable=True),
        sa.Column("operations", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["kms_keys.key_id"], name=op.f("fk_kms_grants_key_id_kms_keys"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("grant_id", name=op.f("pk_kms_grants")),
    )
    op.create_index(op.f("ix_kms_grants_key_id"), "kms_grants", ["key_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_kms_grants_key_id"), table_name="kms_grants")
    op.drop_table("kms_grants")
    op.drop_table("kms_aliases")
    op.drop_index(op.f("ix_kms_keys_account_id_region"), table_name="kms_keys")
    op.drop_table("kms_keys")
