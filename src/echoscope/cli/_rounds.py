"""How live collection reads in the terminal: one aligned line per channel per round, the same for
`collect web`, `collect telegram` and `monitor`."""

from __future__ import annotations

from typing import Iterable

import typer
from rich.markup import escape

from echoscope.cli._common import err, out
from echoscope.collecting import ChannelRound

_STYLE = {"ok": "green", "waiting": "yellow", "private": "red", "not-found": "red", "error": "bold red"}
FAILED = ("private", "not-found", "error")  # "waiting" is not a failure: the next run resumes


def status_line(item: ChannelRound) -> str:
    """What came in for one channel, or why nothing could."""
    style = _STYLE.get(item.status, "bold")
    line = f"{item.collector:<8} {escape(f'{item.channel:<28}')} [{style}]{item.status:<9}[/]"
    line += f" {item.new_posts:>5} new  {item.updated_posts:>4} edited  {item.deletions:>4} deleted"
    if item.wait_seconds:
        line += f"  wait {item.wait_seconds}s"
    if item.note:
        line += f"  [dim]{escape(item.note)}[/]"
    return line


def print_rounds(rounds: Iterable[ChannelRound]) -> None:
    """Print each channel's round as it finishes; exit 1 if a channel failed, 130 on Ctrl-C (what was
    committed stays, and the same command resumes)."""
    failed = False
    try:
        for item in rounds:
            out.print(status_line(item), highlight=False)
            failed |= item.status in FAILED
    except KeyboardInterrupt:
        err.print("interrupted: every completed batch is stored; run the same command again to resume")
        raise typer.Exit(130) from None
    if failed:
        raise typer.Exit(1)
