"""Live Telegram API collection (issue 3).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from echoscope.store._migrate import create_tables, drop_tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES: tuple[str, ...] = ("post_observations",)


def upgrade() -> None:
    create_tables(*TABLES)


def downgrade() -> None:
    drop_tables(*TABLES)
