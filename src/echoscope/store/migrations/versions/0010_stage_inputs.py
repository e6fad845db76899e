"""The settings each stage's stored results were made with (stage_inputs).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from echoscope.store._migrate import create_tables, drop_tables

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES: tuple[str, ...] = ("stage_inputs",)


def upgrade() -> None:
    create_tables(*TABLES)


def downgrade() -> None:
    drop_tables(*TABLES)
