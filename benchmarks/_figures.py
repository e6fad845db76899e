"""What every benchmark shares: the machine it ran on, and its block in docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_block(name: str, heading: str, lines: list[str]) -> str:
    """Replace the block between `<!-- name:start -->` and `<!-- name:end -->` (or append it under
    `heading`), so each benchmark rewrites its own figures and nothing else."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = "\n".join([start, *lines, end])
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + f"\n\n## {heading}\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")
    return block


def floor_store(stored: Path, db: Path) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    """(the store a run made, a fresh store of the same schema) as plain sqlite3 connections, the fresh one
    with echoscope's pragmas: what a "floor" re-writes a run's rows into, to time the SQL alone."""
    from echoscope.store import Store

    Store(db).close()  # the schema, the FTS5 table and its triggers
    source, target = sqlite3.connect(stored), sqlite3.connect(db)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-65536"):
        target.execute(f"PRAGMA {pragma}")
    return source, target


def insert_statement(source: sqlite3.Connection, table: str) -> tuple[str, str]:
    """(its columns, an INSERT of all of them) for a table of the source store."""
    columns = [f'"{row[1]}"' for row in source.execute(f"PRAGMA table_info({table})")]
    return ", ".join(columns), f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
