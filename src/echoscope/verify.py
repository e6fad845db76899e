"""Tamper evidence: re-hash what the store kept and name every record that no longer matches.

Each post version keeps its raw record as the exact text that was hashed at ingest; re-hashing it must
give the stored `raw_sha256`. A mismatch means the database was changed outside echoscope, or damaged.
Nothing is repaired: the analyst decides what to do with evidence that moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from echoscope.evidence import sha256_hex
from echoscope.store import Store


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
