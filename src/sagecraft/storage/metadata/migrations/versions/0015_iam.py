"""IAM users, groups, roles, managed and inline policies, access keys

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements rowid aliases only


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "iam_principals",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", name_column(128), nullable=False),
        sa.Column("name_key", name_column(128), nullable=False),
        sa.Column("unique_id", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("assume_role_policy", sa.Text(), nullable=True),
        sa.Column("max_session_duration", sa.Integer(), nullable=True),
        sa.Column("permissions_boundary", sa.String(length=2048), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iam_principals")),
        sa.UniqueConstraint("account_id", "kind", "name_key", name=op.f("uq_iam_principals_account_id_kind_name_key")),
    )
    op.create_table(
        "iam_policies",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name", name_column(128), nullable=False),
        sa.Column("name_key", name_column(128), nullable=False),
        sa.Column("policy_id", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("default_version", sa.String(length=8), nullable=False),
        sa.Column("next_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iam_policies")),
        sa.UniqueConstraint("arn", name=op.f("uq_iam_policies_arn")),
        sa.UniqueConstraint("account_id", "name_key", name=op.f("uq_iam_policies_account_id_name_key")),
    )
    op.create_table(
        "iam_policy_versions",
        sa.Column("policy_id", BigId, nullable=False),
        sa.Column("version_id", sa.String(length=8), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["policy_id"], ["iam_policies.id"], name=op.f("fk_iam_policy_versions_policy_id_iam_policies"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("policy_id", "version_id", name=op.f("pk_iam_policy_versions")),
    )
    op.create_table(
        "iam_inline_policies",
        sa.Column("principal_id", BigId, nullable=False),
        sa.Column("name", name_column(128), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["principal_id"], ["iam_principals.id"],
                                name=op.f("fk_iam_inline_policies_principal_id_iam_principals"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("principal_id", "name", name=op.f("pk_iam_inline_policies")),
    )
    op.create_table(
        "iam_attachments",
        sa.Column("principal_id", BigId, nullable=False),
        sa.Column("policy_arn", sa.String(length=2048), nullable=False),
        sa.ForeignKeyConstraint(["principal_id"], ["iam_principals.id"],
                                name=op.f("fk_iam_attachments_principal_id_iam_principals"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("principal_id", "policy_arn", name=op.f("pk_iam_attachments")),
    )
    op.create_index(op.f("ix_iam_attachments_policy_arn"), "iam_attachments", ["policy_arn"])
    op.create_table(
        "iam_group_members",
        sa.Column("group_id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["iam_principals.id"],
                                name=op.f("fk_iam_group_members_group_id_iam_principals"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["iam_principals.id"],
                                name=op.f("fk_iam_group_members_user_id_iam_principals"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_iam_group_members")),
    )
    op.create_index(op.f("ix_iam_group_members_user_id"), "iam_group_members", ["user_id"])
    op.create_table(
        "iam_access_keys",
        sa.Column("access_key_id", sa.String(length=128), nullable=False),
        sa.Column("secret_access_key", sa.String(length=128), nullable=False),
        sa.Column("principal_id", BigId, nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["principal_id"], ["iam_principals.id"],
                                name=op.f("fk_iam_access_keys_principal_id_iam_principals"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("access_key_id", name=op.f("pk_iam_access_keys")),
    )
    op.create_index(op.f("ix_iam_access_keys_principal_id"), "iam_access_keys", ["principal_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_iam_access_keys_principal_id"), table_name="iam_access_keys")
    op.drop_table("iam_access_keys")
    op.drop_index(op.f("ix_iam_group_members_user_id"), table_name="iam_group_members")
    op.drop_table("iam_group_members")
    op.drop_index(op.f("ix_iam_attachments_policy_arn"), table_name="iam_attachments")
    op.drop_table("iam_attachments")
    op.drop_table("iam_inline_policies")
    op.drop_table("iam_policy_versions")
    op.drop_table("iam_policies")
    op.drop_table("iam_principals")
