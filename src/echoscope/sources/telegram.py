"""Live collection from the Telegram API with Telethon: `echoscope collect telegram CHANNEL…`.

    for channel_round in collect(store, ["rybar", "channel1234567890"], TelegramOptions(recheck_days=3)):
        print(channel_round.channel, channel_round.status, channel_round.new_posts)

Per channel, one round:
- resolve the channel once (its id and access hash are kept in the store, so a second run asks nothing);
- read oldest → newest from the newest stored id (`min_id`, `reverse=True`), committing every
  `batch_size` messages in one transaction together with the cursor, so a run killed at any moment
  resumes after its last commit with no duplicate and no gap;
- with `recheck_days`, re-read the stored posts of that window by id: an edit becomes a new version,
  new view/forward/reaction counts are recorded, and a post Telegram no longer returns becomes a
  deletion event (the post itself is never removed).

FloodWait: a wait up to `max_sleep` seconds is announced through `notice` and slept through; a longer
one saves the cursor and ends the channel with status "waiting" until the wait is over (later runs skip
it without a request). A private or unknown channel ends with its status; the other channels go on.

Evidence: each version keeps the message's `to_dict()` as canonical JSON with its SHA-256. An API run
reads no single file, so its Capture (one per channel per run) hashes the run's manifest: what was asked
(channel, min_id, re-check window), when, by which tool version.

The client is whatever `open_client()` yields: by default a logged-in TelegramClient
(`_telethon_session.connected_client`); the collector uses only its `get_entity`, `iter_messages` and
`download_media`.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telethon import errors
from telethon.tl import types

import echoscope
from echoscope.collecting import ChannelRound
from echoscope.errors import ConfigError, SourceUnavailable
from echoscope.evidence import canonical_json, sha256_hex
from echoscope.media.hashing import content_path, digest_stream
from echoscope.model import MEDIA_STORED, MEDIA_UNAVAILABLE, Capture, Event, Media, Post
from echoscope.sources._telethon_records import (
    channel_record,
    describe_media,
    message_post,
    observed_counts,
    service_event,
)
from echoscope.sources._telethon_session import connected_client
from echoscope.store import Store, collect_state
from echoscope.store import telegram_state as state_store
from echoscope.store.channels import upsert_channel
from echoscope.store.prepared import prepare_post
from echoscope.store.writer import WriteCounts, add_capture, write_events, write_posts
from echoscope.text.normalize import normalize_many

NAME = "telegram"
_IDS_PER_REQUEST = 100  # messages.getMessages takes at most 100 ids
_GONE = {"evidence": "messages.getMessages by id returned no message (MessageEmpty)"}
_SLEEPS_PER_ROUND = 3  # short FloodWaits slept through per channel before it counts as a long one
_ID_FORMS = (
    (re.compile(r"(channel|chat)\d+"), lambda m: m.group(0)),
    (re.compile(r"-100(\d+)"), lambda m: f"channel{m.group(1)}"),
    (re.compile(r"-(\d+)"), lambda m: f"chat{m.group(1)}"),
    (re.compile(r"(\d+)"), lambda m: f"channel{m.group(1)}"),
)
_USERNAME = re.compile(r"[a-z][a-z0-9_]{2,31}")


def _silent(_: str) -> None:
    pass


@dataclass(frozen=True)
class TelegramOptions:
    media: bool = False  # download media files (up to max_size bytes each) into media_dir
    media_dir: Path = Path("echoscope-media")
    max_size: int = 50 * 1024 * 1024
    recheck_days: float = 0  # re-read the stored posts of the last N days: edits, counts, deletions
    max_sleep: int = 60  # FloodWaits up to this many seconds are slept through; longer ones end the round
    batch_size: int = 100  # messages per transaction (and per saved cursor)
    notice: Callable[[str], None] = _silent  # told before every FloodWait sleep
    open_client: Callable[[], AbstractAsyncContextManager[Any]] = connected_client


def channel_key(name: str) -> str:
    """How a channel is named in the store's state: `channel<id>`/`chat<id>`, or the lower-case username.

    Accepts @name, t.me links, bare and -100 marked ids."""
    text = name.strip()
    for pattern, spell in _ID_FORMS:
        if match := pattern.fullmatch(text):
            return spell(match)
    username = text.removeprefix("https://").removeprefix("http://").removeprefix("t.me/").removeprefix("s/")
    username = username.removeprefix("@").strip("/").lower()
    if not _USERNAME.fullmatch(username):
        raise ConfigError(f"{name!r} is not a Telegram username, t.me link or channel id")
    return username


def collect(store: Store, channels: Iterable[str], options: TelegramOptions = TelegramOptions()) -> Iterator[ChannelRound]:
    """One round over `channels`, a ChannelRound per channel as it finishes (see collecting.py).

    Ctrl-C cancels the running channel at its next network wait, never inside a transaction: every
    committed batch stays, nothing half-written is recorded."""
    keys = [channel_key(name) for name in channels]
    with asyncio.Runner() as runner:
        opened = options.open_client()
        try:
            client = runner.run(opened.__aenter__())
        except SourceUnavailable as exc:
            yield from (ChannelRound(NAME, key, "error", note=str(exc)) for key in keys)
            return
        try:
            for key in keys:
                yield runner.run(_ChannelRun(store, client, key, options).run())
        finally:
            runner.run(opened.__aexit__(None, None, None))


class _LongWait(Exception):
    def __init__(self, seconds: int):
        self.seconds = seconds


class _NotAChannel(Exception):
    pass


class _ChannelRun:
    """One channel's round: resolve, read what is new, re-check the window, keep the cursor."""

    def __init__(self, store: Store, client: Any, key: str, options: TelegramOptions):
        self.store, self.client, self.key, self.options = store, client, key, options
        self.started = datetime.now(UTC)
        self.cursor: dict[str, Any] = {}
        self.entity: Any = None
        self.channel_pk: int | None = None
        self.channel_id = ""
        self.title: str | None = None
        self.locator = ""
        self.capture_pk: int | None = None
        self.counts = WriteCounts()
        self.deletions = 0
        self.slept = 0

    async def run(self) -> ChannelRound:
        with self.store.reading() as conn:
            self.cursor = collect_state.read_cursor(conn, NAME, self.key)
            peer = state_store.known_peer(conn, self.key)
        waiting = self._still_waiting()
        if waiting:
            return self._round("waiting", wait_seconds=waiting, note=f"Telegram asked to wait until {self.cursor['wait_until']}")
        status, note, wait = "ok", None, 0
        try:
            await self._resolve(peer)
            await self._read_new()
            if self.options.recheck_days:
                await self._recheck()
        except _LongWait as exc:
            status, wait = "waiting", exc.seconds
            self.cursor["wait_until"] = (datetime.now(UTC) + timedelta(seconds=exc.seconds)).isoformat()
            note = f"FloodWait of {exc.seconds}s: cursor saved, resumes after {self.cursor['wait_until']}"
        except errors.ChannelPrivateError:
            status, note = "private", "private, or this account was banned from it"
        except (_NotAChannel, errors.UsernameNotOccupiedError, errors.UsernameInvalidError,
                errors.ChannelInvalidError, errors.PeerIdInvalidError) as exc:
            status, note = "not-found", str(exc)
        except (errors.RPCError, OSError) as exc:  # OSError: the connection dropped
            status, note = "error", f"{type(exc).__name__}: {exc}"
        if status != "waiting":
            self.cursor.pop("wait_until", None)
        with self.store.transaction() as conn:
            collect_state.save_state(conn, NAME, self.key, status=status, cursor=self.cursor, note=note,
                                     channel_pk=self.channel_pk)
        return self._round(status, wait_seconds=wait, note=note or "")

    def _round(self, status: str, **details: Any) -> ChannelRound:
        return ChannelRound(NAME, self.key, status, new_posts=self.counts.new, updated_posts=self.counts.new_versions,
                            deletions=self.deletions, **details)

    def _still_waiting(self) -> int:
        until = self.cursor.get("wait_until")
        if not until:
            return 0
        return max(0, int((datetime.fromisoformat(until) - datetime.now(UTC)).total_seconds()))

    async def _flood(self, exc: errors.FloodWaitError) -> None:
        """Sleep through a short wait (saying so); a long one, or too many, end the channel's round."""
        self.slept += 1
        if exc.seconds > self.options.max_sleep or self.slept > _SLEEPS_PER_ROUND:
            raise _LongWait(exc.seconds)
        self.options.notice(f"{self.key}: Telegram asks to wait {exc.seconds}s (FloodWait); waiting")
        await asyncio.sleep(exc.seconds)

    async def _resolve(self, peer: dict[str, Any] | None) -> None:
        if peer is not None:
            with self.store.reading() as conn:
                known = state_store.channel_by_id(conn, peer["channel_id"])
            if known is not None:
                self.channel_pk, self.title, username = known
                self.channel_id = peer["channel_id"]
                self.entity = (types.InputPeerChannel(peer["id"], peer["access_hash"]) if peer["type"] == "channel"
                               else types.InputPeerChat(peer["id"]))
                self._set_locator(username)
                return
        while True:
            try:
                entity = await self.client.get_entity(self._target())
                break
            except errors.FloodWaitError as exc:
                await self._flood(exc)
            except ValueError as exc:  # Telethon's word for "no such username" or "never seen this id"
                raise _NotAChannel(str(exc)) from None
        if isinstance(entity, (types.ChannelForbidden, types.ChatForbidden)):
            raise errors.ChannelPrivateError(request=None)  # what Telegram says of a channel that banned us
        if not isinstance(entity, (types.Channel, types.Chat)):
            raise _NotAChannel(f"{self.key} is a {type(entity).__name__.lower()}, not a channel or group")
        channel = channel_record(entity)
        with self.store.transaction() as conn:
            self.channel_pk = upsert_channel(conn, channel, None)  # joins a username-only row (registry, web)
        self.channel_id, self.title, self.entity = channel.channel_id, channel.title, entity
        self.cursor["peer"] = {"type": "channel" if isinstance(entity, types.Channel) else "chat", "id": entity.id,
                               "access_hash": getattr(entity, "access_hash", None), "channel_id": channel.channel_id}
        self._set_locator(channel.username)

    def _target(self) -> Any:
        if self.key.startswith("channel") and self.key[7:].isdigit():
            return types.PeerChannel(int(self.key[7:]))
        if self.key.startswith("chat") and self.key[4:].isdigit():
            return types.PeerChat(int(self.key[4:]))
        return self.key

    def _set_locator(self, username: str | None) -> None:
        bare = self.channel_id.removeprefix("channel").removeprefix("chat")
        self.locator = f"https://t.me/{username}" if username else f"https://t.me/c/{bare}"

    async def _read_new(self) -> None:
        while True:
            with self.store.reading() as conn:
                after = max(self.cursor.get("last_id", 0), collect_state.newest_post_id(conn, self.channel_pk))
            batch: list[Any] = []
            try:
                async for message in self.client.iter_messages(self.entity, min_id=after, reverse=True):
                    batch.append(await self._record(message, None))
                    if len(batch) >= self.options.batch_size:
                        self._commit(batch, last_id=message.id)
                        batch = []
            except errors.FloodWaitError as exc:
                self._commit(batch)  # what was read before the wait is complete: keep it
                await self._flood(exc)
                continue
            except (errors.RPCError, OSError):
                self._commit(batch)
                raise
            self._commit(batch)
            return

    async def _recheck(self) -> None:
        since = datetime.now(UTC) - timedelta(days=self.options.recheck_days)
        with self.store.reading() as conn:
            ids = sorted(collect_state.live_posts_since(conn, self.channel_pk, since))
        for start in range(0, len(ids), _IDS_PER_REQUEST):
            chunk = ids[start:start + _IDS_PER_REQUEST]
            while True:
                try:
                    await self._recheck_chunk(chunk)
                    break
                except errors.FloodWaitError as exc:
                    await self._flood(exc)

    async def _recheck_chunk(self, chunk: list[int]) -> None:
        fetched = [message async for message in self.client.iter_messages(self.entity, ids=chunk)]
        with self.store.reading() as conn:
            stored_media = state_store.current_media(conn, self.channel_pk, chunk)
        found = [message for message in fetched if isinstance(message, (types.Message, types.MessageService))]
        gone = [post_id for post_id, message in zip(chunk, fetched) if message is None or isinstance(message, types.MessageEmpty)]
        records = [await self._record(message, stored_media.get(message.id)) for message in found]
        self._commit(records, gone=gone)

    async def _record(self, message: Any, stored_media: tuple[Media, ...] | None) -> Post | Event | None:
        if isinstance(message, types.MessageService):
            return service_event(message, self.channel_id)
        if not isinstance(message, types.Message):
            return None  # MessageEmpty: nothing was published under this id
        described = describe_media(message)
        media: tuple[Media, ...] = ()
        if described is not None:
            media = (await self._media(message, described, stored_media),)
        return message_post(message, self.channel_id, media, self.title)

    async def _media(self, message: Any, described: Media, stored: tuple[Media, ...] | None) -> Media:
        """The stored file when it is the same one again, else a fresh download (with --media), else
        the metadata alone. An expired file reference is renewed once by re-reading the message."""
        previous = stored[0] if stored else None
        same_file = previous is not None and (previous.kind, previous.size) == (described.kind, described.size)
        if same_file and (previous.status == MEDIA_STORED or not self.options.media):
            return previous
        if not self.options.media:
            return replace(described, note="collected without --media")
        if described.size is not None and described.size > self.options.max_size:
            return replace(described, note=f"larger than --max-size ({self.options.max_size} bytes)")
        try:
            return await self._download(message, described)
        except errors.FileReferenceExpiredError:
            fresh = [item async for item in self.client.iter_messages(self.entity, ids=[message.id])]
        if fresh and isinstance(fresh[0], types.Message):
            try:
                return await self._download(fresh[0], described)
            except errors.FileReferenceExpiredError:
                pass
        return replace(described, status=MEDIA_UNAVAILABLE, note="file reference expired and could not be renewed")

    async def _download(self, message: Any, described: Media) -> Media:
        """Download beside its final place, hash the file as stored, then name it by its hash."""
        folder = self.options.media_dir
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".partial-{uuid.uuid4().hex}"
        written = await self.client.download_media(message, file=str(partial))
        if written is None:
            return replace(described, status=MEDIA_UNAVAILABLE, note="Telegram returned no file")
        written = Path(written)
        with written.open("rb") as stream:
            digest, size = digest_stream(stream)
        relative = content_path(digest, written.suffix)
        (folder / relative).parent.mkdir(exist_ok=True)
        os.replace(written, folder / relative)
        return replace(described, status=MEDIA_STORED, path=relative, sha256=digest, size=size, note=None)

    def _commit(self, records: list[Post | Event | None], *, last_id: int | None = None, gone: list[int] = ()) -> None:
        """One transaction: posts, events, counts, deletions and the cursor, so they never disagree."""
        posts = [record for record in records if isinstance(record, Post)]
        events = [record for record in records if isinstance(record, Event)]
        if not (posts or events or gone):
            return
        prepared = [prepare_post(post, norm) for post, norm in zip(posts, normalize_many([p.text for p in posts]), strict=True)]
        newest = max([last_id or 0, *(record.post_id for record in posts + events)])
        with self.store.transaction() as conn:
            capture_pk = self.capture_pk or add_capture(conn, self._capture(), self.store.operator)
            counts = write_posts(conn, self.channel_pk, prepared, capture_pk)
            write_events(conn, self.channel_pk, events, capture_pk)
            state_store.record_observations(conn, self.channel_pk, [observed_counts(post) for post in posts], capture_pk,
                                            datetime.now(UTC))
            deletions = collect_state.record_deletions(conn, self.channel_pk, [(post_id, capture_pk, _GONE) for post_id in gone],
                                                       datetime.now(UTC))
            self.cursor["last_id"] = max(self.cursor.get("last_id", 0), newest)
            collect_state.save_state(conn, NAME, self.key, status="collecting", cursor=self.cursor, channel_pk=self.channel_pk)
        self.capture_pk = capture_pk
        self.counts.add(counts)
        self.deletions += deletions

    def _capture(self) -> Capture:
        manifest = {
            "source": NAME,
            "channel_id": self.channel_id,
            "min_id": self.cursor.get("last_id", 0),
            "recheck_days": self.options.recheck_days,
            "media": self.options.media,
            "started": self.started.isoformat(),
            "tool_version": echoscope.__version__,
        }
        return Capture(NAME, self.locator, sha256_hex(canonical_json(manifest)), self.started, echoscope.__version__ or "0.1.0")
