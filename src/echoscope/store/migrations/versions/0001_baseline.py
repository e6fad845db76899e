"""Baseline: the first released schema.

New databases are created from `store/schema.py` and stamped with the newest revision, so this baseline
has nothing to do; later revisions alter databases created at or after it.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
