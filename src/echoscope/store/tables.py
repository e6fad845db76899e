"""Every table module, imported so `metadata` is complete before a database is created or migrated.

A stage that needs tables of its own adds a `schema_<area>.py` and one import line here.
"""

from echoscope.store import schema, schema_echoes  # noqa: F401

metadata = schema.metadata
