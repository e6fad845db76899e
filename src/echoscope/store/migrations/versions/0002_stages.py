"""Stage runs, collector state and the echoes stage's tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from echoscope.store._migrate import create_tables, drop_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("stage_runs", "collector_state", "echo_clusters", "echo_members", "channel_boilerplate", "echo_signatures")


def upgrade() -> None:
    create_tables(*TABLES)


def downgrade() -> None:
    drop_tables(*TABLES)
