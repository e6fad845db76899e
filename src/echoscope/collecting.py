"""What a live collector reports per channel per round, shared by `collect web`, `collect telegram`
and `monitor` so their status lines read the same.

A collector module exposes `collect(store, channels, options) -> Iterator[ChannelRound]`: one round over
the named channels, yielding one ChannelRound per channel as it finishes. A channel that fails (private,
not found, rate-limited) yields a round with that status and the others go on; only a configuration error
(no credentials, a bad option) raises, as ConfigError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RoundStatus = Literal["ok", "waiting", "private", "not-found", "error"]


@dataclass(frozen=True, slots=True)
class ChannelRound:
    collector: str  # "web" or "telegram"
    channel: str  # as the analyst named it: username or id
    status: RoundStatus
    new_posts: int = 0
    updated_posts: int = 0  # new versions (edits) found by a re-check
    deletions: int = 0
    wait_seconds: int = 0  # for "waiting": how long the platform asked us to wait
    note: str = ""
