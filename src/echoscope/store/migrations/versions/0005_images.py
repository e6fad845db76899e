"""Media hashes and image-reuse clusters (issue 6).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from echoscope.store._migrate import create_tables, drop_tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("image_hashes", "image_anchor_lookups", "image_robust_links", "image_clusters", "image_members")


def upgrade() -> None:
    create_tables(*TABLES)


def downgrade() -> None:
    drop_tables(*TABLES)
