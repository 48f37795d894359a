"""tuning extras: Hyperband rungs, warm-start seeds — no table: they live in tuning_jobs.state (JSON)
of migration 0006.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # nothing to add: see the docstring


def downgrade() -> None:
    pass
