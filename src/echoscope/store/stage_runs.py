"""Which stage ran when, with what outcome: the record behind `analyze` and a report's method notes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from echoscope import __version__
from echoscope.stages.base import StageReport
from echoscope.store import Store
from echoscope.store.schema import stage_inputs, stage_runs


def record(store: Store, report: StageReport, started: datetime, finished: datetime) -> None:
    with store.transaction() as conn:
        conn.execute(
            stage_runs.insert().values(
                stage=report.name,
                status=report.status,
                counts=report.counts,
                note=report.note,
                started_at=started,
                finished_at=finished,
                tool_version=__version__,
            )
        )


def has_run(store: Store, stage: str) -> bool:
    with store.reading() as conn:
        query = select(stage_runs.c.pk).where(stage_runs.c.stage == stage, stage_runs.c.status == "ran").limit(1)
        return conn.execute(query).first() is not None


def history(store: Store, limit: int = 50) -> list[dict]:
    with store.reading() as conn:
        query = select(stage_runs).order_by(stage_runs.c.pk.desc()).limit(limit)
        return [dict(row._mapping) for row in conn.execute(query)]


def recorded_inputs(conn: Connection, stage: str) -> str | None:
    """The digest of the settings the stage's stored results were made with, if it recorded one."""
    return conn.execute(select(stage_inputs.c.digest).where(stage_inputs.c.stage == stage)).scalar_one_or_none()


def record_inputs(conn: Connection, stage: str, digest: str, when: datetime) -> None:
    conn.execute(delete(stage_inputs).where(stage_inputs.c.stage == stage))
    conn.execute(insert(stage_inputs).values(stage=stage, digest=digest, recorded_at=when))
