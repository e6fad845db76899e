"""The chats and messages of a result.json as plain dicts, streamed with bounded memory.

Single-chat exports (the root is one dialog), the common case, take a fast path. tdesktop writes one
message per indented block, separated by "},\\n  {", so the messages array is cut at that separator
(whatever layout precedes the first message, as long as it holds a newline) and each piece is parsed
by orjson, about twice as fast as ijson building the same dicts. A cut is trusted only when orjson
parses the piece as one complete object: a raw newline cannot occur inside a JSON string, so the
separator's braces are structural, and a prefix of an object that stops at an inner brace, or that
runs past the object's end, is not valid JSON. Everything else is handed to ijson, resumed at the same
byte behind a synthetic '{"messages":[' prefix: the last message and the end of the file, a minified
or re-indented file, a piece orjson refuses or that nests too deep, a piece over 16 MiB. So malformed
input is reported by ijson, with the same messages. One known difference, on input tdesktop never
writes: an integer outside the signed 64-bit range makes ijson fail ("integer overflow") while orjson
reads it (as a float beyond 2**64). Catching it would take one more scan of every byte of every
message, for numbers that do not occur in real exports.

Full-account exports and unusual layouts use ijson only, in two passes. An outline pass reads the root
keys and each chat's name, type and id and counts its messages: itertools filters ijson's events in C,
so Python sees a few events per chat and one per message. Then one `ijson.items` pass per section
("chats", "left_chats") hands out each chat's messages by count. Both ijson passes read through the
nesting guard (see `_json_bytes`).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import ijson
import orjson

from echoscope.errors import ParseError
from echoscope.sources._json_bytes import MAX_DEPTH, ByteSource, NestingGuard, open_json

HEAD_SIZE = 1 << 20  # the dialog header must sit in the first MiB for the fast path
CHUNK_SIZE = 1 << 20
MAX_PIECE = 16 << 20
IJSON_BUFFER = 256 << 10
SECTIONS = ("chats", "left_chats")
HEADER_KEYS = ("name", "type", "id")
_MAX_HEADER_TRIES = 16
_RESUME_PREFIX = b'{"messages":['
_INSIDE_MESSAGE = 3  # the depth inside a message of a single-chat export
_ALL_BUT_OPENERS = bytes(byte for byte in range(256) if byte not in b"[{")
_WHITESPACE = b" \t\r\n"
_VALUE_EVENTS = ("start_map", "start_array", "string", "number", "boolean", "null")
_JSON_TYPES = {"start_map": "an object", "start_array": "a list", "string": "a string", "number": "a number",
               "boolean": "a boolean", "null": "null"}
# ValueError covers what ijson raises outside JSONError: bad UTF-8, integers over Python's digit
# limit, and NestingTooDeep from the guard.
_JSON_ERRORS = (ijson.JSONError, ValueError)

Message = dict[str, Any]


@dataclass
class Chat:
    """One dialog: its header values as written (name, type, id may be missing) and its messages."""

    header: dict[str, Any]
    messages: Iterator[Message]
    in_full_export: bool


class Place:
    """Where the reader is, for error messages: file, chat, last good message id, bytes read."""

    def __init__(self, file: str):
        self.file = file
        self.chat: str | None = None
        self.last_id: int | None = None
        self.source: ByteSource | None = None

    def chat_location(self) -> str:
        """The file and chat, for problems with a chat as a whole."""
        return self.file if self.chat is None else f"{self.file}, chat {self.chat}"

    def __str__(self) -> str:
        where = [self.file]
        if self.chat is not None:
            where.append(f"chat {self.chat}")
        where.append(f"after message id {self.last_id}" if self.last_id is not None else "before the first message")
        if self.source is not None:
            where.append(f"read up to byte {self.source.position}")
        return ", ".join(where)


def iter_chats(open_result: Callable[[], BinaryIO], place: Place) -> Iterator[Chat]:
    """Yield every chat of the export in file order; a chat's messages must be read before the next."""
    with open_result() as raw:
        source = open_json(raw, guard=False)
        head = _read_up_to(source, HEAD_SIZE)
        found = _header_before_messages(head)
        if found is not None:
            header, body_start = found
            place.source = source
            body_offset = source.position - len(head) + body_start
            yield Chat(header, _fast_messages(head[body_start:], body_offset, source, place), in_full_export=False)
            return
    yield from _chats_by_ijson(open_result, place)


def _read_up_to(source: ByteSource, size: int) -> bytes:
    parts = []
    while size > 0 and (part := source.read(size)):
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _skip_whitespace(data: bytes, index: int) -> int:
    while index < len(data) and data[index] in _WHITESPACE:
        index += 1
    return index


def _header_before_messages(head: bytes) -> tuple[dict[str, Any], int] | None:
    """The root header and the index just past the '[' of the root's "messages", if both lie in
    `head` and the header has a type and an id. Validated: `head` up to that '[' closed by ']}'
    must parse as an object whose last member is the empty "messages" list."""
    at = head.find(b'"messages"')
    for _ in range(_MAX_HEADER_TRIES):
        if at < 0:
            return None
        colon = _skip_whitespace(head, at + len(b'"messages"'))
        bracket = _skip_whitespace(head, colon + 1)
        if head[colon : colon + 1] == b":" and head[bracket : bracket + 1] == b"[":
            try:
                root = orjson.loads(head[: bracket + 1] + b"]}")
            except orjson.JSONDecodeError:
                root = None
            if type(root) is dict and root.get("messages") == [] and next(reversed(root)) == "messages":
                if "type" not in root or "id" not in root:
                    return None
                return {key: root[key] for key in HEADER_KEYS if key in root}, bracket + 1
        at = head.find(b'"messages"', at + 1)
    return None


def _fast_messages(body: bytes, offset: int, source: ByteSource, place: Place) -> Iterator[Message]:
    """The elements of the array that `body` continues (its '[' was just before), `offset` being the
    file position of body[0]."""
    first = _skip_whitespace(body, 0)
    layout = body[:first]
    if body[first : first + 1] != b"{" or b"\n" not in layout:
        yield from _resume_with_ijson(body, offset, source, place)
        return
    # Between two messages: a closing brace, a comma, the layout seen before the first one (a newline
    # and the indentation), an opening brace. Pieces are what lies between two opening and closing braces.
    marker = b"}," + layout + b"{"
    loads = orjson.loads
    offset += first + 1
    pending = body[first + 1 :]
    while True:
        more = source.read(CHUNK_SIZE)
        pieces = (pending + more).split(marker)
        pending = pieces.pop()
        for index, piece in enumerate(pieces):
            try:
                # orjson accepts 1024 levels; the guard's limit applies here too (see _too_deep).
                message = None if _too_deep(piece) else loads(b"{%b}" % piece)
            except orjson.JSONDecodeError:
                message = None
            if type(message) is not dict:
                rest = b"{" + marker.join(pieces[index:]) + marker + pending
                yield from _resume_with_ijson(rest, offset - 1, source, place)
                return
            offset += len(piece) + len(marker)
            yield message
        if not more or len(pending) > MAX_PIECE:
            break
    yield from _resume_with_ijson(b"{" + pending, offset - 1, source, place)


def _too_deep(piece: bytes) -> bool:
    """Whether a message (the inside of its braces, at depth 3: root object, messages list, message
    object) nests beyond MAX_DEPTH. Counting its opening brackets is a cheap bound; only a piece
    with many is followed exactly."""
    openers = len(piece.translate(None, _ALL_BUT_OPENERS))
    return openers > MAX_DEPTH - _INSIDE_MESSAGE and not NestingGuard(MAX_DEPTH, _INSIDE_MESSAGE).feed(piece)


def _resume_with_ijson(rest: bytes, offset: int, source: ByteSource, place: Place) -> Iterator[Message]:
    """Parse the remaining messages and the end of the file with ijson, from an element start."""
    resumed = ByteSource(source, pending=_RESUME_PREFIX + rest, start=offset, synthetic=len(_RESUME_PREFIX), guard=True)
    place.source = resumed
    yield from _items(resumed, "messages.item", place)


def _items(source: ByteSource, prefix: str, place: Place) -> Iterator[Message]:
    try:
        yield from ijson.items(source, prefix, use_float=True, buf_size=IJSON_BUFFER)
    except _JSON_ERRORS as exc:
        raise _malformed(exc, place) from exc


def _malformed(exc: Exception, place: Place) -> ParseError:
    detail = exc.args[0] if exc.args else ""
    if isinstance(detail, bytes):  # yajl's messages arrive as bytes
        detail = detail.decode("utf-8", "replace")
    lines = str(detail).strip().splitlines()
    return ParseError(f"malformed JSON ({lines[0] if lines else type(exc).__name__})", location=str(place))


@dataclass
class _ChatOutline:
    section: str
    header: dict[str, Any] = field(default_factory=dict)
    messages_event: str | None = None
    count: int = 0


@dataclass
class _Outline:
    header: dict[str, Any] = field(default_factory=dict)
    messages_event: str | None = None
    sections: list[str] = field(default_factory=list)
    chats: list[_ChatOutline] = field(default_factory=list)
    error: ParseError | None = None  # met after the layout was known; the message pass meets it again


def _chats_by_ijson(open_result: Callable[[], BinaryIO], place: Place) -> Iterator[Chat]:
    with open_result() as raw:
        outline = _read_outline(open_json(raw, guard=True), place)
    if outline.messages_event is not None:
        if outline.error is not None and "id" not in outline.header:
            raise outline.error
        if outline.messages_event != "start_array":
            raise ParseError(f"`messages` is {_JSON_TYPES[outline.messages_event]}, expected a list",
                             location=place.file)
        with open_result() as raw:
            place.source = open_json(raw, guard=True)
            yield Chat(outline.header, _items(place.source, "messages.item", place), in_full_export=False)
        return
    if not outline.sections:
        raise ParseError("no `messages` (single-chat export) and no `chats` or `left_chats` (full export)",
                         location=place.file)
    for section in dict.fromkeys(chat.section for chat in outline.chats):
        with open_result() as raw:
            place.source = open_json(raw, guard=True)
            items = _items(place.source, f"{section}.list.item.messages.item", place)
            for index, chat in enumerate(c for c in outline.chats if c.section == section):
                place.chat = f"{section}[{index}] {chat.header.get('name')!r}"
                if outline.error is not None and chat is outline.chats[-1] and "id" not in chat.header:
                    raise outline.error
                if chat.messages_event not in (None, "start_array"):
                    raise ParseError(f"`messages` is {_JSON_TYPES[chat.messages_event]}, expected a list",
                                     location=str(place))
                messages = _take(items, chat.count, place)
                yield Chat(chat.header, messages, in_full_export=True)
                for _ in messages:  # the caller may skip a chat; its messages still pass by
                    pass
            for _ in items:
                raise ParseError("more messages than the first pass counted: the file changed while being read",
                                 location=str(place))


def _take(items: Iterator[Message], count: int, place: Place) -> Iterator[Message]:
    for _ in range(count):
        message = next(items, _END)
        if message is _END:
            raise ParseError("fewer messages than the first pass counted: the file changed while being read",
                             location=str(place))
        yield message


def _outline_events() -> frozenset[tuple[str, str]]:
    wanted = {("", event) for event in _VALUE_EVENTS}
    for path in (*HEADER_KEYS, "messages", *SECTIONS):
        wanted |= {(path, event) for event in _VALUE_EVENTS}
    for section in SECTIONS:
        for path in ("list", "list.item", "list.item.messages", "list.item.messages.item",
                     *(f"list.item.{key}" for key in HEADER_KEYS)):
            wanted |= {(f"{section}.{path}", event) for event in _VALUE_EVENTS}
    return frozenset(wanted)


_OUTLINE_EVENTS = _outline_events()
_PREFIX_AND_EVENT = operator.itemgetter(0, 1)
_END = object()


def _read_outline(source: ByteSource, place: Place) -> _Outline:
    """Root header and chat headers with message counts. It stops at the root's messages list when
    the header came first. A parse error is raised at once only if nothing readable came before it;
    otherwise it is kept, and the message pass meets it again at the same byte, after yielding what
    came before it."""
    outline = _Outline()
    place.source = source
    events, selectors = itertools.tee(ijson.parse(source, buf_size=IJSON_BUFFER, use_float=True))
    wanted = itertools.compress(events, map(_OUTLINE_EVENTS.__contains__, map(_PREFIX_AND_EVENT, selectors)))
    try:
        for prefix, event, value in wanted:
            section, _, path = prefix.partition(".")
            if path == "list.item.messages.item":
                outline.chats[-1].count += 1
            elif prefix == "":
                if event != "start_map":
                    raise ParseError(f"the top level is {_JSON_TYPES[event]}, expected an object", location=place.file)
            elif prefix in HEADER_KEYS:
                outline.header[prefix] = value
            elif prefix == "messages":
                outline.messages_event = event
                if event == "start_array" and "type" in outline.header and "id" in outline.header:
                    break
            elif path == "list.item":
                if event != "start_map":
                    raise ParseError(f"a chat in `{section}` is {_JSON_TYPES[event]}, expected an object",
                                     location=str(place))
                outline.chats.append(_ChatOutline(section))
            elif path == "list.item.messages":
                outline.chats[-1].messages_event = event
            elif path.startswith("list.item."):
                outline.chats[-1].header[path.rsplit(".", 1)[1]] = value
            elif path == "" and event == "start_map":
                outline.sections.append(section)
            elif event != ("start_map" if path == "" else "start_array"):
                expected = "an object" if path == "" else "a list"
                raise ParseError(f"`{prefix}` is {_JSON_TYPES[event]}, expected {expected}", location=place.file)
    except _JSON_ERRORS as exc:
        outline.error = _malformed(exc, place)
        if outline.messages_event is None and not outline.chats:
            raise outline.error from exc
    return outline
