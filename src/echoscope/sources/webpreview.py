"""The public web preview of a channel (`https://t.me/s/<channel>`): live collection and saved pages.

    for status in collect(store, ["rybar", "@wargonzo"], WebOptions(recheck_days=3)):
        print(status)                   # one ChannelRound per channel, as each one finishes

`collect` pages back from the newest post with `?before=<id>` until it reaches the newest post already
stored, `since`, or `limit`, and stores each page as it goes (one Capture per page: source "web", the
URL and the SHA-256 of the bytes read). Its cursor (store/collect_state.py) remembers a walk that was
cut short, so a killed run resumes where its last stored page ended: nothing missing, nothing twice.
With `recheck_days` it also walks the recent window again: edits become new versions, and a stored
post the pages no longer show becomes a `deletion` event tied to the page that lacked it.

Failures belong to one channel and never stop the others: a private channel or an unknown name is a
round with status private / not-found, a throttled or unreadable page ends that channel's round
(waiting / error) without storing anything from it and without marking anything deleted.

`SavedPage` reads a page saved from a browser (`echoscope ingest webpage FILE.html`).

The page knows the channel's username but not its numeric id: posts are stored on a username-only
channel row until the registry or the API links the two (store/channels.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

import echoscope
from echoscope.collecting import ChannelRound
from echoscope.errors import EchoscopeError, ParseError, SourceUnavailable
from echoscope.evidence import sha256_hex
from echoscope.ingest import ingest
from echoscope.model import (
    MEDIA_STORED,
    MEDIA_UNAVAILABLE,
    TELEGRAM,
    Capture,
    Channel,
    Event,
    Media,
    Post,
    Record,
)
from echoscope.registry import clean_username
from echoscope.sources._http import Fetched, PoliteClient, Politeness, RateLimited
from echoscope.sources._webpreview_html import (
    EMPTY,
    HISTORY,
    NOT_PREVIEW,
    Page,
    decode_page,
    parse_page,
)
from echoscope.store import Store
from echoscope.store.channels import find_by_username
from echoscope.store.collect_state import (
    capture_key,
    live_posts_since,
    newest_post_id,
    read_cursor,
    record_deletions,
    save_state,
)

COLLECTOR = "web"
_USERNAME = re.compile(r"[A-Za-z0-9_]{3,64}")
_TOOL_VERSION = echoscope.__version__ or "0.1.0"


@dataclass(frozen=True)
class WebOptions:
    base_url: str = "https://t.me"  # a mirror or a test server
    since: datetime | None = None  # collect nothing older
    limit: int | None = None  # at most this many posts per channel per round
    recheck_days: float | None = None  # walk the last N days again for edits and deletions
    media_dir: Path | None = None  # download photos here and hash them (--media)
    concurrency: int = 2  # channels collected at once; the pause between requests holds for all
    politeness: Politeness = field(default_factory=Politeness)


class SavedPage:
    """A t.me/s page saved to a file, as a source of records."""

    name = "webpage"

    def __init__(self, path: str | os.PathLike[str]):
        if not os.path.isfile(path):
            raise SourceUnavailable(f"{os.fspath(path)}: no such file")
        self.path = Path(path)

    def iter_records(self) -> Iterator[Record]:
        data = self.path.read_bytes()
        location = str(self.path)
        page = parse_page(decode_page(data, location), location)
        if page.kind != HISTORY:
            raise ParseError(f"not a channel history page ({page.kind}): no post stored", location=location)
        capture = Capture(COLLECTOR, location, sha256_hex(data), datetime.now(UTC), _TOOL_VERSION)
        yield from page_records(page, capture, page.posts, page.events)


def page_records(page: Page, capture: Capture, posts: Iterable[Post], events: Iterable[Event]) -> list[Record]:
    """A page as records in the order the store takes them: capture, channel, then what it holds.
    The channel header (description, subscriber counter, photo) is kept as a `channel_info` event, so
    every distinct state of it is kept with the capture that saw it."""
    header = page.header
    channel = Channel(TELEGRAM, None, title=header.get("title"), username=page.username)
    records: list[Record] = [capture, channel]
    if header:
        records.append(Event(TELEGRAM, None, "channel_info", raw=header | {"username": page.username}))
    return records + list(posts) + list(events)


def collect(store: Store, channels: Iterable[str], options: WebOptions = WebOptions()) -> Iterator[ChannelRound]:
    """One round over `channels` (usernames, @names or t.me links): one ChannelRound per channel, in
    the order they finish. Only a programming error escapes; a channel's failure is its status."""
    names = list(dict.fromkeys(channels))
    with PoliteClient(options.politeness) as client, ThreadPoolExecutor(max(1, options.concurrency)) as pool:
        futures = [pool.submit(_ChannelRound(store, client, name, options).run) for name in names]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


@dataclass
class _Walk:
    """Pages read newest → oldest in one walk: what they showed, and which capture showed which ids."""

    top: int = 0
    seen: set[int] = field(default_factory=set)
    pages: list[tuple[int, int | None, int, str, str]] = field(default_factory=list)  # lowest, before, capture, url, sha
    new: int = 0
    updated: int = 0
    kept: int = 0
    stopped: tuple[str, str] | None = None  # (status, note) when a page without posts cut the walk short

    def page_showing(self, post_id: int) -> tuple[int, dict[str, str]]:
        """The capture of the page whose id range holds `post_id`, and the evidence it gives."""
        for lowest, before, capture_pk, url, sha in self.pages:
            if post_id >= lowest and (before is None or post_id < before):
                return capture_pk, {"evidence": "absent from the web preview page covering its id", "url": url,
                                    "page_sha256": sha}
        raise ValueError(f"post {post_id} is outside the pages read")


class _RoundOver(Exception):
    """The first page already says how the round ends (private, no such channel, no posts)."""

    def __init__(self, result: ChannelRound):
        self.result = result


class _ChannelRound:
    def __init__(self, store: Store, client: PoliteClient, name: str, options: WebOptions):
        self.store, self.client, self.name, self.options = store, client, name, options
        self.username = clean_username(name)
        self.key = self.username.lower()
        self.channel_pk: int | None = None

    def run(self) -> ChannelRound:
        try:
            result = self._collect()
        except _RoundOver as over:
            result = over.result
        except RateLimited as exc:
            result = ChannelRound(COLLECTOR, self.name, "waiting", wait_seconds=round(exc.wait_seconds), note=str(exc))
        except EchoscopeError as exc:
            result = ChannelRound(COLLECTOR, self.name, "error", note=str(exc))
        with self.store.transaction() as conn:
            save_state(conn, COLLECTOR, self.key, status=result.status, note=result.note or None, channel_pk=self.channel_pk)
        return result

    def _collect(self) -> ChannelRound:
        if not _USERNAME.fullmatch(self.username):
            return ChannelRound(COLLECTOR, self.name, "not-found", note="not a Telegram username")
        with self.store.reading() as conn:
            cursor = read_cursor(conn, COLLECTOR, self.key)
            known = find_by_username(conn, TELEGRAM, self.username)
            stored_newest = newest_post_id(conn, known.pk) if known is not None else 0
        # Safe even above a cut-short walk: that walk is finished first, down to its own `until`.
        newest = max(cursor.get("newest", 0), stored_newest)
        walks: list[_Walk] = []
        pending = cursor.get("walk")
        if pending:  # a walk cut short last time: finish it before looking at newer posts
            walk = self._walk(pending["before"], pending["until"], None, pending["top"], newest)
            walks.append(walk)
            if walk.stopped:
                return self._round(walks, *walk.stopped)
            newest = max(newest, pending["top"])
        window = datetime.now(UTC) - timedelta(days=self.options.recheck_days) if self.options.recheck_days else None
        walk = self._walk(None, newest, window, 0, newest)
        walks.append(walk)
        if walk.stopped:
            return self._round(walks, *walk.stopped)
        deletions = self._deletions(walk, window) if window is not None else 0
        return self._round(walks, "ok", f"{sum(len(w.pages) for w in walks)} pages", deletions)

    def _round(self, walks: list[_Walk], status, note: str, deletions: int = 0) -> ChannelRound:
        return ChannelRound(COLLECTOR, self.name, status, new_posts=sum(w.new for w in walks),
                            updated_posts=sum(w.updated for w in walks), deletions=deletions, note=note)

    def _walk(self, before: int | None, stop_id: int, window: datetime | None, top: int, newest: int) -> _Walk:
        """Read pages back from `before` (None: the newest) until `stop_id` and the start of `window`
        are reached, or `since`, or `limit`. The cursor is saved after every stored page."""
        walk = _Walk(top=top)
        since, limit = self.options.since, self.options.limit
        while True:
            fetched, page = self._fetch(before)
            if page.kind != HISTORY:
                walk.stopped = self._not_history(page, fetched, first=before is None and not walk.pages)
                return walk  # the cursor still holds this walk: the next round resumes it
            posts = sorted((p for p in page.posts if since is None or p.date >= since), key=lambda p: -p.post_id)
            if limit is not None:
                posts = posts[: max(0, limit - walk.kept)]
            events = [e for e in page.events if since is None or e.date is None or e.date >= since]
            self._store(walk, page, fetched, before, posts, events)
            walk.top = max(walk.top, max(page.covered))
            with self.store.transaction() as conn:
                cursor = {"newest": newest, "walk": {"top": walk.top, "before": page.lowest, "until": stop_id}}
                save_state(conn, COLLECTOR, self.key, status="ok", cursor=cursor, channel_pk=self.channel_pk)
            oldest = page.oldest
            if (since is not None and oldest < since) or (limit is not None and walk.kept >= limit):
                break
            if page.lowest <= stop_id and (window is None or oldest < window):
                break
            if page.before is None or (before is not None and page.before >= before):
                break  # the start of the channel (or a page that would not move back)
            before = page.before
        with self.store.transaction() as conn:
            save_state(conn, COLLECTOR, self.key, status="ok", cursor={"newest": max(newest, walk.top)})
        return walk

    def _fetch(self, before: int | None) -> tuple[Fetched, Page]:
        url = urljoin(self.options.base_url.rstrip("/") + "/", f"s/{self.key}")  # t.me ignores case
        if before is not None:
            url += f"?before={before}"
        fetched = self.client.get(url)
        if fetched.status == 404:
            return fetched, Page(NOT_PREVIEW)
        if fetched.status != 200:
            raise SourceUnavailable(f"{url}: HTTP {fetched.status}")
        page = parse_page(decode_page(fetched.body, fetched.url), fetched.url)
        if "/s/" not in fetched.url and page.kind == HISTORY:  # redirected off the preview: not a channel history
            page = Page(NOT_PREVIEW)
        return fetched, page

    def _not_history(self, page: Page, fetched: Fetched, first: bool) -> tuple[str, str]:
        """What a page that holds no posts means. Nothing of it is stored or taken as a deletion."""
        if page.kind == NOT_PREVIEW and first:
            status = "private" if page.header.get("title") else "not-found"
            note = "no public preview (private channel, user or bot)" if status == "private" else "no such channel"
            raise _RoundOver(ChannelRound(COLLECTOR, self.name, status, note=note))
        if page.kind == EMPTY and first:
            raise _RoundOver(ChannelRound(COLLECTOR, self.name, "ok", note="No posts found (empty, or throttled): nothing stored"))
        resume = "; the walk resumes from there next round"
        if page.kind == EMPTY:  # Telegram's answer when throttling, too
            return "waiting", f"{fetched.url} said No posts found{resume}"
        return "error", f"{fetched.url} is not a channel history page ({page.kind}){resume}"

    def _store(self, walk: _Walk, page: Page, fetched: Fetched, before: int | None, posts: list[Post],
               events: list[Event]) -> None:
        sha = sha256_hex(fetched.body)
        if self.options.media_dir is not None:
            posts = [self._with_media(post, fetched.url) for post in posts]
        capture = Capture(COLLECTOR, fetched.url, sha, datetime.now(UTC), _TOOL_VERSION)
        summary = ingest(self.store, page_records(page, capture, posts, events))
        with self.store.reading() as conn:
            self.channel_pk = find_by_username(conn, TELEGRAM, page.username).pk
            capture_pk = capture_key(conn, COLLECTOR, sha)
        walk.new += summary.posts.new
        walk.updated += summary.posts.new_versions
        walk.kept += len(posts)
        walk.seen |= page.covered
        walk.pages.append((page.lowest, before, capture_pk, fetched.url, sha))

    def _with_media(self, post: Post, page_url: str) -> Post:
        media = []
        for item in post.media:
            if item.kind != "photo" or not item.path:
                media.append(item)
                continue
            url = urljoin(page_url, item.path)
            try:
                path, sha, size = self.client.download(url, self.options.media_dir)
            except SourceUnavailable as exc:
                media.append(replace(item, status=MEDIA_UNAVAILABLE, note=str(exc)))
                continue
            media.append(Media(item.kind, MEDIA_STORED, path=path, sha256=sha, size=size, note=f"downloaded from {url}"))
        return replace(post, media=tuple(media))

    def _deletions(self, walk: _Walk, window: datetime) -> int:
        """Stored posts of the window, within the ids the walk covered, that no page showed."""
        if not walk.pages or self.channel_pk is None:
            return 0
        lowest = min(page[0] for page in walk.pages)
        with self.store.transaction() as conn:
            stored = live_posts_since(conn, self.channel_pk, window)
            evidence = []
            for post_id in sorted(stored):
                if post_id < lowest or post_id in walk.seen:
                    continue
                evidence.append((post_id, *walk.page_showing(post_id)))
            return record_deletions(conn, self.channel_pk, evidence, datetime.now(UTC))
