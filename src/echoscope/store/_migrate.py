"""Helpers for migrations that add whole tables.

A new table is created from its definition in the schema modules, so its shape is written once. This
holds as long as a table's later changes come as later migrations that check what exists first.
"""

from __future__ import annotations

from alembic import op


def create_tables(*names: str) -> None:
    from echoscope.store.tables import metadata

    bind = op.get_bind()
    for name in names:
        metadata.tables[name].create(bind, checkfirst=True)


def drop_tables(*names: str) -> None:
    from echoscope.store.tables import metadata

    bind = op.get_bind()
    for name in reversed(names):
        metadata.tables[name].drop(bind, checkfirst=True)
