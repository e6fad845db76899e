"""Browse the store in a browser: channels, search in any script, a post with its evidence, the report.

    uvicorn --factory 'echoscope.web.app:app_from_env'      # or: echoscope serve

Post text is untrusted: templates autoescape everything, and only http/https/tg links become clickable
(`safe_href`). Quotes carry dir="auto" so Arabic and Persian read right-to-left inside an English page.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from echoscope import __version__, config
from echoscope.dates import parse_when
from echoscope.errors import QueryError
from echoscope.store import Store
from echoscope.store import stage_runs
from echoscope.store.post_detail import post_detail

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
SAFE_SCHEMES = ("http://", "https://", "tg://")


def safe_href(url: str | None) -> str | None:
    """A link the page may make clickable; anything else (javascript:, data:, relative tricks) is not."""
    if url and url.strip().lower().startswith(SAFE_SCHEMES):
        return url.strip()
    return None


TEMPLATES.env.filters["safe_href"] = safe_href


def create_app(db: str, report_dir: Path | None = None) -> FastAPI:
    store = Store(db)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        store.close()

    app = FastAPI(title="echoscope", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.store = store
    has_report = report_dir is not None and (report_dir / "report.html").is_file()  # as `echoscope report` writes it
    if has_report:
        app.mount("/report", StaticFiles(directory=report_dir, html=True), name="report")

    def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, name, {"has_report": has_report, "version": __version__, **context},
                                          status_code=status_code)

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request):
        return page(request, "overview.html", channels=store.channel_stats(), runs=stage_runs.history(store, 20))

    @app.get("/search", response_class=HTMLResponse)
    def search(
        request: Request,
        q: str = "",
        channel: list[str] = Query(default=[]),
        since: str = "",
        until: str = "",
        limit: int = 50,
    ):
        form = {"q": q, "channel": ", ".join(channel), "since": since, "until": until}
        if not q.strip():
            return page(request, "search.html", form=form, results=None)
        try:
            found = store.search(q, channel_names=[name for name in channel if name] or None,
                                 since=parse_when(since or None, end=False), until=parse_when(until or None, end=True),
                                 limit=max(1, min(limit, 500)))
        except QueryError as exc:
            return page(request, "search.html", status_code=400, form=form, results=None, error=str(exc))
        return page(request, "search.html", form=form, results=found)

    @app.get("/post/{platform}/{channel}/{post_id}", response_class=HTMLResponse)
    def post(request: Request, platform: str, channel: str, post_id: int):
        with store.reading() as conn:
            found = post_detail(conn, platform, channel, post_id)
        if found is None:
            return page(request, "missing.html", status_code=404, what=f"{platform} {channel}/{post_id}")
        return page(request, "post.html", post=found)

    return app


def app_from_env() -> FastAPI:
    """For `uvicorn --factory`: the store from ECHOSCOPE_DB / echoscope.toml, the report from ECHOSCOPE_REPORT_DIR."""
    report = os.environ.get("ECHOSCOPE_REPORT_DIR")
    return create_app(config.default_db(), Path(report) if report else None)
