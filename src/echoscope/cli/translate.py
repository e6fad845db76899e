"""`echoscope translate` and `echoscope show`: cached machine translations, always next to the original."""

from __future__ import annotations

import hashlib
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Optional

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from echoscope import config
from echoscope.cli._common import Db, app, err, open_store, out
from echoscope.cli.analyze import print_stage_reports, stage_progress
from echoscope.errors import QueryError
from echoscope.stages.translate import Translate
from echoscope.store import stage_runs
from echoscope.store import translations as cache
from echoscope.store.reader import iso
from echoscope.text.translate import BACKENDS, read_translation_file

_PRIVATE_LINK = re.compile(r"(?:https?://)?t\.me/c/(\d+)$")


@app.command()
def translate(
    db: Db = None,
    lang: Annotated[Optional[str], typer.Option(help="Comma-separated source languages, e.g. ar,fa,ru (default: every language found).")] = None,
    backend: Annotated[Optional[str], typer.Option(help=f"Translation backend: {', '.join(BACKENDS)}.")] = None,
    url: Annotated[Optional[str], typer.Option(help="LibreTranslate server URL, e.g. http://localhost:5000.")] = None,
    target: Annotated[Optional[str], typer.Option(help="Language to translate into (default en).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Translate again posts already translated by this backend.")] = False,
    import_file: Annotated[
        Optional[Path],
        typer.Option("--import", help="Store translations made elsewhere instead (JSON Lines: channel, post_id, source, target, text)."),
    ] = None,
) -> None:
    """Translate posts whose language is known (run [bold]echoscope analyze --only lang[/] first).

    Translations are cached per post version, backend and target: a re-run only translates new and edited posts, and `echoscope show` prints them next to the original. Flags override \\[stages.translate] in echoscope.toml; the LibreTranslate API key is read from ECHOSCOPE_LIBRETRANSLATE_API_KEY only, never stored.

    Example: [bold]echoscope translate --lang ar,fa --backend libretranslate --url http://localhost:5000[/]
    """
    if import_file is not None:
        rows = read_translation_file(import_file)
        with open_store(db) as store, store.transaction() as conn:
            model = f"{import_file.name} sha256:{hashlib.sha256(import_file.read_bytes()).hexdigest()}"
            count = cache.import_translations(conn, rows, backend="imported", model=model, translated_at=datetime.now(UTC))
        err.print(f"{import_file}: {count} translations stored (backend 'imported')")
        return
    settings = config.stage_settings(Translate.name, Translate.defaults)
    flags = {"backend": backend, "url": url, "target": target, "languages": _codes(lang) if lang is not None else None}
    settings |= {key: value for key, value in flags.items() if value is not None}
    with open_store(db) as store:
        started = datetime.now(UTC)
        with stage_progress(err) as progress:
            report = Translate().run(store, settings, progress(Translate.name), force=force)
        stage_runs.record(store, report, started, datetime.now(UTC))
    print_stage_reports(out, [report])
    if report.status != "ran":
        raise typer.Exit(1)


@app.command()
def show(
    post_ref: Annotated[str, typer.Argument(metavar="POST_REF", help="A permalink (https://t.me/name/123, t.me/c/1001/123) or CHANNEL/POST_ID.")],
    db: Db = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """One post: its original text as published, its language, and every cached translation beside it.

    Right-to-left text is printed exactly as stored; each translation names its backend, model and date.

    Example: [bold]echoscope show https://t.me/sabereenS1/51234[/] or [bold]echoscope show channel1001/17[/]
    """
    if fmt not in ("table", "json"):
        raise QueryError(f"--format must be table or json, not {fmt!r}")
    channel, post_id = _parse_post_ref(post_ref)
    with open_store(db) as store, store.reading() as conn:
        record = cache.find_post(conn, channel, post_id)
    if record is None:
        raise QueryError(f"no post {post_id} of {channel!r} in the store")
    if fmt == "json":
        for item in record["translations"]:
            item["translated_at"] = iso(item["translated_at"])
        sys.stdout.write(orjson.dumps(record).decode() + "\n")
    else:
        print_post(out, record)


def _codes(value: str) -> list[str]:
    return [code.strip().lower() for code in value.split(",") if code.strip()]


def _parse_post_ref(ref: str) -> tuple[str, int]:
    head, _, tail = ref.strip().split("?")[0].rstrip("/").rpartition("/")
    if not head or not tail.isdigit():
        raise QueryError(f"{ref!r} is not a post reference: use a permalink (https://t.me/name/123) or CHANNEL/POST_ID")
    private = _PRIVATE_LINK.search(head)
    return (f"channel{private.group(1)}" if private else head), int(tail)


def print_post(console: Console, record: dict) -> None:
    """The original first and whole, then each translation of this version, then those of earlier versions."""
    channel = record["channel"] and f"@{record['channel']}" or record["channel_title"] or record["channel_id"]
    link = record["permalink"] or f"{record['channel_id']}/{record['post_id']}"
    console.print(f"[bold]{escape(channel or '')}[/] · post {record['post_id']} · {record['date']} · {escape(link)}")
    language = record["language"] or "language not identified yet"
    if record["language_confidence"] is not None:
        language += f" ({record['language_confidence']:.2f})"
    console.print(Panel(Text(record["text"]), title=escape(f"original · {language} · version {record['version']}"), title_align="left"))
    current = [item for item in record["translations"] if item["version"] == record["version"]]
    for item in current:
        console.print(_translation_panel(item, "cyan"))
    if not current:
        step = f"echoscope translate --lang {record['language']}" if record["language"] else "echoscope analyze --only lang"
        console.print(f"[dim]no translation of this version yet: {escape(step)}[/]")
    for item in record["translations"]:
        if item["version"] != record["version"]:
            console.print(_translation_panel(item, "dim", f" · of version {item['version']}, before an edit"))


def _translation_panel(item: dict, style: str, about: str = "") -> Panel:
    """A translation, titled with its direction and backend; the model and date below it."""
    return Panel(
        Text(item["text"]),
        title=escape(f"translation {item['source']}→{item['target']} · {item['backend']}{about}"),
        subtitle=escape(f"{item['model']} · {iso(item['translated_at'])[:10]}"),
        title_align="left",
        subtitle_align="right",
        border_style=style,
    )
