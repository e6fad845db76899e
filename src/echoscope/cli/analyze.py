"""`echoscope analyze`: run the enrich and link stages over everything stored."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Annotated, Iterator, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from echoscope import pipeline
from echoscope.cli._common import Db, app, err, open_store, out
from echoscope.stages import Stage, StageReport


@app.command()
def analyze(
    db: Db = None,
    only: Annotated[
        Optional[str], typer.Option(help="Comma-separated stage names to run alone, e.g. lang,mentions or echoes.")
    ] = None,
    list_stages: Annotated[bool, typer.Option("--list", help="List the stages, what they need, and stop.")] = False,
) -> None:
    """Run the analysis stages: enrich each post (language, mentions, media hashes …), then link posts
    across channels (echoes, image reuse, network, trends).

    Stages run in the order their requirements allow. A stage whose optional package is missing switches
    itself off and says what to install; the others still run. Settings live in echoscope.toml under
    [stages.<name>]. Example: [bold]echoscope analyze --only echoes[/]
    """
    if list_stages:
        print_stage_list(out, pipeline.plan())
        return
    names = [name.strip() for name in only.split(",") if name.strip()] if only else None
    stages = pipeline.plan(names)
    with open_store(db) as store:
        with stage_progress(err) as progress:
            reports = pipeline.run_stages(store, [stage.name for stage in stages], progress=progress)
    print_stage_reports(out, reports)
    if any(report.status == "failed" for report in reports):
        raise typer.Exit(1)


@contextmanager
def stage_progress(console: Console) -> Iterator[pipeline.StageProgress]:
    """One bar per stage; yields the factory the pipeline calls with a stage's name."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:

        def for_stage(name: str):
            task = progress.add_task(escape(name), total=None)
            return lambda done, total: progress.update(task, completed=done, total=total)

        yield for_stage


def print_stage_list(console: Console, stages: list[type[Stage]]) -> None:
    table = Table(title="Stages, in the order they run")
    for column in ("stage", "kind", "requires", "what it does", "available here"):
        table.add_column(column)
    for stage in stages:
        reason = stage().unavailable()
        table.add_row(stage.name, stage.kind, ", ".join(stage.requires) or "–", stage.description, escape(reason) if reason else "yes")
    console.print(table)


def print_stage_reports(console: Console, reports: list[StageReport]) -> None:
    table = Table(title="Analysis")
    for column in ("stage", "status", "counts", "note"):
        table.add_column(column)
    colours = {"ran": "green", "skipped": "yellow", "failed": "red"}
    for report in reports:
        counts = ", ".join(f"{key} {value:,}" for key, value in report.counts.items())
        table.add_row(report.name, f"[{colours[report.status]}]{report.status}[/]", counts, escape(report.note))
    console.print(table)
