"""Posts from other platforms (Facebook, X/Twitter …) as a table: CSV, or JSON Lines (.jsonl, .ndjson).

Columns (names after mapping; only `channel`, `post_id` and `date` are required):

    platform  channel  channel_title  post_id  date  text  url  link  media  views  forwards  reactions  lang

- `platform` per row wins over the `platform=` default (`--platform`); both are lower-cased. A row
  with neither is a ParseError.
- `channel` is the account name as given, kept as `channel_id` (output contract); `channel_title`
  defaults to it.
- `post_id`: a decimal integer below 2**63 is kept as is (X ids have 19 digits and fit). Anything else
  (Facebook's `123_456`, a URL) is kept in `extra["source_post_id"]` and the stored id is derived from
  it: the first 8 bytes of SHA-256 of the UTF-8 id, big-endian, shifted right by one (63 bits, never
  negative). The same id gives the same number on every run and every machine.
- `date`: ISO 8601 (`T` or space; `Z`, `+03:00`, or a trailing `UTC`/`GMT`), or Unix seconds. A date
  without a zone is read as UTC and the file gets one SourceWarning. A zone abbreviation such as `EST`
  is ambiguous and refused: export in UTC.
- `url` → `extra["url"]`, `link` (what the post shares) → `extra["link"]`, `lang` → `extra["lang"]`.
- `views`, `forwards`: integers (`1,234` and `12.0` accepted), empty → unknown. `reactions`: an
  integer total → one Reaction(type="total"), or JSON: `{"like": 3}` or `[{"type", "count", "emoji"}]`.
- `media`: `;`-separated (a JSON list also works in JSON Lines). An http(s) URL is recorded, never
  fetched (status not-included). Anything else is a path relative to the table's folder, checked and
  hashed by the same code as a Telegram export (`_export_root`): stored, missing or refused.

Mapping: `columns={"text": "Message"}` (CLI `--map text=Message`) reads a target from another column;
a preset is a shipped mapping, and `columns` override it. `PRESETS["crowdtangle"]` holds the usual
column names of a CrowdTangle Facebook CSV export (check them against your own export):

    channel ← "User Name", else "Facebook Id"   channel_title ← "Page Name"   post_id ← "URL"
    date ← "Post Created"   text ← "Message"   url ← "URL"   link ← "Link"   views ← "Post Views"
    forwards ← "Shares"   reactions ← "Total Interactions" (as a total)

CrowdTangle CSVs carry no post id column, so the post URL is the id (derived as above), and no
platform column, so give `--platform facebook`. "Post Created" must be in UTC (the dashboard's time zone
setting) or carry an explicit offset. "Image Text", "Link Text", "Description" and the per-reaction
counts are not mapped; they stay in the raw record.

Records: a Capture (SHA-256 of the file bytes), then each Channel when first seen, before its first
Post. `raw` is the row as read (a dict of strings for CSV, the object for JSON Lines). A malformed row
raises ParseError naming `file:line` after every row before it has been yielded.
"""

from __future__ import annotations

import csv
import hashlib
import mimetypes
import os
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

import echoscope
from echoscope.errors import ConfigError, ParseError, SourceUnavailable
from echoscope.model import (
    MEDIA_NOT_INCLUDED,
    Capture,
    Channel,
    Media,
    Post,
    Reaction,
    Record,
    SourceWarning,
)
from echoscope.sources._export_root import FolderExport

__all__ = ["FIELDS", "PRESETS", "TableSource", "column_map", "derived_post_id"]

FIELDS = ("platform", "channel", "channel_title", "post_id", "date", "text", "url", "link", "media",
          "views", "forwards", "reactions", "lang")
REQUIRED = ("channel", "post_id", "date")
PRESETS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "crowdtangle": {
        "channel": ("User Name", "Facebook Id"),  # pages without a user name have only their numeric id
        "channel_title": "Page Name",
        "post_id": "URL",
        "date": "Post Created",
        "text": "Message",
        "url": "URL",
        "link": "Link",
        "views": "Post Views",
        "forwards": "Shares",
        "reactions": "Total Interactions",
    },
}
_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_MAX_ID = 1 << 63
_COUNT = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.0+)?")
_UNIX = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ZONE_NAME = re.compile(r"(.*\d)\s*([A-Za-z]{2,5})")
_KINDS = {"image": "photo", "video": "video_file", "audio": "audio_file"}


def column_map(pairs: list[str]) -> dict[str, str]:
    """`["text=Message", …]` (the CLI's repeated --map) as a mapping target → source column."""
    mapping = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise ConfigError(f"--map {pair!r}: write it as target=source, e.g. text=Message")
        mapping[target.strip()] = source.strip()
    return mapping


def derived_post_id(original: str) -> int:
    """The stable 63-bit store id of a post id that is not a 64-bit integer (see the module docstring)."""
    return int.from_bytes(hashlib.sha256(original.encode()).digest()[:8], "big") >> 1


class TableSource:
    """A CSV or JSON Lines table of posts as a source of records."""

    name = "table"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        platform: str | None = None,
        columns: Mapping[str, str] | None = None,
        preset: str | None = None,
        tool_version: str = echoscope.__version__ or "0.1.0",
    ):
        self.path = os.fspath(path)
        self.format = _FORMATS.get(os.path.splitext(self.path)[1].lower())
        if self.format is None:
            raise ConfigError(f"{self.path}: not a table (use .csv, .jsonl or .ndjson)")
        if preset is not None and preset not in PRESETS:
            raise ConfigError(f"unknown preset {preset!r} (known: {', '.join(PRESETS)})")
        unknown = sorted(set(columns or {}) - set(FIELDS))
        if unknown:
            raise ConfigError(f"unknown column target(s) {', '.join(unknown)}; targets are {', '.join(FIELDS)}")
        if not os.path.isfile(self.path):
            raise SourceUnavailable(f"{self.path}: no such file")
        self.platform = platform.strip().lower() if platform and platform.strip() else None
        self.given = dict(columns or {})
        mapped = PRESETS.get(preset, {}) | self.given
        self.sources = {t: (s,) if isinstance(s := mapped.get(t, t), str) else s for t in FIELDS}
        self.tool_version = tool_version

    def iter_records(self) -> Iterator[Record]:
        collected_at = datetime.now(UTC)
        with FolderExport(self.path, self.path) as folder:  # the table's folder is its media root
            yield Capture(self.name, self.path, folder.sha256(), collected_at, self.tool_version)
            rows = _csv_rows(self) if self.format == "csv" else _jsonl_rows(self.path)
            yield from _Rows(self, folder).records(rows)


def _csv_rows(source: TableSource) -> Iterator[tuple[int, dict[str, Any]]]:
    name, line = source.path, 0
    with open(name, "rb") as handle:
        reader = csv.reader(_utf8_lines(handle, name))
        try:
            header = next(reader, [])
            if len(set(header)) != len(header):
                raise ParseError("the header names a column twice", location=f"{name}:1")
            _check_header(source, header)
            line = reader.line_num
            for cells in reader:
                start, line = line + 1, reader.line_num
                if not cells:
                    continue
                if len(cells) != len(header):
                    raise ParseError(f"{len(cells)} cells, the header has {len(header)}", location=f"{name}:{start}")
                yield start, dict(zip(header, cells, strict=True))
        except csv.Error as exc:
            raise ParseError(f"malformed CSV: {exc}", location=f"{name}:{line + 1}") from None


def _utf8_lines(handle, name: str) -> Iterator[str]:
    """Decoded line by line, so a bad byte is reported on its own line (a text stream decodes ahead)."""
    for number, data in enumerate(handle, 1):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"not UTF-8 text ({exc.reason})", location=f"{name}:{number}") from None
        yield text.removeprefix("\ufeff") if number == 1 else text


def _check_header(source: TableSource, header: list[str]) -> None:
    """A mapped column the analyst named, or a required one, must be in the header: a typo in --map
    must not silently read every row as empty."""
    for target, columns in source.sources.items():
        if set(columns) & set(header):
            continue
        if target in source.given:
            raise ConfigError(f"{source.path}: no column {columns[0]!r} (mapped to {target}) in the header")
        if target in REQUIRED:
            raise ParseError(f"no {target} column (looked for {', '.join(map(repr, columns))}); "
                             "name one with --map or --preset", location=f"{source.path}:1")


def _jsonl_rows(name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    with open(name, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ParseError(f"not JSON: {exc}", location=f"{name}:{number}") from None
            if not isinstance(row, dict):
                raise ParseError("a line must hold one JSON object", location=f"{name}:{number}")
            yield number, row


class _Rows:
    """Turns the rows of one table into records, remembering which channels it has yielded."""

    def __init__(self, source: TableSource, folder: FolderExport):
        self.source = source
        self.folder = folder
        self.channels: set[tuple[str, str]] = set()  # (platform, channel_id) already yielded
        self.warned_naive = False

    def records(self, rows: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[Record]:
        for number, row in rows:
            where = f"{self.source.path}:{number}"
            try:
                yield from self._row(row, where)
            except (ValueError, TypeError) as exc:
                raise ParseError(str(exc), location=where) from None

    def _cell(self, row: dict[str, Any], target: str) -> Any:
        """The first non-empty value among the columns mapped to `target`, or None."""
        for column in self.source.sources[target]:
            value = row.get(column)
            if isinstance(value, str):
                value = value.strip()
            if value not in (None, ""):
                return value
        return None

    def _row(self, row: dict[str, Any], where: str) -> Iterator[Record]:
        cells = {target: self._cell(row, target) for target in FIELDS}
        platform = (_text(cells["platform"], "platform") or self.source.platform or "").lower()
        if not platform:
            raise ValueError("no platform: add a platform column or give --platform")
        channel = _text(cells["channel"], "channel")
        if not channel:
            raise ValueError(f"no channel (column {self.source.sources['channel'][0]!r})")
        post_id, extra = _post_id(cells["post_id"])
        date, naive = _date(cells["date"])
        extra |= {key: _text(cells[key], key) for key in ("url", "link", "lang") if cells[key] is not None}
        post = Post(
            platform, channel, post_id, date, text=_text(cells["text"], "text") or "",
            media=tuple(self._media(entry) for entry in _media_entries(cells["media"])),
            views=_count(cells["views"], "views"), forwards=_count(cells["forwards"], "forwards"),
            reactions=_reactions(cells["reactions"]), extra=extra, raw=row,
        )
        if (platform, channel) not in self.channels:
            self.channels.add((platform, channel))
            yield Channel(platform, channel, title=_text(cells["channel_title"], "channel_title") or channel)
        if naive and not self.warned_naive:
            self.warned_naive = True
            yield SourceWarning(where, "dates without a time zone are read as UTC", channel, post_id)
        yield post

    def _media(self, entry: str) -> Media:
        mime = mimetypes.guess_type(entry.split("?", 1)[0], strict=False)[0]
        kind = _KINDS.get((mime or "").partition("/")[0])
        if entry.lower().startswith(("http://", "https://")):
            return Media(kind or "photo", MEDIA_NOT_INCLUDED, path=entry, mime=mime, note="remote URL, not downloaded")
        check = self.folder.media(entry)
        return Media(kind or "file", check.status, path=entry, sha256=check.sha256, size=check.size, mime=mime,
                     file_name=os.path.basename(entry.replace("\\", "/")) or None, note=check.note)


def _date(value: Any) -> tuple[datetime, bool]:
    """The date in UTC, and whether it carried no zone at all."""
    if value is None:
        raise ValueError("no date")
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number or isinstance(value, str) and _UNIX.fullmatch(value):
        try:
            return datetime.fromtimestamp(float(value), UTC), False
        except (OverflowError, OSError) as exc:
            raise ValueError(f"date {value!r}: {exc}") from None
    if not isinstance(value, str):
        raise ValueError(f"date {value!r} is neither ISO 8601 nor Unix seconds")
    text, zone = value, None
    if named := _ZONE_NAME.fullmatch(value):
        text, zone = named.group(1), named.group(2).upper()
        if zone not in ("UTC", "GMT"):
            raise ValueError(f"date {value!r}: the zone {zone!r} is ambiguous; export in UTC or with an offset")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"date {value!r} is neither ISO 8601 nor Unix seconds") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC), zone is None
    return moment.astimezone(UTC), False


def _text(value: Any, target: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):  # a numeric account or page id in JSON
        return str(value)
    raise TypeError(f"{target} must be text, not {type(value).__name__}")


def _post_id(value: Any) -> tuple[int, dict[str, Any]]:
    if value is None:
        raise ValueError("no post_id")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _MAX_ID:
        return value, {}
    original = value if isinstance(value, str) else orjson.dumps(value).decode()
    if original.isascii() and original.isdigit() and int(original) < _MAX_ID:
        return int(original), {}
    return derived_post_id(original), {"source_post_id": original}


def _count(value: Any, target: str) -> int | None:
    if value is None or isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and (match := _COUNT.fullmatch(value)):
        return int(match.group(1).replace(",", ""))
    raise ValueError(f"{target} {value!r} is not a count")


def _reactions(value: Any) -> tuple[Reaction, ...] | None:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise ValueError(f"reactions {value[:40]!r} is neither a count nor JSON") from None
    if isinstance(value, dict):
        return tuple(Reaction(str(kind), _count(count, "reactions") or 0) for kind, count in value.items())
    if isinstance(value, list):
        if not all(isinstance(item, dict) and "count" in item for item in value):
            raise ValueError("reactions: a JSON list needs objects with a count")
        return tuple(Reaction(str(item.get("type", "emoji")), _count(item["count"], "reactions") or 0,
                              emoji=_text(item.get("emoji"), "emoji")) for item in value)
    total = _count(value, "reactions")
    return None if total is None else (Reaction("total", total),)


def _media_entries(value: Any) -> list[str]:
    if value is None:
        return []
    items = value.split(";") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise TypeError("media must be text (';'-separated) or a list of text")
    return [item.strip() for item in items if item.strip()]
