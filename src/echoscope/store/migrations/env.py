"""Alembic environment: echoscope always hands over an open connection (see store/engine.py)."""

from alembic import context

from echoscope.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
