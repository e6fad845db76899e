"""`echoscope demo`: the main job on the bundled illustrative example, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from echoscope import views
from echoscope.cli._common import app, err, out
from echoscope.cli.analyze import print_stage_reports, stage_progress
from echoscope.cli.report import print_findings


@app.command()
def demo(
    example: Annotated[Path, typer.Option(help="The bundled example folder.")] = Path("examples/demo"),
    out_dir: Annotated[Path, typer.Option("--out", help="Where the demo's store and report go.")] = Path("demo-out"),
    serve: Annotated[bool, typer.Option("--serve", help="Then browse the store and the report at http://127.0.0.1:8000/.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8000,
) -> None:
    """Run the main job on the bundled illustrative example: ingest every source, apply the registry and
    the translation cache, run every analysis stage, write the report, and list the top findings.

    Example: [bold]echoscope demo --out demo-out --serve[/]
    """
    from echoscope.demo import run_demo

    with stage_progress(err) as per_stage:
        result = run_demo(example, out_dir, progress=lambda label: views.message_progress(err, label), stage_progress=per_stage)
    views.print_stats(out, result.stats)
    searches = Table(title="Searches (spelling variants matched)")
    for column in ("query", "posts found", "newest"):
        searches.add_column(column)
    for query, found in result.searches:
        newest = found[0] if found else {}
        searches.add_row(escape(query), str(len(found)), escape(newest.get("permalink") or ""))
    out.print(searches)
    print_stage_reports(out, result.stages)
    print_findings(out, result.findings)
    for path in result.report_files:
        out.print(f"[bold]Report:[/] {escape(str(path))}")
    if result.report_note:
        err.print(escape(result.report_note))
    out.print(f"[bold]Store:[/] {escape(str(result.db_path))} · try [bold]echoscope search \"الناتو\" --db {escape(str(result.db_path))}[/]")
    if serve:
        from echoscope.cli.serve import serve as serve_command

        serve_command(db=str(result.db_path), host="127.0.0.1", port=port, report=out_dir / "report")
