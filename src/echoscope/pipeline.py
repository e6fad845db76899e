"""Run enrich and link stages in the order their `requires` allow, and record what each did.

    reports = run_stages(store, only=["echoes"])        # or only=None for every registered stage

A stage that is unavailable here, or whose requirement failed or never ran, is skipped with the reason;
a stage that raises StageError is recorded as failed and the independent stages still run. Every outcome
is a row in `stage_runs`, so `analyze` can be re-run alone and the report can say what ran when.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Callable, Iterable

from echoscope import config
from echoscope.errors import ConfigError, StageError
from echoscope.stages import STAGES, Stage, StageReport
from echoscope.store import Store, stage_runs

StageProgress = Callable[[str], Callable[[int, int | None], None]]


def registered() -> dict[str, type[Stage]]:
    return {stage.name: stage for stage in STAGES}


def plan(only: Iterable[str] | None = None) -> list[type[Stage]]:
    """The stages to run, requirements first. `only` names a subset (their requirements are not added)."""
    stages = registered()
    misnamed = set(config.stage_sections()) - set(stages)
    if misnamed:
        raise ConfigError(f"[stages.{sorted(misnamed)[0]}]: no such stage; stages are: {', '.join(stages)}")
    wanted = list(stages) if only is None else list(dict.fromkeys(only))
    unknown = [name for name in wanted if name not in stages]
    if unknown:
        raise StageError(f"unknown stage(s) {', '.join(unknown)}; stages are: {', '.join(stages) or 'none'}")
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise StageError(f"stage {name!r} requires itself through {', '.join(sorted(visiting))}")
        visiting.add(name)
        for requirement in stages[name].requires:
            if requirement not in stages:
                raise StageError(f"stage {name!r} requires {requirement!r}, which is not registered")
            if requirement in wanted:
                visit(requirement)
        visiting.discard(name)
        ordered.append(name)

    for name in wanted:
        visit(name)
    return [stages[name] for name in ordered]


def run_stages(store: Store, only: Iterable[str] | None = None, progress: StageProgress | None = None) -> list[StageReport]:
    reports: dict[str, StageReport] = {}
    for stage_class in plan(only):
        stage = stage_class()
        started = datetime.now(UTC)
        report = _run_one(store, stage, reports, progress)
        reports[stage.name] = report
        stage_runs.record(store, report, started, datetime.now(UTC))
    return list(reports.values())


def _run_one(store: Store, stage: Stage, earlier: dict[str, StageReport], progress: StageProgress | None) -> StageReport:
    reason = stage.unavailable()
    if reason:
        return StageReport(stage.name, "skipped", note=reason)
    for requirement in stage.requires:
        if requirement in earlier and earlier[requirement].status != "ran":
            return StageReport(stage.name, "skipped", note=f"{requirement} did not run: {earlier[requirement].note}")
        if requirement not in earlier and not stage_runs.has_run(store, requirement):
            return StageReport(stage.name, "skipped", note=f"run {requirement!r} first (echoscope analyze --only {requirement})")
    settings = config.stage_settings(stage.name, stage.defaults)
    tick = progress(stage.name) if progress else (lambda done, total: None)
    try:
        report = stage.run(store, settings, tick)
    except StageError as exc:
        return StageReport(stage.name, "failed", note=str(exc))
    report.name = stage.name
    return report
