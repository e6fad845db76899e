"""Moving records from a source into the store, in batches, one transaction per batch.

A source only yields records; this module decides when they are committed. If the source fails part
way (a truncated export), every record it yielded before the failure is committed before the error
propagates, so a re-run after fixing the file only adds what was missing.

Two cores, two jobs: given a source (not a plain iterable), reading and preparing posts (parsing,
normalising, hashing) runs in a worker process while this one writes; a pipe and a bounded queue let the
worker run a few chunks ahead and no further, so memory stays flat whatever the export size.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Protocol

from echoscope.errors import EchoscopeError, SourceError
from echoscope.memory import existing_objects_frozen
from echoscope.model import Capture, Channel, Event, Post, Record, SourceWarning
from echoscope.store import Store
from echoscope.store.channels import upsert_channel
from echoscope.store.prepared import (
    PreparedPost,
    decode_prepared,
    encode_prepared,
    prepare_post,
)
from echoscope.store.writer import (
    WriteCounts,
    add_capture,
    write_events,
    write_posts,
    write_warnings,
)
from echoscope.text.normalize import normalize_many

DEFAULT_BATCH = 5000
_CHUNK = 1000  # records per message between the worker and the writer
_AHEAD = 8  # chunks the worker may run ahead of the writer: overlap without unbounded memory
_NORMALIZE_RUN = 1000  # posts normalised together by normalize_many; longer runs are no faster per post


class Source(Protocol):
    name: str

    def iter_records(self) -> Iterator[Record]: ...


@dataclass
class IngestSummary:
    """What one ingest did, for the analyst's summary table."""

    channels: set[tuple[str, str]] = field(default_factory=set)  # (platform, channel_id)
    posts: WriteCounts = field(default_factory=WriteCounts)
    new_events: int = 0
    media: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    messages: int = 0


@dataclass
class _Pending:
    posts: dict[tuple[str, str], list[PreparedPost]] = field(default_factory=dict)
    events: dict[tuple[str, str], list[Event]] = field(default_factory=dict)
    warnings: list[SourceWarning] = field(default_factory=list)
    size: int = 0


class _Batcher:
    def __init__(self, store: Store, summary: IngestSummary, progress: Callable[[int], None] | None):
        self.store = store
        self.summary = summary
        self.progress = progress
        self.capture_pk: int | None = None
        self.channel_pks: dict[tuple[str, str], int] = {}  # (platform, channel_id) → key
        self.pending = _Pending()

    def take(self, record: Record) -> None:
        if isinstance(record, Capture):
            self.flush()
            with self.store.transaction() as conn:
                self.capture_pk = add_capture(conn, record, self.store.operator)
        elif isinstance(record, Channel):
            self.flush()
            with self.store.transaction() as conn:
                self.channel_pks[record.platform, record.channel_id] = upsert_channel(conn, record, self.capture_pk)
            self.summary.channels.add((record.platform, record.channel_id))
        elif isinstance(record, PreparedPost):
            self.pending.posts.setdefault((record.platform, record.channel_id), []).append(record)
            self.summary.media.update(item["status"] for item in record.media)
            self.pending.size += 1
        elif isinstance(record, Event):
            self.pending.events.setdefault((record.platform, record.channel_id), []).append(record)
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
            for channel, batch in pending.posts.items():
                self.summary.posts.add(write_posts(conn, self._channel(channel), batch, self.capture_pk))
            for channel, batch in pending.events.items():
                self.summary.new_events += write_events(conn, self._channel(channel), batch, self.capture_pk)
            # A warning names a channel id without its platform: any channel of this capture with that id.
            by_id = {channel_id: pk for (_, channel_id), pk in self.channel_pks.items()}
            warned = [(item, by_id.get(item.channel_id)) for item in pending.warnings]
            write_warnings(conn, warned, self.capture_pk)
        self.summary.messages += pending.size
        if self.progress:
            self.progress(pending.size)

    def _channel(self, channel: tuple[str, str]) -> int:
        try:
            return self.channel_pks[channel]
        except KeyError:
            raise SourceError(f"a source yielded posts of {channel[1]} ({channel[0]}) before the channel itself") from None


def prepared(records: Iterable[Record]) -> Iterator[Record | PreparedPost]:
    """The records, in order, with every Post prepared for writing (the per-post work that needs no
    database). Consecutive posts are held back in runs of up to _NORMALIZE_RUN to normalise them together."""
    posts: list[Post] = []
    try:
        for record in records:
            if isinstance(record, Post):
                posts.append(record)
                if len(posts) < _NORMALIZE_RUN:
                    continue
            run, posts = posts, []  # emptied first: if preparing fails, the handler below has nothing to redo
            yield from _prepare_run(run)
            if not isinstance(record, Post):
                yield record
    except Exception:
        # The source failed: the posts it yielded before are complete, and are stored (evidence first).
        yield from _prepare_run(posts)
        raise
    yield from _prepare_run(posts)


def _prepare_run(posts: list[Post]) -> Iterator[PreparedPost]:
    for post, text_norm in zip(posts, normalize_many([post.text for post in posts]), strict=True):
        yield prepare_post(post, text_norm)


class _Chunker:
    """Collects records in the worker; runs of prepared posts travel as JSON bytes, the rest pickled."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.items: list = []
        self.posts: list[PreparedPost] = []
        self.count = 0  # records in this chunk (a run of posts is one item but many records)

    def add(self, record) -> None:
        if isinstance(record, PreparedPost):
            self.posts.append(record)
        else:
            self._close_run()
            self.items.append(record)
        self.count += 1
        if self.count >= _CHUNK:
            self.send()

    def _close_run(self) -> None:
        if self.posts:
            try:
                self.items.append(encode_prepared(self.posts))
            except TypeError:  # a value JSON cannot hold (an integer beyond 64 bits): pickle these
                self.items.extend(self.posts)
            self.posts = []

    def send(self) -> None:
        self._close_run()
        self.pipe.send(self.items)
        self.items = []
        self.count = 0


def _worker(source: Source, pipe) -> None:
    """Run in the worker process: read and prepare, send chunks, then None, or the error that ended it.

    A pipe, not a multiprocessing.Queue: `send` blocks while the writer's queue is full, so memory is
    bounded (a Queue's feeder thread lets it grow instead)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the writer's to handle: it stops this process
    chunker = _Chunker(pipe)
    try:
        for record in prepared(source.iter_records()):
            chunker.add(record)
        chunker.send()
        pipe.send(None)
    except Exception as exc:  # handed to the writer, which stores what came before and re-raises it
        chunker.send()
        pipe.send(exc if isinstance(exc, EchoscopeError) else SourceError(f"{source.name}: {exc!r}"))
    finally:
        pipe.close()


def _receive(receiver, worker, chunks: queue.Queue) -> None:
    """Thread in the writer's process: keep up to _AHEAD chunks ready, so reading and writing overlap."""
    while True:
        try:
            chunk = receiver.recv()
        except (EOFError, OSError):
            worker.join()
            chunk = SourceError(f"the reading process ended unexpectedly (exit code {worker.exitcode})")
        chunks.put(chunk)
        if chunk is None or isinstance(chunk, BaseException):
            return


def _from_worker(source: Source) -> Iterator[Record | PreparedPost]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_worker, args=(source, sender), daemon=True)
    worker.start()
    sender.close()  # only the worker writes: if it dies, recv() ends with EOFError instead of waiting
    chunks: queue.Queue = queue.Queue(maxsize=_AHEAD)
    threading.Thread(target=_receive, args=(receiver, worker, chunks), daemon=True).start()
    try:
        while (chunk := chunks.get()) is not None:
            if isinstance(chunk, BaseException):
                raise chunk
            for item in chunk:
                if isinstance(item, bytes):
                    yield from decode_prepared(item)
                else:
                    yield item
    finally:
        worker.terminate()
        worker.join()
        receiver.close()


def ingest(
    store: Store,
    source: Source | Iterable[Record],
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Write a source's records to the store; `progress` is called with the messages each batch adds.

    A Source is read in a worker process; a plain iterable of records is read in this one.
    """
    summary = IngestSummary()
    batcher = _Batcher(store, summary, progress)
    with existing_objects_frozen():  # frozen before the reader forks: see echoscope.memory
        records = _from_worker(source) if hasattr(source, "iter_records") else prepared(source)
        try:
            for record in records:
                batcher.take(record)
                if batcher.pending.size >= batch_size:
                    batcher.flush()
        finally:
            # Records yielded before a failure are complete: keep them (evidence first).
            batcher.flush()
    return summary
