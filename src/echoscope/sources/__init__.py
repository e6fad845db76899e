"""Sources read the outside world and yield plain records (`echoscope.model`); they never touch the store.

A source is a class with a `name` (also its CLI argument) and an `iter_records()` generator that yields
a Capture first, then each Channel before its Posts, Events and SourceWarnings. A new source is one
module plus one line in SOURCES.
"""

from echoscope.sources.table import TableSource
from echoscope.sources.tdesktop import TelegramDesktopExport

SOURCES = [TelegramDesktopExport, TableSource]
