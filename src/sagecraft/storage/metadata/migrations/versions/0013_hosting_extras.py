"""hosting extras: data capture, serverless, multi-model, pipelines, capacity changes — no table:
their state lives in hosting_resources' JSON columns (request, runtime) of migration 0005.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # nothing to add: see the docstring


def downgrade() -> None:
    pass
