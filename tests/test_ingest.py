"""Batching: one transaction per batch, and nothing already read is lost when a source fails."""

from __future__ import annotations

import gc

import pytest

from builders import capture, channel, post
from echoscope.errors import ParseError, SourceError
from echoscope.ingest import ingest


def _failing_source(good: int):
    yield capture()
    yield channel()
    for post_id in range(1, good + 1):
        yield post(post_id, f"post {post_id}")
    raise ParseError("unexpected end of file", location="result.json: after message 7, byte 9000")


def test_records_read_before_a_parse_error_are_committed(store):
    batches, frozen = [], []

    def progress(added: int) -> None:
        batches.append(added)
        frozen.append(gc.get_freeze_count())

    with pytest.raises(ParseError, match="after message 7"):
        ingest(store, _failing_source(7), batch_size=3, progress=progress)
    assert store.counts()["posts"] == 7
    assert batches == [3, 3, 1]
    # What existed before the ingest was out of the collector's sight while it ran, and is given back
    # after, also when it fails (echoscope.memory)
    assert min(frozen) > 0 and gc.get_freeze_count() == 0


def test_running_again_after_a_failure_adds_only_what_is_missing(store):
    with pytest.raises(ParseError):
        ingest(store, _failing_source(4), batch_size=2)
    summary = ingest(store, [capture(sha="f" * 64), channel(), *(post(i, f"post {i}") for i in range(1, 9))])
    assert (summary.posts.new, summary.posts.unchanged) == (4, 4)


def test_a_source_must_say_what_it_read_before_posts(store):
    with pytest.raises(SourceError, match="no Capture"):
        ingest(store, [channel(), post(1, "x")])


class _DyingSource:
    """A source whose reading process is killed outright (as by the OOM killer) after its capture."""

    name = "dying"

    def iter_records(self):
        import os

        yield capture()
        yield channel()
        os._exit(3)


def test_a_reading_process_that_dies_is_an_error_not_a_hang(store):
    with pytest.raises(SourceError, match=r"ended unexpectedly \(exit code 3\)"):
        ingest(store, _DyingSource())
