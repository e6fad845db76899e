"""Link stage `findings`: turn every other stage's results into ranked findings with their evidence.

One producer per kind. A producer switches itself off, with the reason kept in the stage's note, when its
stage's tables are not installed or the stage has never run; the kinds it did produce replace their
previous findings. Upticks are written by the `trends` stage itself. Register this stage last in STAGES so
that it runs after the stages it reads (the pipeline keeps the registry's order among independent stages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Callable, Iterator

from sqlalchemy import Connection

from echoscope.findings import (
    COORDINATION_COMMUNITY,
    ECHO_CASCADE,
    IMAGE_REUSE,
    NARRATIVE,
    SYMBOL_PAIRING,
    Finding,
    echoes,
    images,
    network,
    text,
)
from echoscope.stages.base import Progress, Stage, StageReport
from echoscope.store import Store, finding_sources, stage_runs
from echoscope.store import findings as stored_findings


@dataclass(frozen=True)
class Producer:
    kind: str
    stage: str  # the stage whose results it reads
    table: str  # a table that stage writes
    produce: Callable[[Connection], Iterator[Finding]]


PRODUCERS = (
    Producer(ECHO_CASCADE, "echoes", "echo_clusters", echoes.produce),
    Producer(IMAGE_REUSE, "images", "image_clusters", images.produce),
    Producer(SYMBOL_PAIRING, "symbols", "symbol_pairings", text.symbol_pairings),
    Producer(NARRATIVE, "narratives", "narrative_tags", text.narratives),
    Producer(COORDINATION_COMMUNITY, "network", "network_channels", network.produce),
)


def stage_missing(store: Store, stage: str, table: str) -> str | None:
    """Why results of `stage` (which writes `table`) cannot be read here, or None when they can."""
    if not finding_sources.has_table(table):
        return f"the {stage} stage is not installed"
    if not stage_runs.has_run(store, stage):
        return f"the {stage} stage has not run (echoscope analyze --only {stage})"
    return None


class Findings(Stage):
    name = "findings"
    kind = "link"
    requires = ("trends",)
    description = "Findings from every stage's results: statement, score and the post versions behind each."

    def run(self, store: Store, settings: dict, progress: Progress) -> StageReport:
        report = StageReport(self.name)
        notes = []
        for done, producer in enumerate(PRODUCERS):
            reason = stage_missing(store, producer.stage, producer.table)
            if reason:
                notes.append(f"{producer.kind}: {reason}")
            else:
                with store.transaction() as conn:
                    report.counts[producer.kind] = stored_findings.replace_findings(
                        conn, producer.kind, producer.produce(conn), datetime.now(UTC)
                    )
            progress(done + 1, len(PRODUCERS))
        report.note = "; ".join(notes)
        return report
