"""Moving records from a source into the store, in batches, one transaction per batch.

A source only yields records; this module decides when they are committed. If the source fails part
way (a truncated export), every record it yielded before the failure is committed before the error
propagates, so a re-run after fixing the file only adds what was missing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from echoscope.errors import SourceError
from echoscope.model import Capture, Channel, Event, Post, Record, SourceWarning
from echoscope.store import Store
from echoscope.store.channels import upsert_channel
from echoscope.store.writer import WriteCounts, add_capture, write_events, write_posts, write_warnings

DEFAULT_BATCH = 5000


@dataclass
class IngestSummary:
    """What one ingest did, for the analyst's summary table."""

    channels: set[str] = field(default_factory=set)
    posts: WriteCounts = field(default_factory=WriteCounts)
    new_events: int = 0
    media: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    messages: int = 0


@dataclass
class _Pending:
    posts: dict[str, list[Post]] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    warnings: list[SourceWarning] = field(default_factory=list)
    size: int = 0


class _Batcher:
    def __init__(self, store: Store, summary: IngestSummary, progress: Callable[[int], None] | None):
        self.store = store
        self.summary = summary
        self.progress = progress
        self.capture_pk: int | None = None
        self.channel_pks: dict[str, int] = {}
        self.pending = _Pending()

    def take(self, record: Record) -> None:
        if isinstance(record, Capture):
            self.flush()
            with self.store.transaction() as conn:
                self.capture_pk = add_capture(conn, record, self.store.operator)
        elif isinstance(record, Channel):
            self.flush()
            with self.store.transaction() as conn:
                self.channel_pks[record.channel_id] = upsert_channel(conn, record, self.capture_pk)
            self.summary.channels.add(record.channel_id)
        elif isinstance(record, Post):
            self.pending.posts.setdefault(record.channel_id, []).append(record)
            self.summary.media.update(item.status for item in record.media)
            self.pending.size += 1
        elif isinstance(record, Event):
            self.pending.events.setdefault(record.channel_id, []).append(record)
            self.pending.size += 1
        elif isinstance(record, SourceWarning):
            self.pending.warnings.append(record)
            self.summary.warnings.append(f"{record.location}: {record.message}")

    def flush(self) -> None:
        pending, self.pending = self.pending, _Pending()
        if not (pending.size or pending.warnings):
            return
        if self.capture_pk is None:
            raise SourceError("a source yielded records before saying what it read (no Capture record)")
        with self.store.transaction() as conn:
            for channel_id, batch in pending.posts.items():
                self.summary.posts.add(write_posts(conn, self._channel(channel_id), batch, self.capture_pk))
            for channel_id, batch in pending.events.items():
                self.summary.new_events += write_events(conn, self._channel(channel_id), batch, self.capture_pk)
            warned = [(item, self.channel_pks.get(item.channel_id)) for item in pending.warnings]
            write_warnings(conn, warned, self.capture_pk)
        self.summary.messages += pending.size
        if self.progress:
            self.progress(pending.size)

    def _channel(self, channel_id: str) -> int:
        try:
            return self.channel_pks[channel_id]
        except KeyError:
            raise SourceError(f"a source yielded posts of {channel_id} before the channel itself") from None


def ingest(
    store: Store,
    records: Iterable[Record],
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Write a source's records to the store; `progress` is called with the messages each batch adds."""
    summary = IngestSummary()
    batcher = _Batcher(store, summary, progress)
    try:
        for record in records:
            batcher.take(record)
            if batcher.pending.size >= batch_size:
                batcher.flush()
    finally:
        # Records yielded before a failure are complete: keep them (evidence first).
        batcher.flush()
    return summary
