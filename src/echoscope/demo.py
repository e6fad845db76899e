"""The main job on the bundled example: what `echoscope demo` and `make demo` run.

Ingest every source in the example folder, apply the channel registry and the translation cache, run every
analysis stage, and write the report. The folder holds `exports/*/` (Telegram Desktop exports),
`other-platforms.csv` (posts from Facebook and X, where a photograph appeared first), `registry.csv` (who
each channel speaks for), `translations.jsonl` (hand-written English glosses) and `searches.txt` (queries
as an analyst types them).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable

from echoscope import pipeline
from echoscope.errors import SourceUnavailable
from echoscope.findings.listing import key_findings, ranked_records
from echoscope.ingest import IngestSummary, ingest
from echoscope.registry import read_registry
from echoscope.sources.table import TableSource
from echoscope.sources.tdesktop import TelegramDesktopExport
from echoscope.stages import StageReport
from echoscope.store import Store
from echoscope.store import translations
from echoscope.text.translate import read_translation_file

ProgressFactory = Callable[[str], AbstractContextManager[Callable[[int], None]]]
TITLE = "Iraqi channels amplifying pro-Russia posts, May–June 2023 (illustrative example)"


@dataclass
class DemoResult:
    db_path: Path
    ingests: list[tuple[Path, IngestSummary]] = field(default_factory=list)
    stats: list[dict] = field(default_factory=list)
    searches: list[tuple[str, list[dict]]] = field(default_factory=list)
    stages: list[StageReport] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    report_files: list[Path] = field(default_factory=list)
    report_note: str = ""


def _fresh_database(out_dir: Path) -> Path:
    """The demo's own store, started afresh so every run shows the same figures."""
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / "echoscope.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return db_path


def _sources(example: Path) -> list[tuple[Path, object]]:
    exports = sorted(path for path in (example / "exports").glob("*") if path.is_dir())
    if not exports:
        raise SourceUnavailable(f"{example}: no example exports found (expected {example}/exports/*/result.json)")
    sources: list[tuple[Path, object]] = [(path, TelegramDesktopExport(path)) for path in exports]
    table = example / "other-platforms.csv"
    if table.exists():
        sources.append((table, TableSource(table)))
    return sources


def run_demo(example: Path, out_dir: Path, progress: ProgressFactory | None = None,
             stage_progress: pipeline.StageProgress | None = None, formats: tuple[str, ...] = ("html", "md", "pdf")) -> DemoResult:
    result = DemoResult(db_path=_fresh_database(out_dir))
    with Store(result.db_path) as store:
        for path, records in _sources(example):
            if progress is None:
                result.ingests.append((path, ingest(store, records)))
                continue
            with progress(f"Ingesting {path.name}") as advance:
                result.ingests.append((path, ingest(store, records, progress=advance)))
        store.import_registry(read_registry(example / "registry.csv"))
        glosses = example / "translations.jsonl"
        if glosses.exists():
            with store.transaction() as conn:
                translations.import_translations(conn, read_translation_file(glosses), backend="imported",
                                                 model=f"{glosses.name} (hand-written glosses)", translated_at=datetime.now(UTC))
        result.stages = pipeline.run_stages(store, progress=stage_progress)
        result.stats = store.channel_stats()
        queries = (example / "searches.txt").read_text(encoding="utf-8").splitlines()
        for query in (line.strip() for line in queries):
            if query and not query.startswith("#"):
                result.searches.append((query, store.search(query, limit=10)))
        result.findings = key_findings(ranked_records(store), top=12, per_kind=3)
        _write_report(store, out_dir / "report", formats, result)
    return result


def _write_report(store: Store, folder: Path, formats: tuple[str, ...], result: DemoResult) -> None:
    """The report, if this installation can write it (the `report` extra); otherwise say what to install."""
    try:
        from echoscope.report import build_report, write
        from echoscope.report.render import pdf_unavailable
    except ImportError as exc:
        result.report_note = f"no report: {exc.name} is missing (pip install 'echoscope[report]')"
        return
    if "pdf" in formats and (reason := pdf_unavailable()):
        formats = tuple(name for name in formats if name != "pdf")
        result.report_note = f"no PDF: {reason}"
    result.report_files = write(build_report(store, title=TITLE), folder, formats)
