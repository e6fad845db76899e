"""One error tree for everything echoscope raises on purpose.

    EchoscopeError
     ├── SourceError            reading the outside world failed
     │    ├── ParseError        a file or page is malformed (names the file and the place)
     │    ├── UnsafePath        a path or archive member would escape its root, or breaks a limit
     │    └── SourceUnavailable the source cannot be reached or opened at all
     ├── StoreError             the database refused or is unusable
     ├── QueryError             a search query or filter cannot be run (never shown as "0 results")
     ├── StageError             an analysis stage failed
     └── ConfigError            a setting, flag or registry file is wrong

Library code raises these and never prints; the CLI turns them into one line and an exit code.
"""

from __future__ import annotations


class EchoscopeError(Exception):
    """Base of every deliberate echoscope error."""

    exit_code = 1


class SourceError(EchoscopeError):
    """Reading a source (export, page, API, table) failed."""


class ParseError(SourceError):
    """Malformed input. `location` names the file and the place (message id or byte offset)."""

    def __init__(self, message: str, *, location: str | None = None):
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class UnsafePath(SourceError):
    """A path or archive member would escape its root or break a safety limit."""


class SourceUnavailable(SourceError):
    """The source does not exist or cannot be opened."""


class StoreError(EchoscopeError):
    """The store cannot be opened or written."""


class QueryError(EchoscopeError):
    """A search query or filter that cannot be run as given."""

    exit_code = 2


class StageError(EchoscopeError):
    """An enrich or link stage failed."""


class ConfigError(EchoscopeError):
    """A setting, flag or registry file is wrong."""

    exit_code = 2
