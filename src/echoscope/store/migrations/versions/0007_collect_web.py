"""Web preview collection (issue 3).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from echoscope.store._migrate import create_tables, drop_tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES: tuple[str, ...] = ()


def upgrade() -> None:
    create_tables(*TABLES)


def downgrade() -> None:
    drop_tables(*TABLES)
