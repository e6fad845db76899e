"""The coordination network: which channels act together, how, how fast, and who goes first.

Edges between channels come from four kinds of evidence — posts in the same echo cluster, forwards,
images in the same image-reuse cluster, the same (normalised) link — each kept apart with its own counts
and weights, echoes, images and links per time window. A null model keeps only the edges that the two
channels' activity alone would not produce (network/significance.py), Leiden finds communities in what
is left, and each channel gets an origin / amplifier role from the echo clusters.

The network is recomputed whole on each run and replaces the stored one (store/schema_network.py says why).
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import asdict

import numpy as np

from echoscope.errors import ConfigError
from echoscope.network.communities import leiden_communities
from echoscope.network.cooccurrence import Cooccurrence, parse_windows
from echoscope.network.roles import NO_ROLE, RoleTally
from echoscope.network.significance import ScoredEdges, score_directed, score_shared
from echoscope.network.urls import post_links
from echoscope.stages.base import Progress, Stage, StageReport
from echoscope.store import Store
from echoscope.store import network as network_store

KINDS = ("echo", "forward", "image", "link")
ANY_TIME = "any"  # the window of forwards: a forward is direct evidence whenever it happened


class Network(Stage):
    name = "network"
    kind = "link"
    requires = ("echoes",)
    description = "channel network from echoes, forwards, images and links; significant edges, communities, roles"
    defaults = {
        "windows": ["10m", "1h", "24h"],  # echoes, images and links count when the second post follows within
        "kinds": list(KINDS),  # edge kinds to build
        "alpha": 0.01,  # false discovery rate of the significance filter
        "min_count": 2,  # shared items (or forwards) an edge needs at least
        "resolution": 1.0,  # Leiden resolution: above 1, more and smaller communities
        "seed": 42,  # Leiden's random seed: the same data gives the same communities
        "origin_share": 0.6,  # share of first posts that makes an "origin"; at most 1 − this, an "amplifier"
        "min_role_clusters": 3,  # echo clusters a channel needs before it gets a role
    }

    def run(self, store: Store, settings: dict, progress: Progress) -> StageReport:
        windows, kinds = _check(settings)
        report = StageReport(self.name)
        notes: list[str] = []
        edges: list[ScoredRows] = []
        tally = RoleTally()
        with store.reading() as conn:
            echo = Cooccurrence(windows)
            for batch in network_store.echo_batches(conn):
                echo.add(batch.item, batch.channel, batch.seconds)
                tally.add(batch.item, batch.channel, batch.lag, batch.origin_channel)
            progress(1, 4)
            if "echo" in kinds:
                edges += _shared("echo", echo, settings)
            if "forward" in kinds:
                edges.append(_forwards(conn, settings, report))
            progress(2, 4)
            if "image" in kinds:
                edges += _images(conn, windows, settings, notes)
            if "link" in kinds:
                edges += _shared("link", _links(conn, windows), settings)
            progress(3, 4)
        rows = [row for scored in edges for row in scored.rows()]
        community = leiden_communities(_community_edges(edges), seed=settings["seed"], resolution=settings["resolution"])
        roles = tally.roles(settings["origin_share"], settings["min_role_clusters"])
        channel_rows = [
            {"channel_pk": node, "community": community.get(node)} | asdict(roles.get(node, NO_ROLE))
            for node in sorted(set(community) | set(roles))
        ]
        with store.transaction() as conn:
            network_store.replace_network(conn, rows, channel_rows)
        progress(4, 4)
        for scored in edges:  # significant edges per kind and window
            report.counts[f"{scored.kind} {scored.window}"] = int(scored.edges.significant.sum())
        report.counts["communities"] = len(set(community.values()))
        for role in ("origin", "amplifier"):
            report.counts[f"{role}s"] = sum(1 for found in roles.values() if found.role == role)
        report.note = "; ".join(notes)
        return report


class ScoredRows:
    """One kind and window of scored edges, and their rows for the network_edges table."""

    def __init__(self, kind: str, window: str, edges: ScoredEdges):
        self.kind, self.window, self.edges = kind, window, edges

    def rows(self) -> list[dict]:
        edges = self.edges
        return [
            {"source_pk": source, "target_pk": target, "kind": self.kind, "time_window": self.window, "count": count,
             "weight": weight, "expected": expected, "p_value": p_value, "significant": significant}
            for source, target, count, weight, expected, p_value, significant in zip(
                edges.source.tolist(), edges.target.tolist(), edges.count.tolist(), edges.weight.tolist(),
                edges.expected.tolist(), edges.p_value.tolist(), edges.significant.tolist(),
            )
        ]


def _check(settings: dict) -> tuple[dict[str, int], set[str]]:
    windows = parse_windows(settings["windows"])
    kinds = set(settings["kinds"])
    if not kinds <= set(KINDS):
        raise ConfigError(f"[stages.network] kinds: unknown {', '.join(sorted(kinds - set(KINDS)))}; known: {', '.join(KINDS)}")
    if not 0 < settings["alpha"] < 1:
        raise ConfigError(f"[stages.network] alpha = {settings['alpha']}: expected a rate between 0 and 1, e.g. 0.01")
    if not 0.5 < settings["origin_share"] <= 1:
        raise ConfigError(f"[stages.network] origin_share = {settings['origin_share']}: expected more than 0.5, at most 1")
    if settings["min_count"] < 1 or settings["min_role_clusters"] < 1:
        raise ConfigError("[stages.network] min_count and min_role_clusters must be at least 1")
    return windows, kinds


def _shared(kind: str, found: Cooccurrence, settings: dict) -> list[ScoredRows]:
    scored = []
    for window in found.windows:
        pairs = found.pairs(window)
        edges = score_shared(pairs.source, pairs.target, pairs.count, pairs.weight, found.items_of.get(window, {}),
                             found.items, settings["alpha"], settings["min_count"])
        scored.append(ScoredRows(kind, window, edges))
    return scored


def _forwards(conn, settings: dict, report: StageReport) -> ScoredRows:
    resolved, unresolved = network_store.forward_counts(conn)
    source, target, count = (np.array(column, dtype=np.int64) for column in zip(*resolved)) if resolved else (np.zeros(0, np.int64),) * 3
    out_of = dict(zip(*_sums(source, count)))
    in_of = dict(zip(*_sums(target, count)))
    edges = score_directed(source, target, count, out_of, in_of, int(count.sum()), settings["alpha"], settings["min_count"])
    report.counts["forwards from unstored channels"] = unresolved
    return ScoredRows("forward", ANY_TIME, edges)


def _sums(keys: np.ndarray, values: np.ndarray) -> tuple[list[int], list[int]]:
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique.tolist(), np.bincount(inverse, weights=values, minlength=unique.size).astype(np.int64).tolist()


def _images(conn, windows: dict[str, int], settings: dict, notes: list[str]) -> list[ScoredRows]:
    """Image edges, or none with a note when the image stage has not produced clusters here."""
    table = network_store.image_table(conn)
    if table is None:
        notes.append("image edges off: no image clusters in this store (the image stage is not installed or has not run)")
        return []
    found = Cooccurrence(windows)
    for batch in network_store.image_batches(conn, table):
        found.add(batch.item, batch.channel, batch.seconds)
    if not found.items:
        notes.append("image edges off: no image cluster spans two channels")
        return []
    return _shared("image", found, settings)


def _links(conn, windows: dict[str, int]) -> Cooccurrence:
    """Shared links: every post's normalised links, each link an item keyed by a 63-bit hash of it
    (kept as 8-byte integers: 24 bytes per link shared, whatever the corpus)."""
    item, channel, seconds = array("q"), array("q"), array("q")
    for page in network_store.link_pages(conn):
        for row in page:
            for url in post_links(row.text, row.entities, row.extra):
                item.append(int.from_bytes(hashlib.blake2b(url.encode(), digest_size=8).digest(), "big") >> 1)
                channel.append(row.channel_pk)
                seconds.append(network_store.unix_seconds(row.date))
    found = Cooccurrence(windows)
    found.add(item, channel, seconds)
    return found


def _community_edges(edges: list[ScoredRows]):
    """Significant edges for Leiden: forwards, and each windowed kind at its widest window (windows nest,
    so the narrower ones would count the same items again)."""
    widest: dict[str, str] = {}
    for scored in edges:
        widest[scored.kind] = scored.window  # windows come shortest first
    for scored in edges:
        if scored.window == widest[scored.kind]:
            chosen = scored.edges.significant
            yield from zip(scored.edges.source[chosen].tolist(), scored.edges.target[chosen].tolist(), scored.edges.weight[chosen].tolist())
