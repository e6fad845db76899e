"""Polite HTTP for live collectors: a pause between requests, retries with exponential backoff on
429, 5xx and network faults (honouring Retry-After), and a size cap on what is read.

One `PoliteClient` is shared by every worker thread of a run, so the pause holds for the run as a
whole, not per thread: concurrency overlaps waiting for answers, it never raises the request rate.
A wait longer than `max_wait` is not slept through: it ends the request with RateLimited, so the
caller can report the channel as waiting and move on.
"""

from __future__ import annotations

import email.utils
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

import echoscope
from echoscope.errors import SourceUnavailable
from echoscope.media.hashing import content_path, sha256_file

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_CHUNK = 1 << 16


class RateLimited(SourceUnavailable):
    """The site asked us to wait longer than we are willing to in this run."""

    def __init__(self, url: str, wait_seconds: float):
        self.wait_seconds = wait_seconds
        super().__init__(f"{url}: the site asks to wait {wait_seconds:.0f} s")


@dataclass(frozen=True, slots=True)
class Politeness:
    delay: float = 1.0  # seconds between the starts of two requests, across all threads
    retries: int = 4  # further attempts after the first
    backoff: float = 2.0  # first wait; doubles with every retry unless the site says Retry-After
    max_wait: float = 120.0  # a longer wait ends the request (RateLimited) instead of sleeping
    timeout: float = 30.0
    max_bytes: int = 8 << 20  # a t.me/s page is ~100 KB; anything this large is not one
    max_media_bytes: int = 64 << 20  # preview photos and video clips are far smaller


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # after redirects
    status: int
    body: bytes


class PoliteClient:
    def __init__(self, politeness: Politeness = Politeness(), *, sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None):
        self.politeness = politeness
        self.sleep = sleep
        self._lock = threading.Lock()
        self._next_start = 0.0
        self._client = httpx.Client(
            follow_redirects=True,
            timeout=politeness.timeout,
            transport=transport,
            headers={"User-Agent": f"echoscope/{echoscope.__version__} (research archive)"},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def get(self, url: str) -> Fetched:
        """The page at `url`, after retries; 4xx other than 429 are returned, not raised."""
        return self._with_retries(url, self._read_page)

    def download(self, url: str, folder: Path) -> tuple[str, str, int]:
        """Save `url` under `folder` at its content path; returns (that path relative to `folder`, sha256, size)."""
        folder.mkdir(parents=True, exist_ok=True)
        return self._with_retries(url, lambda response: _save(response, folder, url, self.politeness.max_media_bytes))

    def _with_retries(self, url, read):
        attempt = 0
        while True:
            self._pause()
            try:
                with self._client.stream("GET", url) as response:
                    if response.status_code not in _RETRY_STATUSES:
                        return read(response)
                    problem = f"HTTP {response.status_code}"
                    wait = _retry_after(response.headers.get("Retry-After"))
            except httpx.TransportError as exc:  # timeouts, refused and dropped connections
                problem, wait = f"{type(exc).__name__}: {exc}", None
            if wait is None:
                wait = self.politeness.backoff * 2**attempt
            if wait > self.politeness.max_wait:
                raise RateLimited(url, wait)
            if attempt >= self.politeness.retries:
                raise SourceUnavailable(f"{url}: {problem} after {attempt + 1} attempts")
            attempt += 1
            self.sleep(wait)

    def _read_page(self, response: httpx.Response) -> Fetched:
        body = bytearray()
        for chunk in response.iter_bytes(_CHUNK):
            body += chunk
            if len(body) > self.politeness.max_bytes:
                raise SourceUnavailable(f"{response.url}: larger than {self.politeness.max_bytes} bytes; not a web preview page")
        return Fetched(str(response.url), response.status_code, bytes(body))

    def _pause(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self.politeness.delay
        if start > now:
            self.sleep(start - now)


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _save(response: httpx.Response, folder: Path, url: str, max_bytes: int) -> tuple[str, str, int]:
    if response.status_code != 200:
        raise SourceUnavailable(f"{url}: HTTP {response.status_code}")
    suffix = Path(httpx.URL(url).path).suffix[:8]
    handle, name = tempfile.mkstemp(dir=folder, suffix=".part")
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in response.iter_bytes(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise SourceUnavailable(f"{url}: larger than {max_bytes} bytes")
                out.write(chunk)
        sha = sha256_file(name)  # the bytes as written, hashed by the same code as every other file
        relative = content_path(sha, suffix)
        (folder / relative).parent.mkdir(exist_ok=True)
        os.replace(name, folder / relative)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return relative, sha, size
