"""Chunked SHA-256 of evidence files.

Media files and whole exports can be several GB, so they are hashed in fixed 1 MiB chunks: memory stays
bounded whatever the size, and the digest is the same as a one-shot `hashlib.sha256(data)`.
"""

from __future__ import annotations

import hashlib
import os
from typing import BinaryIO

CHUNK_SIZE = 1 << 20


def digest_stream(stream: BinaryIO) -> tuple[str, int]:
    """SHA-256 hex digest and byte count of everything `stream` yields until its end."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def sha256_stream(stream: BinaryIO) -> str:
    """SHA-256 hex digest of what `stream` yields from its current position to its end."""
    return digest_stream(stream)[0]


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of the file at `path`, read in chunks."""
    with open(path, "rb") as stream:
        return sha256_stream(stream)


def content_path(sha256: str, suffix: str) -> str:
    """Where a live collector keeps a downloaded file inside its media folder: named by its SHA-256
    (`ab/ab12….jpg`), so a file is stored once however many posts carry it, and found again by its hash."""
    return f"{sha256[:2]}/{sha256}{suffix}"
