"""S3 bucket default encryption

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "s3_bucket_encryption",
        sa.Column("bucket", name_column(63), nullable=False),
        sa.Column("configuration", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_s3_bucket_encryption")),
    )


def downgrade() -> None:
    op.drop_table("s3_bucket_encryption")
