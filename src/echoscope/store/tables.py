"""Every table module, imported so `metadata` is complete before a database is created or migrated.

A stage that needs tables of its own adds a `schema_<area>.py` and one import line here.
"""

from echoscope.store import schema, schema_echoes  # noqa: F401
from echoscope.store import schema_text  # noqa: F401
from echoscope.store import schema_translations  # noqa: F401
from echoscope.store import schema_findings  # noqa: F401
from echoscope.store import schema_network  # noqa: F401
from echoscope.store import schema_images  # noqa: F401
from echoscope.store import schema_telegram  # noqa: F401

metadata = schema.metadata
