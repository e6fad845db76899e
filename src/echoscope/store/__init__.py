"""The evidence store: the only package that speaks SQL.

    store = Store("echoscope.db")            # or "postgresql+psycopg://user@host/db"
    with store.transaction() as conn:
        capture_pk = writer.add_capture(conn, capture, operator)
    store.search("الناتو", limit=20)
"""

from __future__ import annotations

import getpass
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from sqlalchemy import Connection, func, select

from echoscope.model import RegistryEntry
from echoscope.store import reader
from echoscope.store import search as _search
from echoscope.store.channels import apply_registry_entry
from echoscope.store.engine import create_store_engine, prepare, writing
from echoscope.store.tables import metadata

DEFAULT_DB = "echoscope.db"


class Store:
    """An open store. SQLite by path (created on first use), PostgreSQL by URL, the same code for both."""

    def __init__(self, db: str | Path = DEFAULT_DB):
        self.engine = create_store_engine(db)
        prepare(self.engine)
        self.operator = _operator()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        with writing(self.engine) as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def counts(self) -> dict[str, int]:
        """Rows per table: what an idempotency check compares."""
        with self.reading() as conn:
            return {name: conn.execute(select(func.count()).select_from(table)).scalar_one() for name, table in metadata.tables.items()}

    def search(self, query: str, **filters) -> list[dict]:
        with self.reading() as conn:
            return _search.search(conn, query, **filters)

    def iter_posts(self) -> Iterator[dict]:
        with self.reading() as conn:
            yield from reader.iter_post_records(conn)

    def iter_raw_versions(self) -> Iterator:
        with self.reading() as conn:
            yield from reader.iter_raw_versions(conn)

    def channel_stats(self) -> list[dict]:
        with self.reading() as conn:
            return reader.channel_stats(conn)

    def import_registry(self, entries: Iterable[RegistryEntry]) -> tuple[int, int]:
        """Apply registry entries in one transaction (all or nothing); returns (created, updated)."""
        created = updated = 0
        with self.transaction() as conn:
            for entry in entries:
                if apply_registry_entry(conn, entry):
                    created += 1
                else:
                    updated += 1
        return created, updated


def _operator() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in containers without a passwd entry
        return None
