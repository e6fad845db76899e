"""The bytes of result.json as the JSON readers see them.

`ByteSource` wraps the raw stream. It can put bytes back in front of it (bytes read ahead, or a
synthetic prefix that recreates the context of a stream resumed in the middle of an array), it knows
the file position for error messages, and on request it refuses nesting deeper than MAX_DEPTH.

Why the guard: ijson's C backend keeps the prefix string of every open nesting level
("messages.item.x.item.item…"), so its memory grows with the square of the depth: 20,000 levels take
1 GB, 100,000 levels exhaust the machine. A real export nests about ten levels. `NestingGuard` follows
the bracket structure of each chunk with C-speed bytes operations (no Python loop per byte) and stops
the read long before ijson could get into trouble; it also keeps parsed values shallow enough for
tools with recursion limits further down (orjson serialises at most 254 levels).
"""

from __future__ import annotations

import copy
import itertools
import re
from typing import BinaryIO

UTF8_BOM = b"\xef\xbb\xbf"
MAX_DEPTH = 64

_KEEP = b'"[]{}'
_ESCAPE = re.compile(rb"\\.", re.DOTALL)  # a backslash and the byte it escapes
_DELETE_ALL_BUT_STRUCTURE = bytes(byte for byte in range(256) if byte not in _KEEP)
_DEPTH_STEP = tuple(1 if byte in b"[{" else -1 if byte in b"]}" else 0 for byte in range(256))


class NestingTooDeep(ValueError):
    """The JSON nests deeper than MAX_DEPTH levels."""


class ByteSource:
    """A readable binary stream: `pending` bytes first, then `stream`.

    `start` is the file offset of the first real byte delivered; the first `synthetic` bytes of
    `pending` are not in the file and do not move the position.
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        pending: bytes = b"",
        start: int = 0,
        synthetic: int = 0,
        guard: bool = False,
    ):
        self.stream = stream
        self._pending = pending
        self._start = start
        self._synthetic = synthetic
        self._delivered = 0
        self._guard = NestingGuard(MAX_DEPTH) if guard else None
        self._too_deep = False

    @property
    def position(self) -> int:
        """File offset just past the last byte handed out."""
        return self._start + max(0, self._delivered - self._synthetic)

    def read(self, size: int = -1) -> bytes:
        if self._too_deep:
            raise self._nesting_error()
        if not self._pending:
            data = self.stream.read(size)
        elif 0 <= size < len(self._pending):
            data, self._pending = self._pending[:size], self._pending[size:]
        else:
            data, self._pending = self._pending, b""
        if self._guard is not None:
            # Hand out the bytes before the offending ones, so the parser still yields every message
            # that precedes them; the next read raises.
            accepted = self._guard.accept(data)
            self._too_deep = accepted < len(data)
            data = data[:accepted]
            if self._too_deep and not data:
                raise self._nesting_error()
        self._delivered += len(data)
        return data

    def _nesting_error(self) -> NestingTooDeep:
        return NestingTooDeep(f"JSON nested deeper than {MAX_DEPTH} levels, before byte {self.position}")


def open_json(stream: BinaryIO, *, guard: bool) -> ByteSource:
    """A ByteSource over result.json with a UTF-8 byte order mark, if any, skipped."""
    head = stream.read(len(UTF8_BOM))
    if head == UTF8_BOM:
        return ByteSource(stream, start=len(UTF8_BOM), guard=guard)
    return ByteSource(stream, pending=head, guard=guard)


class NestingGuard:
    """Tracks the nesting depth of a JSON byte stream fed in chunks, ignoring brackets in strings.

    Per chunk: drop escape sequences, keep only quotes and brackets (`translate`), drop
    the strings (most vanish as '""'), then take the running depth over the few brackets left with
    `accumulate` and `max`, all loops in C.
    """

    def __init__(self, limit: int, depth: int = 0):
        self._limit = limit
        self._depth = depth
        self._in_string = False
        self._held_backslash = b""  # an odd trailing backslash escapes the next chunk's first byte

    def accept(self, chunk: bytes) -> int:
        """How many leading bytes of `chunk` stay within the limit: all, or the bytes before the
        nesting first goes too deep (found by bisection, to within 64 bytes)."""
        before = copy.copy(self)
        if self.feed(chunk):
            return len(chunk)
        good, bad = 0, len(chunk)
        while bad - good > 64:
            middle = (good + bad) // 2
            trial = copy.copy(before)
            if trial.feed(chunk[good:middle]):
                good, before = middle, trial
            else:
                bad = middle
        return good

    def feed(self, chunk: bytes) -> bool:
        """Account for `chunk`; False once the nesting has gone deeper than the limit."""
        data = self._held_backslash + chunk
        trailing = len(data) - len(data.rstrip(b"\\"))
        self._held_backslash = b"\\" if trailing % 2 else b""
        if trailing % 2:
            data = data[:-1]
        data = _ESCAPE.sub(b"", data)
        marks = data.translate(None, _DELETE_ALL_BUT_STRUCTURE)
        if self._in_string:
            marks = b'"' + marks
        self._in_string = bool(marks.count(b'"') % 2)
        if self._in_string:
            marks += b'"'
        # Removing '""' never changes which brackets sit inside strings.
        marks = marks.replace(b'""', b"")
        if b'"' in marks:
            marks = b"".join(marks.split(b'"')[::2])
        if not marks:
            return True
        deepest = max(itertools.accumulate(map(_DEPTH_STEP.__getitem__, marks), initial=self._depth))
        opened = marks.count(b"[") + marks.count(b"{")
        self._depth += 2 * opened - len(marks)
        return deepest <= self._limit
