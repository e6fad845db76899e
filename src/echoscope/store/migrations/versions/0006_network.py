"""Coordination network: edges, communities, roles (issue 5).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from echoscope.store._migrate import create_tables, drop_tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES: tuple[str, ...] = ("network_edges", "network_channels")


def upgrade() -> None:
    create_tables(*TABLES)


def downgrade() -> None:
    drop_tables(*TABLES)
