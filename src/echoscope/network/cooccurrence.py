"""Channel pairs that shared an item — an echo cluster, an image cluster, a link — within a time window.

For every item, each channel counts once, at its first post of the item. A pair (A, B) is counted when
B's first post follows A's within the window, so the edge points from the channel that had the item
first to the one that followed (origin → echo; posts in the same second are ordered by channel key).
Each shared item adds 1/(k − 1) to the pair's weight, k being the channels in the item: a post echoed
by fifty channels says less about any one pair than a post only two channels carried, and each item
adds at most 1 to a channel's total weight.

Items arrive in batches (an item never spans two batches); pairs are found with NumPy, one pass per
offset within an item's time-sorted members, and only pairs inside the widest window are ever formed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import regex

from echoscope.errors import ConfigError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WINDOW = regex.compile(r"(\d+)\s*([smhd])")
_PAIR_KEY = np.int64(1) << 31  # channel keys fit in 31 bits, so a directed pair is one int64


def parse_window(label: str) -> int:
    """'10m' → 600 seconds; units s, m, h, d."""
    match = _WINDOW.fullmatch(str(label).strip().lower())
    if not match or int(match.group(1)) == 0:
        raise ConfigError(f"[stages.network] windows: {label!r} is not a time window (use e.g. 10m, 1h, 24h, 7d)")
    return int(match.group(1)) * _UNITS[match.group(2)]


def parse_windows(labels: list) -> dict[str, int]:
    """Window labels → seconds, shortest first; at least one."""
    if not labels:
        raise ConfigError("[stages.network] windows: give at least one window, e.g. [\"10m\", \"1h\", \"24h\"]")
    parsed = {str(label).strip().lower(): parse_window(label) for label in labels}
    return dict(sorted(parsed.items(), key=lambda item: item[1]))


@dataclass
class PairTable:
    """Directed pairs of one window: source shared the item first, target followed within the window."""

    source: np.ndarray
    target: np.ndarray
    count: np.ndarray
    weight: np.ndarray


@dataclass
class Cooccurrence:
    """Pair counts per window for one kind of item, accumulated batch by batch.

    It also keeps what the null model needs (network/significance.py): `items`, how many items two or
    more channels shared, and per window `items_of[w][channel]`, the items in which the channel is within
    the window of another channel — its activity at that speed."""

    windows: dict[str, int]
    items: int = 0
    items_of: dict[str, Counter] = field(default_factory=dict)
    _parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = field(default_factory=dict)

    def add(self, item, channel, seconds) -> None:
        """One batch of occurrences: item key, channel key and Unix time of each post."""
        item, channel, seconds = (np.asarray(values, dtype=np.int64) for values in (item, channel, seconds))
        if item.size == 0:
            return
        item, channel, seconds = _first_per_channel(item, channel, seconds)
        starts = np.flatnonzero(np.r_[True, item[1:] != item[:-1]])
        sizes = np.diff(np.r_[starts, item.size])
        shared = np.repeat(sizes, sizes) >= 2
        item, channel, seconds = item[shared], channel[shared], seconds[shared]
        sizes = sizes[sizes >= 2]
        self.items += int(sizes.size)
        first, then = _pairs_within(item, seconds, max(self.windows.values()))
        lag = seconds[then] - seconds[first]
        keys = channel[first] * _PAIR_KEY + channel[then]
        weights = 1.0 / (np.repeat(sizes, sizes)[first] - 1)
        for label, span in self.windows.items():
            inside = lag <= span
            self._parts.setdefault(label, []).append(_aggregate(keys[inside], np.ones(int(inside.sum())), weights[inside]))
            paired = np.zeros(item.size, dtype=bool)  # each index is one (item, channel)
            paired[first[inside]] = paired[then[inside]] = True
            channels, shares = np.unique(channel[paired], return_counts=True)
            self.items_of.setdefault(label, Counter()).update(dict(zip(channels.tolist(), shares.tolist())))

    def pairs(self, label: str) -> PairTable:
        parts = self._parts.get(label, [])
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return PairTable(empty, empty, empty, np.zeros(0))
        keys, counts, weights = _aggregate(*(np.concatenate(column) for column in zip(*parts)))
        return PairTable(keys // _PAIR_KEY, keys % _PAIR_KEY, counts.astype(np.int64), weights)


def _first_per_channel(item, channel, seconds):
    """Each channel's first post of each item, sorted by item, then time (ties by channel)."""
    order = np.lexsort((seconds, channel, item))
    item, channel, seconds = item[order], channel[order], seconds[order]
    first = np.r_[True, (item[1:] != item[:-1]) | (channel[1:] != channel[:-1])]
    item, channel, seconds = item[first], channel[first], seconds[first]
    order = np.lexsort((channel, seconds, item))
    return item[order], channel[order], seconds[order]


def _pairs_within(item, seconds, span: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j), i before j in the same item and at most `span` seconds apart.

    Members are sorted by time within an item, so once (i, i + k) is out of the item or the span,
    (i, i + k + 1) is too: each pass keeps only the i still in reach, and the work is the pairs found."""
    found_first, found_then = [], []
    reach = np.arange(item.size - 1)
    offset = 1
    while reach.size:
        then = reach + offset
        inside = then < item.size
        reach, then = reach[inside], then[inside]
        inside = (item[then] == item[reach]) & (seconds[then] - seconds[reach] <= span)
        reach, then = reach[inside], then[inside]
        found_first.append(reach)
        found_then.append(then)
        offset += 1
    if not found_first:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(found_first), np.concatenate(found_then)


def _aggregate(keys, counts, weights):
    """Sum counts and weights per pair key."""
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, np.bincount(inverse, weights=counts, minlength=unique.size), np.bincount(inverse, weights=weights, minlength=unique.size)
