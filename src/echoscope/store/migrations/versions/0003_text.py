"""Text understanding: languages, mentions, symbols, narratives, alerts (issue 4).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from echoscope.store._migrate import create_tables, drop_tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("post_language", "text_analysis", "mentions", "symbol_pairings", "narrative_tags", "fired_alerts")


def upgrade() -> None:
    create_tables(*TABLES)


def downgrade() -> None:
    drop_tables(*TABLES)
