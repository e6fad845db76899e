"""Channel edges from shared items, and communities: echoscope's network parts against networkx, same run.

    python benchmarks/network.py --items 200000 --channels 500

The corpus is synthetic echo clusters: each item is carried by 2–12 channels (a few popular channels
much more often than the rest), the first at a random time, the others within two days; 60 % of items
travel inside one of 12 groups of channels, the rest anywhere. Contenders:

- edges: echoscope's `Cooccurrence` (NumPy, batches of 5,000 items, one window wide enough to hold every
  pair, so both sides count the same thing) against networkx's `collaboration_weighted_projected_graph`
  on the channel–item bipartite graph, which computes the same Newman weights (each item adds
  1/(k − 1) to each pair of its k channels). The weights must agree.
- significance: the null-model test of every pair (echoscope only; networkx has none), for the record.
- communities: leidenalg (seeded) on the resulting graph against networkx's `louvain_communities`
  (seeded), with the modularity each finds.
Each figure is the best of `--repeat` runs, except networkx's projection, timed once (it is the slow
side by an order of magnitude). Figures go to stdout and into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import time
from itertools import pairwise

import networkx as nx
import numpy as np
from _figures import machine, write_block

from echoscope.network.communities import leiden_communities
from echoscope.network.cooccurrence import Cooccurrence
from echoscope.network.significance import score_shared

BATCH = 5000
GROUPS = 12
DAY = 86400


def make_corpus(items: int, channels: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = np.minimum(2 + rng.geometric(0.35, items) - 1, 12)
    popularity = 1.0 / np.arange(1, channels + 1) ** 0.8
    popularity /= popularity.sum()
    item, channel, seconds = [], [], []
    starts = np.sort(rng.integers(0, 365 * DAY, items))
    group_of = np.arange(channels) % GROUPS
    in_group = [np.flatnonzero(group_of == group) for group in range(GROUPS)]
    for index, size in enumerate(sizes.tolist()):
        if rng.random() < 0.6:  # most items travel inside one group of channels
            pool = in_group[index % GROUPS]
            weights = popularity[pool] / popularity[pool].sum()
            members = rng.choice(pool, size=min(size, pool.size), replace=False, p=weights) + 1
            size = members.size
        else:
            members = rng.choice(channels, size=size, replace=False, p=popularity) + 1
        item.append(np.full(size, index))
        channel.append(members)
        seconds.append(starts[index] + np.r_[0, rng.integers(0, 2 * DAY, size - 1)])
    return np.concatenate(item), np.concatenate(channel), np.concatenate(seconds)


def best_of(repeat: int, job):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = job()
        best = min(best, time.perf_counter() - started)
    return best, result


def echoscope_edges(item, channel, seconds) -> Cooccurrence:
    found = Cooccurrence({"all": 10 * 365 * DAY})
    bounds = np.searchsorted(item, np.arange(0, item.max() + BATCH + 1, BATCH))
    for start, end in pairwise(bounds):
        found.add(item[start:end], channel[start:end], seconds[start:end])
    return found


def networkx_edges(item, channel) -> nx.Graph:
    graph = nx.Graph()
    channels = {f"c{node}" for node in np.unique(channel).tolist()}
    graph.add_nodes_from(channels, bipartite=0)
    graph.add_edges_from(zip((f"c{node}" for node in channel.tolist()), (f"i{node}" for node in item.tolist())))
    return nx.bipartite.collaboration_weighted_projected_graph(graph, channels)


def undirected_weights(found: Cooccurrence) -> dict[tuple[int, int], float]:
    pairs = found.pairs("all")
    weights: dict[tuple[int, int], float] = {}
    for source, target, weight in zip(pairs.source.tolist(), pairs.target.tolist(), pairs.weight.tolist()):
        key = (min(source, target), max(source, target))
        weights[key] = weights.get(key, 0.0) + weight
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--channels", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-doc", action="store_true", help="Print the figures without writing docs/benchmarks.md.")
    args = parser.parse_args()
    item, channel, seconds = make_corpus(args.items, args.channels)
    leiden_communities([(1, 2, 1.0)], seed=1, resolution=1.0)  # import igraph and leidenalg outside the timing
    ours_time, found = best_of(args.repeat, lambda: echoscope_edges(item, channel, seconds))
    theirs_time, projected = best_of(1, lambda: networkx_edges(item, channel))  # once: it takes minutes
    ours = undirected_weights(found)
    theirs = {(min(int(u[1:]), int(v[1:])), max(int(u[1:]), int(v[1:]))): data["weight"] for u, v, data in projected.edges(data=True)}
    assert ours.keys() == theirs.keys() and all(abs(ours[key] - theirs[key]) < 1e-9 for key in ours), "edge weights differ"
    pairs = found.pairs("all")
    test_time, scored = best_of(args.repeat, lambda: score_shared(
        pairs.source, pairs.target, pairs.count, pairs.weight, found.items_of["all"], found.items, 0.01, 2))
    significant = {(min(s, t), max(s, t)): ours[(min(s, t), max(s, t))] for s, t, keep in
                   zip(scored.source.tolist(), scored.target.tolist(), scored.significant.tolist()) if keep}
    graph = nx.Graph()
    graph.add_weighted_edges_from((a, b, weight) for (a, b), weight in significant.items())
    leiden_time, membership = best_of(args.repeat, lambda: leiden_communities(
        ((a, b, w) for (a, b), w in significant.items()), seed=42, resolution=1.0))
    louvain_time, louvain = best_of(args.repeat, lambda: nx.community.louvain_communities(graph, weight="weight", seed=42))
    groups: dict[int, set] = {}
    for node, number in membership.items():
        groups.setdefault(number, set()).add(node)
    leiden_q = nx.community.modularity(graph, groups.values(), weight="weight")
    louvain_q = nx.community.modularity(graph, louvain, weight="weight")
    occurrences = item.size
    lines = [
        f"{args.items:,} synthetic echo clusters over {args.channels} channels ({occurrences:,} posts, {len(ours):,} channel "
        f"pairs, {len(significant):,} significant); `python benchmarks/network.py --items {args.items} --channels "
        f"{args.channels}`; {machine()}. Best of {args.repeat} (networkx's projection: one run).",
        "",
        "| step | echoscope | networkx | speed-up |",
        "|---|---:|---:|---:|",
        f"| pair weights (same Newman weights, checked equal) | {ours_time:.2f} s | {theirs_time:.2f} s | "
        f"{theirs_time / ours_time:.1f}× |",
        f"| null-model test of every pair + FDR | {test_time:.2f} s | – | – |",
        f"| communities on the significant edges (Leiden vs Louvain; modularity {leiden_q:.3f} vs {louvain_q:.3f}) | "
        f"{leiden_time:.3f} s | {louvain_time:.3f} s | {louvain_time / leiden_time:.1f}× |",
    ]
    print("\n".join(lines))
    if not args.no_doc:
        write_block("network", "Coordination network", lines)


if __name__ == "__main__":
    main()
