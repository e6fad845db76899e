"""Cached translations (issue 4).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from echoscope.store._migrate import create_tables, drop_tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES: tuple[str, ...] = ("translations",)


def upgrade() -> None:
    create_tables(*TABLES)


def downgrade() -> None:
    drop_tables(*TABLES)
