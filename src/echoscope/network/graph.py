"""The stored network as the graph an analyst opens in Gephi: one node per channel, one edge per
(source, target, kind).

Echo, image and link edges are stored once per time window; the windows nest (a pair within 10 minutes
is also within an hour), so the graph shows one edge per kind with the windows in which it is
significant, and the count and weight of the widest of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from echoscope.errors import QueryError
from echoscope.network.cooccurrence import parse_window
from echoscope.store import Store, stage_runs
from echoscope.store import network as network_store

NODE_FIELDS = (
    "id", "label", "platform", "channel_id", "username", "title", "affiliation", "community", "role", "origins",
    "echoes", "median_lag_seconds",
)
EDGE_FIELDS = ("source", "target", "kind", "weight", "count", "windows", "p_value", "significant")


@dataclass
class NetworkGraph:
    nodes: list[dict]  # NODE_FIELDS; None where unknown
    edges: list[dict]  # EDGE_FIELDS


def node_id(platform: str, channel_id: str | None, username: str | None) -> str:
    """Unique across platforms: the platform and its own id for the channel."""
    return f"{platform}:{channel_id}" if channel_id else f"{platform}:@{username}"


def build_graph(channel_rows: list[dict], edge_rows: list[dict]) -> NetworkGraph:
    """Nodes from store/network.network_nodes, edges from network_edge_rows (already filtered)."""
    ids = {row["pk"]: node_id(row["platform"], row["channel_id"], row["username"]) for row in channel_rows}
    nodes = [
        {
            "id": ids[row["pk"]],
            "label": row["username"] or row["title"] or row["channel_id"],
            "platform": row["platform"],
            "channel_id": row["channel_id"],
            "username": row["username"],
            "title": row["title"],
            "affiliation": row["affiliation"],
            "community": row["community"],
            "role": row["role"] or "none",
            "origins": row["origins"] or 0,
            "echoes": row["echoes"] or 0,
            "median_lag_seconds": row["median_lag_seconds"],
        }
        for row in channel_rows
    ]
    by_edge = sorted(edge_rows, key=lambda row: (row["source_pk"], row["target_pk"], row["kind"], _span(row["time_window"])))
    edges = []
    for (source, target, kind), group in groupby(by_edge, key=lambda row: (row["source_pk"], row["target_pk"], row["kind"])):
        windows = list(group)
        significant = [row for row in windows if row["significant"]]
        shown = (significant or windows)[-1]
        edges.append({
            "source": ids[source],
            "target": ids[target],
            "kind": kind,
            "weight": round(shown["weight"], 6),
            "count": shown["count"],
            "windows": ",".join(row["time_window"] for row in significant),
            "p_value": shown["p_value"],
            "significant": bool(significant),
        })
    return NetworkGraph(nodes, edges)


def _span(window: str) -> int:
    """Sort key of a window label; "any" (forwards) after every finite window."""
    return parse_window(window) if window[0].isdigit() else 1 << 62


def load_graph(store: Store, *, all_edges: bool = False) -> NetworkGraph:
    """The network the last run of the stage stored; significant edges only unless `all_edges`."""
    if not stage_runs.has_run(store, "network"):
        raise QueryError("no network in this store yet: run `echoscope analyze --only network` first")
    with store.reading() as conn:
        return build_graph(network_store.network_nodes(conn), network_store.network_edge_rows(conn, significant_only=not all_edges))
