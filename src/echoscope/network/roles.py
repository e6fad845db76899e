"""Origin and amplifier roles: how often a channel posts first and how often it echoes another channel.

Counted over echo clusters that span at least two channels, once per cluster and channel: the channel
of the cluster's origin post has an origin there; every other channel has an echo, with its lag (its
first post in the cluster, from the origin). A channel with at least `min_clusters` such clusters is an
"origin" when at least `origin_share` of them are origins, an "amplifier" when at most 1 − origin_share
are, and "mixed" in between; with fewer clusters its role is "none" (too little to say).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChannelRole:
    role: str
    origins: int
    echoes: int
    median_lag_seconds: int | None


NO_ROLE = ChannelRole("none", 0, 0, None)  # a channel in no multi-channel echo cluster


class RoleTally:
    """Origins and echo lags per channel, fed with batches of echo members."""

    def __init__(self) -> None:
        self.origins: dict[int, int] = defaultdict(int)
        self.lags: dict[int, list[np.ndarray]] = defaultdict(list)

    def add(self, cluster, channel, lag, origin_channel) -> None:
        """Echo members of whole clusters: cluster key, member channel, lag in seconds, origin's channel."""
        cluster, channel, lag, origin_channel = (np.asarray(values, dtype=np.int64) for values in (cluster, channel, lag, origin_channel))
        if cluster.size == 0:
            return
        order = np.lexsort((lag, channel, cluster))
        cluster, channel, lag, origin_channel = cluster[order], channel[order], lag[order], origin_channel[order]
        first = np.r_[True, (cluster[1:] != cluster[:-1]) | (channel[1:] != channel[:-1])]
        channel, lag, is_origin = channel[first], lag[first], (channel == origin_channel)[first]
        for node, count in zip(*np.unique(channel[is_origin], return_counts=True)):
            self.origins[int(node)] += int(count)
        echoing, echo_lags = channel[~is_origin], lag[~is_origin]
        order = np.argsort(echoing, kind="stable")
        echoing, echo_lags = echoing[order], echo_lags[order]
        for node, start, end in _runs(echoing):
            self.lags[node].append(echo_lags[start:end])

    def roles(self, origin_share: float, min_clusters: int) -> dict[int, ChannelRole]:
        found = {}
        for node in sorted(set(self.origins) | set(self.lags)):
            lags = np.concatenate(self.lags[node]) if self.lags.get(node) else np.zeros(0, dtype=np.int64)
            origins, echoes = self.origins.get(node, 0), int(lags.size)
            median = int(np.median(lags)) if lags.size else None
            found[node] = ChannelRole(classify(origins, echoes, origin_share, min_clusters), origins, echoes, median)
        return found


def classify(origins: int, echoes: int, origin_share: float, min_clusters: int) -> str:
    total = origins + echoes
    if total == 0 or total < min_clusters:
        return "none"
    share = origins / total
    if share >= origin_share:
        return "origin"
    if share <= 1 - origin_share:
        return "amplifier"
    return "mixed"


def _runs(sorted_keys: np.ndarray):
    """(key, start, end) for each run of equal keys."""
    if sorted_keys.size == 0:
        return
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], sorted_keys.size]
    for start, end in zip(starts.tolist(), ends.tolist()):
        yield int(sorted_keys[start]), start, end
