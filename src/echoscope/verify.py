"""Tamper evidence: re-hash what the store kept and name every record that no longer matches.

Each post version keeps its raw record as the exact text that was hashed at ingest; re-hashing it must
give the stored `raw_sha256`. A mismatch means the database was changed outside echoscope, or damaged.
The media files are not in the store: they are read again where they were read at ingest (the export
folder or .zip, the collectors' media folders) and must still hash to what was recorded then. On SQLite
the database file itself is checked too (pages, indexes, foreign keys).
Nothing is repaired: the analyst decides what to do with evidence that moved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from echoscope.errors import SourceError
from echoscope.evidence import sha256_hex
from echoscope.media.locate import MediaFiles
from echoscope.store import Store
from echoscope.store.reader import (
    count_stored_media,
    integrity_problems,
    iter_stored_media,
)


@dataclass(frozen=True)
class Mismatch:
    channel_id: str | None
    post_id: int
    version: int
    stored_sha256: str
    actual_sha256: str


@dataclass
class VerifyReport:
    checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)


def verify_raw_records(store: Store) -> VerifyReport:
    report = VerifyReport()
    for row in store.iter_raw_versions():
        report.checked += 1
        actual = sha256_hex(row.raw.encode())
        if actual != row.raw_sha256:
            report.mismatches.append(Mismatch(row.channel_id, row.post_id, row.version, row.raw_sha256, actual))
    return report


def verify_database(store: Store) -> list[str] | None:
    """What the database's own check finds wrong with its file ([] when sound); None where there is none (PostgreSQL)."""
    with store.reading() as conn:
        return integrity_problems(conn)


@dataclass(frozen=True)
class MediaProblem:
    channel_id: str | None
    post_id: int
    kind: str
    path: str
    problem: str  # "changed" (other bytes now) or "unreadable" (gone, moved, or its source cannot be read back)
    detail: str  # the SHA-256 now, or why the file could not be read


@dataclass
class MediaReport:
    checked: int = 0  # distinct files: one file carried by several posts is read once
    problems: list[MediaProblem] = field(default_factory=list)


def verify_media(store: Store, media_dirs: tuple[str, ...] = (), progress: Callable[[int, int], None] | None = None) -> MediaReport:
    """Re-hash every media file the store holds a hash of, where it was read at ingest, in chunks."""
    report = MediaReport()
    found: dict[tuple[str, str, str], tuple[str, str] | None] = {}
    with store.reading() as conn:
        total = count_stored_media(conn)
    with MediaFiles(media_dirs=media_dirs) as files, store.reading() as conn:
        for done, row in enumerate(iter_stored_media(conn), 1):
            where = (row.source, row.locator, row.path or "")
            if where not in found:
                found[where] = _media_problem(files, row)
                report.checked += 1
            if found[where] is not None:
                report.problems.append(MediaProblem(row.channel_id, row.post_id, row.kind, row.path or "", *found[where]))
            if progress is not None:
                progress(done, total)
    return report


def _media_problem(files: MediaFiles, row) -> tuple[str, str] | None:
    try:
        sha256, _ = files.digest(row.source, row.locator, row.path or "")
    except SourceError as exc:
        return "unreadable", str(exc)
    return None if sha256 == row.sha256 else ("changed", f"SHA-256 now {sha256}")
