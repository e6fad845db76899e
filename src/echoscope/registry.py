"""The analyst's channel registry: a CSV or YAML file saying who each channel belongs to.

Columns (CSV header or YAML keys), all optional but one of `id`/`username`:
    platform (default telegram), id (123, -100123, channel123 or chat123), username (@name, t.me/name),
    title, affiliation, country, language, tags (`;`-separated in CSV, a list in YAML), notes, source
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterator

import yaml

from echoscope.errors import ConfigError, SourceUnavailable
from echoscope.model import TELEGRAM, RegistryEntry

KNOWN_COLUMNS = {
    "platform", "id", "channel_id", "username", "title", "affiliation", "country", "language",
    "tags", "notes", "source", "attribution_source",
}


def telegram_channel_id(value: str) -> str:
    """`channel<id>` / `chat<id>` from the forms analysts paste: bare id, -100 marked id, or as exported."""
    value = value.strip()
    if value.startswith(("channel", "chat", "user")):
        return value
    if value.startswith("-100") and value[4:].isdigit():
        return f"channel{value[4:]}"
    if value.startswith("-") and value[1:].isdigit():
        return f"chat{value[1:]}"
    if value.isdigit():
        return f"channel{value}"
    raise ValueError(f"{value!r} is not a Telegram channel id")


def clean_username(value: str) -> str:
    value = value.strip().removeprefix("https://").removeprefix("http://").removeprefix("t.me/")
    return value.removeprefix("s/").removeprefix("@").strip("/")


def _entry(fields: dict[str, Any], location: str) -> RegistryEntry:
    unknown = set(fields) - KNOWN_COLUMNS
    if unknown:
        raise ConfigError(f"{location}: unknown column(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(KNOWN_COLUMNS))}")

    def text(name: str) -> str | None:
        value = fields.get(name)
        return str(value).strip() or None if value is not None else None

    platform = text("platform") or TELEGRAM
    raw_id = text("id") or text("channel_id")
    username = text("username")
    if not raw_id and not username:
        raise ConfigError(f"{location}: a channel needs an id or a username")
    try:
        channel_id = telegram_channel_id(raw_id) if raw_id and platform == TELEGRAM else raw_id
    except ValueError as exc:
        raise ConfigError(f"{location}: {exc}") from None
    tags = fields.get("tags") or ()
    if isinstance(tags, str):
        tags = [tag.strip() for tag in tags.split(";")]
    return RegistryEntry(
        platform=platform,
        channel_id=channel_id,
        username=clean_username(username) if username else None,
        title=text("title"),
        affiliation=text("affiliation"),
        country=text("country"),
        language=text("language"),
        tags=tuple(str(tag) for tag in tags if str(tag).strip()),
        notes=text("notes"),
        attribution_source=text("source") or text("attribution_source"),
    )


def read_registry(path: str | Path) -> Iterator[RegistryEntry]:
    """Registry entries from a .csv or .yaml/.yml file; errors name the file and the row."""
    path = Path(path)
    if not path.is_file():
        raise SourceUnavailable(f"{path}: no such registry file")
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                fields = {key.strip(): value for key, value in row.items() if key and value not in (None, "")}
                yield _entry(fields, f"{path}:{reader.line_num}")
        return
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        items = data.get("channels") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise ConfigError(f"{path}: expected a list of channels (or a `channels:` list)")
        for number, item in enumerate(items, 1):
            if not isinstance(item, dict):
                raise ConfigError(f"{path}: channel #{number} is not a mapping")
            yield _entry(item, f"{path}: channel #{number}")
        return
    raise ConfigError(f"{path}: a registry must be .csv, .yaml or .yml")
