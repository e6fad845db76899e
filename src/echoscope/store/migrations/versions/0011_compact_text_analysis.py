"""text_analysis keyed by (post, stage), with its inputs as a 56-bit integer: the text pass writes four
of its rows a post, and they were a third of the pass's writing.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_COLUMNS = ("post_pk", "stage", "version", "inputs")


def upgrade() -> None:
    bind = op.get_bind()
    old = sa.Table("text_analysis", sa.MetaData(), autoload_with=bind)
    if "pk" not in old.c:
        return  # made in the new shape by 0003, which creates tables from their current definition
    from echoscope.store.schema_text import text_analysis
    from echoscope.store.text import inputs_key

    digests = [row[0] for row in bind.execute(sa.select(old.c.inputs).distinct())]
    keys = sa.case({digest: inputs_key(digest) for digest in digests}, value=old.c.inputs, else_=0) if digests else sa.literal(0)
    _replace(bind, old, text_analysis, sa.select(old.c.post_pk, old.c.stage, old.c.version, keys))


def downgrade() -> None:
    """Back to the 0010 shape. The digests cannot be had back from their keys: every post counts as
    analysed with other inputs, and the next run analyses it again, replacing its rows."""
    from echoscope.store.schema import metadata

    bind = op.get_bind()
    current = sa.Table("text_analysis", sa.MetaData(), autoload_with=bind)
    shapes = sa.MetaData(naming_convention=metadata.naming_convention)
    sa.Table("posts", shapes, autoload_with=bind)
    previous = sa.Table(
        "text_analysis", shapes,
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("post_pk", sa.ForeignKey("posts.pk"), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("inputs", sa.String(64), nullable=False),
        sa.UniqueConstraint("post_pk", "stage"),
    )
    _replace(bind, current, previous, sa.select(current.c.post_pk, current.c.stage, current.c.version, sa.literal("")))


def _replace(bind, old: sa.Table, new: sa.Table, rows: sa.Select) -> None:
    """Put `new` in the place of `old` (same name), filled with `rows` read from it: through a copy aside,
    since renaming would leave the old table's constraint names taken on PostgreSQL."""
    aside = sa.Table("text_analysis_aside", sa.MetaData(), *[sa.Column(name, new.c[name].type) for name in _COLUMNS])
    aside.create(bind)
    bind.execute(aside.insert().from_select(_COLUMNS, rows))
    old.drop(bind)
    new.create(bind)
    bind.execute(new.insert().from_select(_COLUMNS, sa.select(*[aside.c[name] for name in _COLUMNS])))
    aside.drop(bind)
