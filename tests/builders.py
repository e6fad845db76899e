"""Small builders for records, so store tests read as the situation they describe."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from echoscope.model import TELEGRAM, Capture, Channel, Media, Post

BASE = datetime(2023, 6, 7, 9, 0, tzinfo=UTC)


def capture(name: str = "result.json", sha: str = "a" * 64) -> Capture:
    return Capture(source="tdesktop", locator=name, sha256=sha, collected_at=BASE + timedelta(days=30), tool_version="test")


def channel(bare_id: int = 1001, title: str = "Friends of Russia in Iraq") -> Channel:
    return Channel(platform=TELEGRAM, channel_id=f"channel{bare_id}", title=title, type="public_channel")


def post(post_id: int, text: str = "", *, bare_id: int = 1001, hours: float = 0, **fields) -> Post:
    fields.setdefault("raw", {"id": post_id, "type": "message", "text": text})
    return Post(
        platform=TELEGRAM,
        channel_id=f"channel{bare_id}",
        post_id=post_id,
        date=BASE + timedelta(hours=hours),
        text=text,
        **fields,
    )


def photo(sha: str | None = "b" * 64, status: str = "stored") -> Media:
    return Media(kind="photo", status=status, path="photos/photo_1.jpg", sha256=sha, size=1234 if sha else None)


def wait_for_posts(path: Path, at_least: int, process) -> int:
    """How many posts a child process has stored in the SQLite file `path`, once it holds `at_least`: the
    moment a kill-and-resume test interrupts it. Fails if the child ends or hangs first."""
    deadline = time.monotonic() + 60  # a guard against a hung child, not a performance limit
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        if path.exists():
            try:
                with sqlite3.connect(path) as conn:
                    found = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
            except sqlite3.OperationalError:  # the schema is still being created
                continue
            if found >= at_least:
                return found
    raise AssertionError(f"the child stored fewer than {at_least} posts before it ended or hung")
