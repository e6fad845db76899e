"""Findings with their evidence, and trend counts (issue 7).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from echoscope.store._migrate import create_tables, drop_tables

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES: tuple[str, ...] = ("findings", "finding_evidence", "trend_counts")


def upgrade() -> None:
    create_tables(*TABLES)


def downgrade() -> None:
    drop_tables(*TABLES)
