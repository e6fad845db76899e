"""A stand-in for Telethon's TelegramClient at the one boundary the collector uses: `get_entity`,
`iter_messages` and `download_media`, with Telethon's signatures, returning real `telethon.tl.types`
objects (finished with the response's entities, as Telethon does) and raising real `telethon.errors`.

Scripted per test: channels and their messages, edits, deletions, private channels, and faults
(`fail_next`) such as FloodWaitError after N messages or an expired file reference.

Run as a script it is the kill test's collector process (tests only, not shipped):
    python tests/telethon_double.py DB MESSAGES DELAY
collects channel @killtest, whose MESSAGES posts arrive DELAY seconds apart, into the store DB.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from telethon import errors, utils
from telethon._updates import EntityCache
from telethon.tl import types

BASE = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@dataclass
class ScriptedChannel:
    entity: types.Channel
    messages: dict[int, types.TypeMessage] = field(default_factory=dict)
    private: bool = False

    @property
    def peer(self) -> types.PeerChannel:
        return types.PeerChannel(self.entity.id)


class TelethonDouble:
    def __init__(self):
        self.channels: dict[int, ScriptedChannel] = {}
        self.files: dict[int, bytes] = {}  # photo id → bytes served by download_media
        self.get_entity_calls: list = []
        self.iter_calls: list[dict] = []
        self.downloads: list[int] = []
        self.delay = 0.0  # seconds before each message, to be killed mid-run
        self._faults: list[tuple[str, Exception, int]] = []
        # What Message._finish_init reads from a client.
        self._mb_entity_cache = EntityCache()
        self._self_id = 1

    # -- scripting ---------------------------------------------------------------------------------
    def add_channel(self, username: str | None, channel_id: int, title: str, *, private: bool = False,
                    megagroup: bool = False) -> ScriptedChannel:
        entity = types.Channel(id=channel_id, title=title, photo=types.ChatPhotoEmpty(), date=BASE,
                               access_hash=channel_id * 7919, username=username, broadcast=not megagroup,
                               megagroup=megagroup)
        channel = ScriptedChannel(entity, private=private)
        self.channels[channel_id] = channel
        return channel

    def post(self, channel: ScriptedChannel, post_id: int, text: str = "", **fields) -> types.Message:
        fields.setdefault("date", BASE + timedelta(minutes=post_id))
        fields.setdefault("views", 100 + post_id)
        message = types.Message(id=post_id, peer_id=channel.peer, message=text, post=True, **fields)
        channel.messages[post_id] = message
        return message

    def photo_post(self, channel: ScriptedChannel, post_id: int, text: str, content: bytes, **fields) -> types.Message:
        photo_id = channel.entity.id * 100000 + post_id
        self.files[photo_id] = content
        photo = types.Photo(id=photo_id, access_hash=1, file_reference=b"ref", date=BASE, dc_id=2,
                            sizes=[types.PhotoSize("x", 800, 600, len(content))])
        return self.post(channel, post_id, text, media=types.MessageMediaPhoto(photo=photo), **fields)

    def service(self, channel: ScriptedChannel, post_id: int, action) -> None:
        channel.messages[post_id] = types.MessageService(id=post_id, peer_id=channel.peer, date=BASE, action=action,
                                                         post=True)

    def edit(self, channel: ScriptedChannel, post_id: int, text: str) -> None:
        old = channel.messages[post_id]
        old.message, old.edit_date = text, old.date + timedelta(hours=1)

    def delete(self, channel: ScriptedChannel, post_id: int) -> None:
        del channel.messages[post_id]

    def fail_next(self, method: str, error: Exception, *, after: int = 0) -> None:
        """The next call of `method` raises `error`, after yielding `after` messages (iter_messages)."""
        self._faults.append((method, error, after))

    @asynccontextmanager
    async def opened(self):
        """What TelegramOptions.open_client returns: this double, already "connected"."""
        yield self

    # -- the TelegramClient boundary ---------------------------------------------------------------
    async def get_entity(self, entity):
        self.get_entity_calls.append(entity)
        self._fault("get_entity")
        channel = self._channel(entity)
        if channel.private:
            raise errors.ChannelPrivateError(request=None)
        return channel.entity

    async def iter_messages(self, entity, limit=None, *, offset_date=None, offset_id=0, max_id=0, min_id=0,
                            add_offset=0, search=None, filter=None, from_user=None, wait_time=None, ids=None,
                            reverse=False, reply_to=None, scheduled=False):
        channel = self._channel(entity)
        self.iter_calls.append({"channel": channel.entity.id, "min_id": min_id, "ids": ids, "reverse": reverse})
        fault = self._take_fault("iter_messages")
        if channel.private:
            raise errors.ChannelPrivateError(request=None)
        if ids is not None:
            selected = [channel.messages.get(post_id) for post_id in ids]
        else:
            selected = sorted((m for m in channel.messages.values() if m.id > min_id and (not max_id or m.id < max_id)),
                              key=lambda m: m.id, reverse=not reverse)[:limit]
        entities = {utils.get_peer_id(c.peer): c.entity for c in self.channels.values()}
        for yielded, message in enumerate(selected):
            if fault is not None and yielded == fault[1]:
                raise fault[0]
            if self.delay:
                await asyncio.sleep(self.delay)
            if message is not None:
                message._finish_init(self, entities, None)
            yield message
        if fault is not None:
            raise fault[0]

    async def download_media(self, message, file=None, *, thumb=None, progress_callback=None):
        self._fault("download_media")
        photo = message.photo
        if photo is None or photo.id not in self.files:
            return None
        self.downloads.append(message.id)
        path = Path(file)
        path = path if path.suffix else path.with_suffix(".jpg")  # Telethon adds the extension, too
        path.write_bytes(self.files[photo.id])
        return str(path)

    # -- internals ---------------------------------------------------------------------------------
    def _channel(self, entity) -> ScriptedChannel:
        if isinstance(entity, str):
            for channel in self.channels.values():
                if channel.entity.username and channel.entity.username.lower() == entity.lower():
                    return channel
            raise ValueError(f'No user has "{entity}" as username')
        if isinstance(entity, types.InputPeerChannel):
            channel = self.channels.get(entity.channel_id)
            if channel is None or entity.access_hash != channel.entity.access_hash:
                raise errors.ChannelInvalidError(request=None)
            return channel
        if isinstance(entity, types.PeerChannel) and entity.channel_id in self.channels:
            return self.channels[entity.channel_id]
        if isinstance(entity, types.Channel):
            return self.channels[entity.id]
        raise errors.PeerIdInvalidError(request=None)

    def _take_fault(self, method: str):
        for index, (name, error, after) in enumerate(self._faults):
            if name == method:
                del self._faults[index]
                return error, after
        return None

    def _fault(self, method: str) -> None:
        fault = self._take_fault(method)
        if fault is not None:
            raise fault[0]


def kill_test_channel(double: TelethonDouble, count: int) -> ScriptedChannel:
    channel = double.add_channel("killtest", 4242, "Kill test")
    for post_id in range(1, count + 1):
        double.post(channel, post_id, f"post {post_id} " + hashlib.sha256(str(post_id).encode()).hexdigest()[:12])
    return channel


def main(db: str, count: int, delay: float) -> None:
    from echoscope.sources.telegram import TelegramOptions, collect
    from echoscope.store import Store

    double = TelethonDouble()
    kill_test_channel(double, count)
    double.delay = delay
    with Store(db) as store:
        for channel_round in collect(store, ["killtest"], TelegramOptions(open_client=double.opened, batch_size=25)):
            print(channel_round.status, channel_round.new_posts, [call["min_id"] for call in double.iter_calls], flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
