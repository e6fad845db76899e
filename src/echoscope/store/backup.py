"""A copy of a SQLite store as it is now, consistent even while an ingest or a monitor writes to it.

Copying the database file while it is in use can catch it half-written, and in WAL mode the latest
commits are not in it yet. SQLite's `VACUUM INTO` writes a new database from one read transaction: every
committed row, nothing half-done, compacted. The copy is then opened read-only and checked, and its
SHA-256 returned, so the analyst can record which file holds which state of the evidence.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from echoscope.errors import StoreError
from echoscope.media.hashing import digest_stream
from echoscope.store import Store


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    sha256: str
    posts: int


def backup(store: Store, destination: Path) -> Backup:
    """Write the store to `destination` (a new file: an existing one is never overwritten) and check it."""
    if store.dialect != "sqlite":
        raise StoreError("backup copies SQLite stores; for PostgreSQL use pg_dump (pg_dump -Fc DATABASE_URL > FILE)")
    destination = destination.expanduser().absolute()
    if destination.exists():
        raise StoreError(f"{destination}: already exists; echoscope never overwrites a file, choose a new name")
    if not destination.parent.is_dir():
        raise StoreError(f"{destination.parent}: no such folder")
    raw = store.engine.raw_connection()  # outside any transaction: VACUUM cannot run inside one
    try:
        raw.cursor().execute("VACUUM INTO ?", (str(destination),))
    except sqlite3.Error as exc:
        raise StoreError(f"{destination}: the copy failed: {exc}") from None
    finally:
        raw.close()
    return _checked(destination)


def _checked(path: Path) -> Backup:
    """The copy opened read-only: SQLite's own check must pass, and its posts are counted."""
    copy = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        problems = [row[0] for row in copy.execute("PRAGMA integrity_check") if row[0] != "ok"]
        posts = copy.execute("SELECT count(*) FROM posts").fetchone()[0]
    finally:
        copy.close()
    if problems:
        raise StoreError(f"{path}: the copy does not pass SQLite's integrity check: {problems[0]}")
    with path.open("rb") as stream:
        sha256, size = digest_stream(stream)
    return Backup(path, size, sha256, posts)
