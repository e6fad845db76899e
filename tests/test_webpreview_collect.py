"""`collect web` against a real HTTP server on loopback serving the fixtures in tests/data/webpreview:
pagination, incremental rounds, retries, private and missing channels, throttled pages, re-checks
that find edits and deletions, --media, and a collector killed mid-run."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from echoscope.sources._http import PoliteClient, Politeness, RateLimited
from echoscope.sources.webpreview import WebOptions, collect
from echoscope.store import Store
from echoscope.store.schema import (
    captures,
    collector_state,
    events,
    post_versions,
    posts,
)

DATA = Path(__file__).parent / "data" / "webpreview"
NEWEST = (DATA / "channel_newest.html").read_bytes()
OLDER = (DATA / "channel_older.html").read_bytes()
ALL_POSTS = {1001, 1003, 1005, 1006, 1008, 1009}
FAST = Politeness(delay=0, retries=2, backoff=0.01, max_wait=5)


class Site:
    """A loopback server answering from a table: path?query → responses, used in order, the last one
    repeating. A response is (status, body, headers); `gate` holds a path until the test opens it."""

    def __init__(self):
        self.routes: dict[str, list[tuple[int, bytes, dict]]] = {}
        self.requests: list[str] = []
        self.gates: dict[str, threading.Event] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append(self.path)
                if self.path in site.gates:
                    site.gates[self.path].wait(30)
                answers = site.routes.get(self.path, [(404, b"<html>Not found</html>", {})])
                status, body, headers = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                """Quiet: a test server's request log would only clutter the test output."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, target: str, *bodies: bytes | tuple[int, bytes, dict]) -> None:
        self.routes[target] = [body if isinstance(body, tuple) else (200, body, {}) for body in bodies]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    served = Site()
    served.page("/s/demo_front", NEWEST)
    served.page("/s/demo_front?before=1003", OLDER)
    yield served
    served.close()


def options(site: Site, **changes) -> WebOptions:
    return WebOptions(base_url=site.url, politeness=FAST, **changes)


def without(page: bytes, post_id: int) -> bytes:
    """The page with one message widget removed, as Telegram shows it once the post is deleted."""
    head, *widgets = page.decode().split('<div class="tgme_widget_message_wrap')
    kept = [w for w in widgets if f'data-post="demo_front/{post_id}"' not in w]
    return '<div class="tgme_widget_message_wrap'.join([head, *kept]).encode()


def stored_ids(store: Store) -> list[int]:
    with store.reading() as conn:
        return sorted(conn.execute(select(posts.c.post_id)).scalars())


def test_a_first_round_pages_back_to_the_start_and_the_next_one_reads_only_the_newest_page(store, site):
    [first] = collect(store, ["demo_front"], options(site))
    assert (first.status, first.new_posts) == ("ok", len(ALL_POSTS))
    assert site.requests == ["/s/demo_front", "/s/demo_front?before=1003"]
    assert set(stored_ids(store)) == ALL_POSTS
    with store.reading() as conn:
        sources = set(conn.execute(select(captures.c.source, captures.c.locator)).all())
        service = set(conn.execute(select(events.c.post_id, events.c.action).where(events.c.kind == "service")).all())
    assert sources == {("web", site.url + "/s/demo_front"), ("web", site.url + "/s/demo_front?before=1003")}
    assert service == {(1, "create_channel"), (1010, "pin_message")}
    site.requests.clear()
    [second] = collect(store, ["@Demo_Front"], options(site))
    assert (second.status, second.new_posts, second.updated_posts) == ("ok", 0, 0)
    assert site.requests == ["/s/demo_front"]
    assert set(stored_ids(store)) == ALL_POSTS


def test_limit_and_since_bound_what_a_round_collects(sqlite_path, site):
    from datetime import UTC, datetime

    with Store(sqlite_path) as store:
        [limited] = collect(store, ["demo_front"], options(site, limit=2))
        assert (limited.status, limited.new_posts) == ("ok", 2)
        assert stored_ids(store) == [1008, 1009]
        assert site.requests == ["/s/demo_front"]
    with Store(sqlite_path.with_name("since.db")) as store:
        [result] = collect(store, ["demo_front"], options(site, since=datetime(2026, 1, 31, tzinfo=UTC)))
        assert result.status == "ok"
        assert set(stored_ids(store)) == ALL_POSTS - {1001}


def test_a_429_with_retry_after_is_waited_out_then_retried(site):
    site.page("/s/demo_front", (429, b"Too Many Requests", {"Retry-After": "3"}), NEWEST)
    slept = []
    with PoliteClient(Politeness(delay=0, retries=2, max_wait=10), sleep=slept.append) as client:
        fetched = client.get(site.url + "/s/demo_front")
    assert (fetched.status, fetched.body) == (200, NEWEST)
    assert slept == [3.0]
    assert site.requests == ["/s/demo_front", "/s/demo_front"]


def test_5xx_and_timeouts_back_off_exponentially_then_give_up(site):
    site.page("/s/broken", (503, b"", {}))
    slept = []
    with PoliteClient(Politeness(delay=0, retries=3, backoff=0.5), sleep=slept.append) as client:
        with pytest.raises(Exception, match="HTTP 503 after 4 attempts"):
            client.get(site.url + "/s/broken")
        with pytest.raises(RateLimited) as waited:
            site.page("/s/slow", (429, b"", {"Retry-After": "3600"}))
            client.get(site.url + "/s/slow")
    assert slept == [0.5, 1.0, 2.0]
    assert waited.value.wait_seconds == 3600
    assert site.requests.count("/s/slow") == 1  # a long wait is not a tight retry loop

    dead = f"http://127.0.0.1:{_closed_port()}"
    slept.clear()
    with PoliteClient(Politeness(delay=0, retries=1, backoff=0.25, timeout=2), sleep=slept.append) as client:
        with pytest.raises(Exception, match="ConnectError"):
            client.get(dead + "/s/x")
    assert slept == [0.25]


def test_a_page_that_does_not_answer_in_time_is_retried_then_reported(site):
    gate = site.gates["/s/stuck"] = threading.Event()
    slept = []
    try:
        with PoliteClient(Politeness(delay=0, retries=1, backoff=0.1, timeout=0.3), sleep=slept.append) as client:
            with pytest.raises(Exception, match="ReadTimeout.* after 2 attempts"):
                client.get(site.url + "/s/stuck")
    finally:
        gate.set()
    assert slept == [0.1]
    assert site.requests.count("/s/stuck") == 2


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_round_survives_a_server_error_then_success(store, site):
    site.page("/s/demo_front", (503, b"busy", {}), NEWEST)
    [result] = collect(store, ["demo_front"], options(site))
    assert (result.status, result.new_posts) == ("ok", len(ALL_POSTS))
    assert site.requests.count("/s/demo_front") == 2


def test_private_and_missing_channels_are_reported_and_the_batch_goes_on(store, site):
    site.page("/s/closed_club", (302, b"", {"Location": "/closed_club"}))
    site.page("/closed_club", (DATA / "private_channel.html").read_bytes())
    site.page("/s/throttled", (429, b"", {"Retry-After": "9999"}))
    site.page("/s/empty_chan", (DATA / "no_posts.html").read_bytes())
    names = ["closed_club", "nobody_here", "throttled", "empty_chan", "demo_front", "bad name!"]
    results = {r.channel: r for r in collect(store, names, options(site))}
    assert (results["empty_chan"].status, results["empty_chan"].new_posts) == ("ok", 0)
    assert results["closed_club"].status == "private"
    assert results["nobody_here"].status == "not-found"
    assert (results["throttled"].status, results["throttled"].wait_seconds) == ("waiting", 9999)
    assert results["bad name!"].status == "not-found"
    assert (results["demo_front"].status, results["demo_front"].new_posts) == ("ok", len(ALL_POSTS))
    with store.reading() as conn:
        states = dict(conn.execute(select(collector_state.c.channel_key, collector_state.c.status)).all())
    assert states["closed_club"] == "private" and states["throttled"] == "waiting"


@pytest.mark.parametrize("fixture, status", [("no_posts.html", "waiting"), ("rate_limited.html", "error")])
def test_an_empty_or_throttled_page_stores_nothing_marks_nothing_deleted_and_is_resumed(sqlite_path, site, fixture, status):
    with Store(sqlite_path) as store:
        list(collect(store, ["demo_front"], options(site)))
        before = store.counts()
        site.page("/s/demo_front", without(NEWEST, 1008))  # 1008 deleted, but the older page is throttled
        site.page("/s/demo_front?before=1003", (DATA / fixture).read_bytes())
        [result] = collect(store, ["demo_front"], options(site, recheck_days=400))
        assert (result.status, result.deletions) == (status, 0)
        with store.reading() as conn:
            assert conn.execute(select(posts.c.post_id).where(posts.c.deleted_at.is_not(None))).all() == []
            assert conn.execute(select(events).where(events.c.kind == "deletion")).all() == []
        assert store.counts()["posts"] == before["posts"]

        site.page("/s/demo_front?before=1003", OLDER)
        site.requests.clear()
        [resumed] = collect(store, ["demo_front"], options(site))
        assert resumed.status == "ok"
        assert site.requests[0] == "/s/demo_front?before=1003"  # the cut-short walk first


def test_a_recheck_records_deletions_with_the_page_that_lacked_them_and_edits_as_versions(store, site):
    list(collect(store, ["demo_front"], options(site)))
    edited = without(NEWEST, 1008).replace("صلاة للجيش الروسي".encode(), "صلاة للجيش الروسي!".encode())
    site.page("/s/demo_front", edited)
    [result] = collect(store, ["demo_front"], options(site, recheck_days=400))
    assert (result.status, result.deletions, result.updated_posts) == ("ok", 1, 1)
    assert set(stored_ids(store)) == ALL_POSTS  # nothing removed
    with store.reading() as conn:
        deleted = conn.execute(select(posts.c.post_id).where(posts.c.deleted_at.is_not(None))).scalars().all()
        [event] = conn.execute(select(events.c.post_id, events.c.raw, events.c.capture_pk).where(events.c.kind == "deletion")).all()
        page = conn.execute(select(captures.c.locator, captures.c.sha256).where(captures.c.pk == event.capture_pk)).one()
        versions = conn.execute(select(post_versions.c.version).join(posts).where(posts.c.post_id == 1005)).scalars().all()
    assert deleted == [1008]
    assert event.post_id == 1008
    assert page == (site.url + "/s/demo_front", hashlib.sha256(edited).hexdigest())
    assert '"page_sha256":"' + page.sha256 in event.raw and site.url + "/s/demo_front" in event.raw
    assert sorted(versions) == [1, 2]
    [again] = collect(store, ["demo_front"], options(site, recheck_days=400))
    assert again.deletions == 0  # a post is marked deleted once


def test_media_are_downloaded_and_hashed(store, site, tmp_path):
    photo = os.urandom(2048)
    site.page("/file/photo_1005.jpg", photo)
    site.page("/s/demo_front", NEWEST.replace(b"https://cdn4.telesco.pe", site.url.encode()))
    site.page("/s/demo_front?before=1003", OLDER)  # its photos are not served: recorded unavailable
    [result] = collect(store, ["demo_front"], options(site, media_dir=tmp_path / "media"))
    assert result.status == "ok"
    with store.reading() as conn:
        from echoscope.store.schema import media

        rows = {row.status: row for row in conn.execute(select(media.c.status, media.c.sha256, media.c.path, media.c.kind))}
    digest = hashlib.sha256(photo).hexdigest()
    assert rows["stored"].sha256 == digest
    assert (tmp_path / "media" / rows["stored"].path).read_bytes() == photo  # a content path inside the media folder
    assert rows["unavailable"].kind == "photo"


def test_a_collector_killed_mid_run_resumes_without_duplicates_or_gaps(sqlite_path, site):
    gate = site.gates["/s/demo_front?before=1003"] = threading.Event()
    command = [sys.executable, "-m", "echoscope", "collect", "web", "demo_front", "--db", str(sqlite_path),
               "--base-url", site.url, "--delay", "0"]
    killed = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while "/s/demo_front?before=1003" not in site.requests:  # the newest page is stored by now
        assert killed.poll() is None
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    with Store(sqlite_path) as store:
        assert set(stored_ids(store)) == {1003, 1005, 1006, 1008, 1009}
    gate.set()
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr
    with Store(sqlite_path) as store:
        ids = stored_ids(store)
    assert ids == sorted(ALL_POSTS)  # the older page was fetched, nothing twice


@pytest.mark.parametrize(
    "body, message",
    [(b"<html>" + b"x" * (9 << 20), "larger than"), (b"<html>\xff\xfe</html>", "not UTF-8 at byte 6")],
)
def test_an_oversized_or_undecodable_page_is_an_error_for_that_channel_only(store, site, body, message):
    site.page("/s/odd_channel", body)
    results = {r.channel: r for r in collect(store, ["odd_channel", "demo_front"], options(site))}
    assert results["odd_channel"].status == "error" and message in results["odd_channel"].note
    assert results["demo_front"].status == "ok"
    assert set(stored_ids(store)) == ALL_POSTS


def test_the_delay_spaces_requests_for_the_whole_client(site):
    slept = []
    with PoliteClient(Politeness(delay=0.5), sleep=slept.append) as client:
        client.get(site.url + "/s/demo_front")
        client.get(site.url + "/s/demo_front")
    assert len(slept) == 1 and 0.3 < slept[0] <= 0.5
