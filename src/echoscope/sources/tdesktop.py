"""Telegram Desktop "Export chat history" JSON: a result.json, its export folder, or a .zip of it.

Reads every format generation since 2018 (see shared/reference/telegram-formats.md §1): single-chat
exports (the root is one dialog) and full-account exports (`chats.list`, `left_chats.list`), numeric
peer ids from before v2.7.2, local-time dates from before v4.0, `text` before `text_entities`.

Records come out in this order: one Capture (what was read, its SHA-256, when), then for each chat its
Channel followed by its Posts, Events and SourceWarnings, streamed: memory does not grow with the
export. A malformed file raises ParseError naming the file and the place, after everything before
that place has been yielded.

Privacy: from a full-account export only channels and groups are read by default; personal chats,
bots and saved messages are skipped and counted in one SourceWarning unless `include_private_chats`.
A single-chat export is read whatever its type: the analyst chose that chat.

The work is split in private modules: `_export_root` (folder or .zip, path safety, media hashing),
`_tdesktop_json` (streaming the JSON into message dicts, and why it is fast), `_tdesktop_records`
(one message dict into one record).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import datetime, timezone

import echoscope
from echoscope.errors import ParseError, SourceUnavailable
from echoscope.model import TELEGRAM, Capture, Channel, Record, SourceWarning
from echoscope.sources._export_root import ArchiveLimits, ExportRoot, open_export
from echoscope.sources._tdesktop_json import Chat, Place, iter_chats
from echoscope.sources._tdesktop_records import (
    CHANNELS_AND_GROUPS,
    ChatRecords,
    PeerIds,
)

__all__ = ["ArchiveLimits", "TelegramDesktopExport"]

_NO_MESSAGE = object()


class TelegramDesktopExport:
    """A Telegram Desktop export as a source of records."""

    name = "tdesktop"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        include_private_chats: bool = False,
        limits: ArchiveLimits = ArchiveLimits(),
        tool_version: str = echoscope.__version__ or "0.1.0",
    ):
        if not os.path.exists(path):  # fail before a caller starts showing progress
            raise SourceUnavailable(f"{os.fspath(path)}: no such file or folder")
        self.path = path
        self.include_private_chats = include_private_chats
        self.limits = limits
        self.tool_version = tool_version

    def iter_records(self) -> Iterator[Record]:
        collected_at = datetime.now(timezone.utc)
        with open_export(self.path, self.limits) as root:
            yield Capture(
                source=self.name,
                locator=root.locator,
                sha256=root.sha256(),
                collected_at=collected_at,
                tool_version=self.tool_version,
            )
            place = Place(root.result_name)
            skipped = 0
            for chat in iter_chats(root.open_result, place):
                if self._is_private(chat):
                    skipped += 1
                    continue
                yield from _chat_records(chat, root, place)
            if skipped:
                yield SourceWarning(
                    location=root.result_name,
                    message=f"skipped {skipped} private chat(s) (personal chats, bots, saved messages …) "
                    "to protect privacy; include_private_chats reads them",
                )

    def _is_private(self, chat: Chat) -> bool:
        """A chat of a full-account export that is not a channel or group, and was not asked for."""
        if not chat.in_full_export or self.include_private_chats:
            return False
        return chat.header.get("type") not in CHANNELS_AND_GROUPS


def _chat_records(chat: Chat, root: ExportRoot, place: Place) -> Iterator[Record]:
    header = chat.header
    dialog_id = header.get("id")
    place.last_id = None
    if type(dialog_id) is not int:
        raise ParseError(f"a chat without an integer id (id = {str(dialog_id)[:40]!r})", location=place.chat_location())
    messages = iter(chat.messages)
    # The first message tells which era the peer ids come from (see PeerIds).
    first = next(messages, _NO_MESSAGE)
    ids = PeerIds(header.get("type"), dialog_id, first)
    name, dialog_type = header.get("name"), header.get("type")
    yield Channel(
        platform=TELEGRAM,
        channel_id=ids.channel_id,
        title=name if type(name) is str else None,
        type=dialog_type if type(dialog_type) is str else None,
    )
    if first is not _NO_MESSAGE:
        yield from ChatRecords(ids, root, place).records(itertools.chain((first,), messages))
