"""The main job on the bundled example: what `echoscope demo` and `make demo` run.

The example folder holds `exports/*/` (Telegram Desktop exports), `other-platforms.csv` (posts from
Facebook and X, where a photograph appeared first), `registry.csv` (who each channel speaks for) and
`searches.txt` (one query per line, as an analyst would type them).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from echoscope.errors import SourceUnavailable
from echoscope.ingest import IngestSummary, ingest
from echoscope.registry import read_registry
from echoscope.sources.table import TableSource
from echoscope.sources.tdesktop import TelegramDesktopExport
from echoscope.store import Store

ProgressFactory = Callable[[str], AbstractContextManager[Callable[[int], None]]]


@dataclass
class DemoResult:
    db_path: Path
    ingests: list[tuple[Path, IngestSummary]] = field(default_factory=list)
    stats: list[dict] = field(default_factory=list)
    searches: list[tuple[str, list[dict]]] = field(default_factory=list)


def _fresh_database(out_dir: Path) -> Path:
    """The demo's own store, started afresh so every run shows the same figures."""
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / "echoscope.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return db_path


def run_demo(example: Path, out_dir: Path, progress: ProgressFactory | None = None) -> DemoResult:
    exports = sorted(path for path in (example / "exports").glob("*") if path.is_dir())
    if not exports:
        raise SourceUnavailable(f"{example}: no example exports found (expected {example}/exports/*/result.json)")
    result = DemoResult(db_path=_fresh_database(out_dir))
    sources = [(path, TelegramDesktopExport(path)) for path in exports]
    table = example / "other-platforms.csv"
    if table.exists():
        sources.append((table, TableSource(table)))
    with Store(result.db_path) as store:
        for path, records in sources:
            if progress is None:
                result.ingests.append((path, ingest(store, records)))
                continue
            with progress(f"Ingesting {path.name}") as advance:
                result.ingests.append((path, ingest(store, records, progress=advance)))
        store.import_registry(read_registry(example / "registry.csv"))
        result.stats = store.channel_stats()
        queries = (example / "searches.txt").read_text(encoding="utf-8").splitlines()
        for query in (line.strip() for line in queries):
            if query and not query.startswith("#"):
                result.searches.append((query, store.search(query, limit=10)))
    return result
