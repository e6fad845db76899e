"""`echoscope serve`: the web UI over a store, on this machine only unless told otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from echoscope import config
from echoscope.cli._common import Db, app, err


@app.command()
def serve(
    db: Db = None,
    host: Annotated[str, typer.Option(help="Address to listen on; 127.0.0.1 keeps it on this machine.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    report: Annotated[Optional[Path], typer.Option(help="A folder written by `echoscope report`, served at /report/.")] = None,
) -> None:
    """Browse the store in a browser: channels, search in any script, each post with its versions and hashes.

    Example: [bold]echoscope serve --report demo-out/report[/], then open http://127.0.0.1:8000/
    """
    import uvicorn

    from echoscope.web import create_app

    web_app = create_app(db or config.default_db(), report)
    err.print(f"echoscope web UI on http://{host}:{port}/ (Ctrl-C stops it)")
    uvicorn.run(web_app, host=host, port=port, log_level="warning")
