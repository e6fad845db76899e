"""Chunked SHA-256: published vectors, chunk boundaries, and reads that never exceed one chunk."""

from __future__ import annotations

import hashlib
import io

import pytest

from echoscope.media.hashing import CHUNK_SIZE, digest_stream, sha256_file, sha256_stream

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_known_answers():
    assert sha256_stream(io.BytesIO(b"")) == EMPTY
    assert sha256_stream(io.BytesIO(b"abc")) == ABC


@pytest.mark.parametrize("size", [1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 7])
def test_chunk_boundaries_match_a_one_shot_hash(size):
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert sha256_stream(io.BytesIO(data)) == hashlib.sha256(data).hexdigest()


def test_digest_stream_counts_the_bytes_it_hashed():
    data = b"x" * (CHUNK_SIZE + 1)
    assert digest_stream(io.BytesIO(data)) == (hashlib.sha256(data).hexdigest(), CHUNK_SIZE + 1)


def test_sha256_file_matches_the_stream_hash(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8 not really a jpeg " * 1000)
    assert sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()


class _RecordingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.requests: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.requests.append(size)
        return super().read(size)


def test_memory_is_bounded_by_one_chunk_whatever_the_size():
    stream = _RecordingStream(b"\0" * (5 * CHUNK_SIZE))
    sha256_stream(stream)
    assert set(stream.requests) == {CHUNK_SIZE}
    assert len(stream.requests) == 6  # five full chunks, then the empty read that ends it
