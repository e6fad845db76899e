"""Communities of channels that act together: Leiden on the significant edges, seeded so a re-run on the
same data gives the same communities with the same numbers."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable


def leiden_communities(edges: Iterable[tuple[int, int, float]], *, seed: int, resolution: float) -> dict[int, int]:
    """channel → community number (1 = the largest) for the channels on `edges` (source, target, weight).

    Direction is dropped and parallel edges (kinds, both directions) add up: a community is about acting
    together, whoever went first. Modularity with a resolution parameter (RBConfiguration): above 1 gives
    more, smaller communities."""
    # Imported here: igraph takes ~0.4 s to import, and every command loads the stage registry.
    import igraph
    import leidenalg

    weights: dict[tuple[int, int], float] = defaultdict(float)
    for source, target, weight in edges:
        if source != target:
            weights[(min(source, target), max(source, target))] += weight
    if not weights:
        return {}
    nodes = sorted({node for pair in weights for node in pair})
    index = {node: position for position, node in enumerate(nodes)}
    pairs = sorted(weights)
    graph = igraph.Graph(n=len(nodes), edges=[(index[a], index[b]) for a, b in pairs])
    graph.es["weight"] = [weights[pair] for pair in pairs]
    partition = leidenalg.find_partition(
        graph, leidenalg.RBConfigurationVertexPartition, weights="weight", resolution_parameter=resolution,
        n_iterations=-1, seed=seed,
    )
    groups = sorted(([nodes[member] for member in group] for group in partition), key=lambda group: (-len(group), min(group)))
    return {node: number for number, group in enumerate(groups, start=1) for node in group}
