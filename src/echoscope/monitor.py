"""The monitor loop: every registry channel, through every live collector, round after round.

    run_monitor(store, [telegram_collector], every=parse_every("15m"), rounds=None, registry=None,
                on_round=print_line)

Each round re-reads the registry file (if given, so an edited registry applies at the next round), then
hands every Telegram channel in the store's channels table to each collector (`collecting.py` contract)
and reports each ChannelRound as it comes. Everything a collector knows between rounds is in the store
(cursors, waits, resolved peers), so a monitor that is stopped and started again simply goes on.

A failing channel or collector is a status line, never the end of the loop: only a configuration error
(ConfigError: bad registry, no credentials) stops it. Ctrl-C ends it at once; collectors commit whole
batches only, so nothing half-written is left behind.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import count
from pathlib import Path
from typing import Any

from echoscope.collecting import ChannelRound
from echoscope.errors import ConfigError
from echoscope.registry import read_registry
from echoscope.store import Store
from echoscope.store.telegram_state import registry_channels

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Collector:
    """A collector module's `collect`, its options, and which channels it can take: the web preview
    needs a username, the API takes a username or an id."""

    name: str
    collect: Callable[[Store, list[str], Any], Iterator[ChannelRound]]
    options: Any
    needs_username: bool = False

    def names(self, channels: list[tuple[str | None, str | None]]) -> list[str]:
        if self.needs_username:
            return [username for username, _ in channels if username]
        return [username or channel_id for username, channel_id in channels if username or channel_id]


def parse_every(text: str) -> float:
    """Seconds from `90s`, `15m`, `2h`, `1d` or a bare number of seconds."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"--every {text!r}: expected a duration such as 90s, 15m, 2h or 1d")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def run_monitor(
    store: Store,
    collectors: list[Collector],
    *,
    every: float,
    rounds: int | None,
    registry: Path | None,
    on_round: Callable[[int, ChannelRound], None],
    after_round: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Run `rounds` rounds (None: until interrupted), starting one every `every` seconds.

    `after_round(number)` runs once every collector has finished a round: analysis and alerts."""
    if not collectors:
        raise ConfigError("no collector to run")
    if registry is not None and not registry.is_file():
        raise ConfigError(f"{registry}: no such registry file")
    for number in count(1):
        started = time.monotonic()
        if registry is not None:
            store.import_registry(read_registry(registry))
        with store.reading() as conn:
            channels = registry_channels(conn)
        if not channels:
            raise ConfigError("no channels to monitor: import a registry (`echoscope channels import` or --registry)")
        for collector in collectors:
            _run_collector(collector, store, collector.names(channels), partial(on_round, number))
        if after_round is not None:
            after_round(number)
        if rounds is not None and number >= rounds:
            return
        sleep(max(0.0, every - (time.monotonic() - started)))


def _run_collector(collector: Collector, store: Store, names: list[str], report: Callable[[ChannelRound], None]) -> None:
    if not names:
        return
    try:
        for channel_round in collector.collect(store, names, collector.options):
            report(channel_round)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001  the network, the store, a bug: one line, and the next round tries again
        report(ChannelRound(collector.name, "*", "error", note=f"{type(exc).__name__}: {exc}"))


ALERT_STAGES = ("lang", "mentions", "symbols", "narratives")


def alerts_after_round(store: Store, rules: list, deliver, on_alerts: Callable[[int, list, int], None]) -> Callable[[int], None]:
    """What the monitor does after a round when alert rules are given: analyse the new posts with the
    enrich stages alert rules read, then fire every alert not yet fired. `on_alerts(round, reports, fired)`."""
    from echoscope.alerts import run_alerts
    from echoscope.pipeline import run_stages

    def after(number: int) -> None:
        reports = run_stages(store, ALERT_STAGES)
        on_alerts(number, reports, run_alerts(store, rules, deliver))

    return after
