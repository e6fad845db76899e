"""Writing records as JSON Lines or CSV: the project's public interface, so field names stay stable."""

from __future__ import annotations

import csv
from typing import IO, Iterable, Sequence

import orjson

FORMATS = ("jsonl", "csv")


def write_jsonl(records: Iterable[dict], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(orjson.dumps(record).decode())
        out.write("\n")
        count += 1
    return count


def _cell(value: object) -> object:
    """Nested values (media lists, spans) go into one CSV cell as JSON, so nothing is lost."""
    return orjson.dumps(value).decode() if isinstance(value, (list, dict)) else value


def write_csv(records: Iterable[dict], out: IO[str], fields: Sequence[str]) -> int:
    """CSV with a header even when there is no record, so a tool reading it sees the columns."""
    writer = csv.DictWriter(out, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow({key: _cell(value) for key, value in record.items()})
        count += 1
    return count


def write_records(records: Iterable[dict], out: IO[str], fmt: str, fields: Sequence[str]) -> int:
    """Write records in `fmt` (jsonl or csv); returns how many were written."""
    return write_jsonl(records, out) if fmt == "jsonl" else write_csv(records, out, fields)
