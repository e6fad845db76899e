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
from echoscope.stages.text_pass import TextStage, run_text_pass
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
    """Run the planned stages; text stages next to each other share one pass over the posts (stages/text_pass.py)."""
    reports: dict[str, StageReport] = {}
    together: list[tuple[TextStage, dict, Callable[[int, int | None], None]]] = []
    together_started = datetime.now(UTC)
    for stage_class in plan(only):
        stage = stage_class()
        if not isinstance(stage, TextStage):  # it may require what the pass writes: finish the pass first
            _run_together(store, together, together_started, reports)
            together = []
        skipped = _skip(store, stage, reports)
        if isinstance(stage, TextStage) and skipped is None:
            if not together:
                together_started = datetime.now(UTC)
            together.append((stage, config.stage_settings(stage.name, stage.defaults), _tick(progress, stage.name)))
            continue
        started = datetime.now(UTC)
        report = skipped or _run_one(store, stage, progress)
        reports[stage.name] = report
        stage_runs.record(store, report, started, datetime.now(UTC))
    _run_together(store, together, together_started, reports)
    return list(reports.values())


def _tick(progress: StageProgress | None, name: str) -> Callable[[int, int | None], None]:
    return progress(name) if progress else (lambda done, total: None)


def _skip(store: Store, stage: Stage, earlier: dict[str, StageReport]) -> StageReport | None:
    """The report of a stage that cannot run now (unavailable here, or a requirement did not run), or None."""
    reason = stage.unavailable()
    if reason:
        return StageReport(stage.name, "skipped", note=reason)
    for requirement in stage.requires:
        if requirement in earlier and earlier[requirement].status != "ran":
            return StageReport(stage.name, "skipped", note=f"{requirement} did not run: {earlier[requirement].note}")
        if requirement not in earlier and not stage_runs.has_run(store, requirement):
            return StageReport(stage.name, "skipped", note=f"run {requirement!r} first (echoscope analyze --only {requirement})")
    return None


def _run_one(store: Store, stage: Stage, progress: StageProgress | None) -> StageReport:
    settings = config.stage_settings(stage.name, stage.defaults)
    try:
        report = stage.run(store, settings, _tick(progress, stage.name))
    except StageError as exc:
        return StageReport(stage.name, "failed", note=str(exc))
    report.name = stage.name
    return report


def _run_together(store: Store, stages: list, started: datetime, reports: dict[str, StageReport]) -> None:
    if not stages:
        return
    try:
        done = run_text_pass(store, stages)
    except StageError as exc:
        done = [StageReport(stage.name, "failed", note=str(exc)) for stage, _, _ in stages]
    finished = datetime.now(UTC)
    for report in done:
        reports[report.name] = report
        stage_runs.record(store, report, started, finished)
