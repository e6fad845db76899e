"""Live Telegram commands: `login`, `collect telegram`, and `monitor` (every registry channel, on a schedule)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from echoscope.alerts import load_rules
from echoscope.cli._common import Db, app, collect_app, err, open_store, out
from echoscope.cli._rounds import print_rounds, status_line
from echoscope.collecting import ChannelRound
from echoscope.errors import ConfigError
from echoscope.monitor import Collector, alerts_after_round, parse_every, run_monitor
from echoscope.sources import webpreview
from echoscope.sources._telethon_session import login as telegram_login
from echoscope.sources._telethon_session import session_file

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]?)i?b?")

Media = Annotated[bool, typer.Option("--media", help="Download photos, videos and files (each up to --max-size).")]
MaxSize = Annotated[str, typer.Option("--max-size", help="Largest file --media downloads: 50MB, 500KB, 2GB.")]
MediaDir = Annotated[Path, typer.Option("--media-dir", help="Where downloaded files go, named by their SHA-256.")]
Recheck = Annotated[
    float, typer.Option("--recheck", metavar="DAYS", help="Re-read the last DAYS of stored posts: edits, counts, deletions.")
]


def _parse_size(text: str) -> int:
    match = _SIZE.fullmatch(text.strip().lower())
    if not match:
        raise ConfigError(f"--max-size {text!r}: expected a size such as 50MB, 500KB or 2GB")
    return int(float(match.group(1)) * 1024 ** " kmg".index(match.group(2) or " "))


def _telegram_source():
    """The Telegram source module; Telethon is an optional dependency, so its absence is a clear error."""
    try:
        from echoscope.sources import telegram
    except ModuleNotFoundError as exc:
        if exc.name != "telethon":
            raise
        raise ConfigError("the Telegram API needs Telethon: pip install 'echoscope[telegram]'") from None
    return telegram


def _options(media: bool, max_size: str, media_dir: Path, recheck: float):
    if recheck < 0:
        raise ConfigError("--recheck DAYS must be 0 or more")
    return _telegram_source().TelegramOptions(
        media=media, media_dir=media_dir, max_size=_parse_size(max_size), recheck_days=recheck,
        notice=lambda text: err.print(f"[yellow]{escape(text)}[/]", highlight=False),
    )


@app.command()
def login() -> None:
    """Log in to Telegram once with your own account; the session is kept for `collect telegram` and `monitor`.

    Needs your own app's credentials from https://my.telegram.org in the environment (or echoscope.toml):
    [bold]ECHOSCOPE_API_ID=123456 ECHOSCOPE_API_HASH=0123abcd… echoscope login[/]
    """
    import asyncio

    _telegram_source()
    name = asyncio.run(telegram_login(
        phone=lambda: typer.prompt("Phone number (international format, +…)"),
        code=lambda: typer.prompt("Login code Telegram sent you"),
        password=lambda: typer.prompt("Two-step verification password", hide_input=True),
    ))
    err.print(f"Logged in as {escape(name)}; session kept in {session_file()} (readable by you only)")


@collect_app.command("telegram")
def collect_telegram(
    channels: Annotated[list[str], typer.Argument(help="Usernames (@name, t.me/name) or ids (-100…, channel…).")],
    db: Db = None,
    media: Media = False,
    max_size: MaxSize = "50MB",
    media_dir: MediaDir = Path("echoscope-media"),
    recheck: Recheck = 0,
) -> None:
    """Collect channels through the Telegram API, from where the last run stopped (run `echoscope login` first).

    Example: [bold]echoscope collect telegram @rybar @wargonzo --recheck 3 --media --max-size 20MB[/]

    Exit 1 when a channel could not be read (private, not found, error); "waiting" (FloodWait) is not a
    failure: the next run resumes once Telegram's wait is over.
    """
    options = _options(media, max_size, media_dir, recheck)
    with open_store(db) as store:
        print_rounds(_telegram_source().collect(store, channels, options))


def _collectors(media: bool, max_size: str, media_dir: Path, recheck: float, web: bool) -> list[Collector]:
    telegram = _telegram_source()
    found = [Collector(telegram.NAME, telegram.collect, _options(media, max_size, media_dir, recheck))]
    if web:
        options = webpreview.WebOptions(recheck_days=recheck or None, media_dir=media_dir if media else None)
        found.append(Collector("web", webpreview.collect, options, needs_username=True))
    return found


@app.command()
def monitor(
    db: Db = None,
    every: Annotated[str, typer.Option(help="Start a round this often: 90s, 15m, 2h, 1d.")] = "15m",
    registry: Annotated[Path | None, typer.Option(help="Registry CSV/YAML re-imported at each round.")] = None,
    rounds: Annotated[int | None, typer.Option(help="Stop after N rounds (default: run until Ctrl-C).")] = None,
    web: Annotated[bool, typer.Option("--web/--no-web", help="Also collect each channel's public web preview.")] = True,
    media: Media = False,
    max_size: MaxSize = "50MB",
    media_dir: MediaDir = Path("echoscope-media"),
    recheck: Recheck = 1,
    alerts: Annotated[Path | None, typer.Option(help="Alert rules (YAML): after each round, analyse new posts and fire them.")] = None,
    alerts_to: Annotated[str, typer.Option(help="Where alerts go: '-' (stdout), a file, or a webhook URL.")] = "-",
) -> None:
    """Collect every registry channel round after round: one status line per channel per round.

    Example: [bold]echoscope monitor --registry registry.csv --every 15m --recheck 2[/]

    Ctrl-C stops it; starting it again resumes where each channel stopped. A failing channel is a status
    line; the exit status is non-zero only for configuration errors (no credentials, a bad registry).
    """
    interval = parse_every(every)
    if rounds is not None and rounds < 1:
        raise ConfigError("--rounds must be 1 or more")
    collectors = _collectors(media, max_size, media_dir, recheck, web)
    rules = load_rules(alerts) if alerts is not None else None

    def report_alerts(number: int, reports: list, fired: int) -> None:
        trouble = "; ".join(f"{r.name} {r.status}: {r.note}" for r in reports if r.status != "ran")
        err.print(f"[dim]round {number}[/] alerts: {fired} fired" + (f" ({escape(trouble)})" if trouble else ""), highlight=False)

    def report(number: int, channel_round: ChannelRound) -> None:
        out.print(f"[dim]round {number} {datetime.now():%H:%M:%S}[/] {status_line(channel_round)}", highlight=False)

    with open_store(db) as store:
        try:
            after = alerts_after_round(store, rules, alerts_to, report_alerts) if rules is not None else None
            run_monitor(store, collectors, every=interval, rounds=rounds, registry=registry, on_round=report, after_round=after)
        except KeyboardInterrupt:
            err.print("interrupted: every completed batch is stored; run the same command again to resume")
            raise typer.Exit(130) from None
