"""Grouping links into clusters: union-find over strong links, attachments for containment.

Exact copies, light edits (Jaccard) and forwards are strong: they merge whatever they connect.
Containment is not: a digest that quotes two different stories contains both, and merging on it would
make the two stories one cluster. So a post linked only by containment *attaches* to its best partner's
cluster (the later of two lone posts attaches to the earlier one), and never merges two clusters.
"""

from __future__ import annotations

import numpy as np


def union_find(nodes: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The root of every node's component: hook roots onto smaller roots, then jump pointers,
    until no link joins two roots (a vectorised union-find; rounds grow with log of the diameter)."""
    parent = np.arange(nodes, dtype=np.int64)
    while True:
        root_a, root_b = parent[a], parent[b]
        differ = root_a != root_b
        if not differ.any():
            return parent
        low, high = np.minimum(root_a, root_b)[differ], np.maximum(root_a, root_b)[differ]
        np.minimum.at(parent, high, low)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


def attachments(roots: np.ndarray, rank: np.ndarray, a: np.ndarray, b: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Containment links that may join: (attaching node, partner), at most one per attaching node.

    A node attaches only if it is alone after the strong links; when both ends are alone, the later
    one (higher `rank`) attaches to the earlier. Each attaching node keeps its highest-scoring link."""
    alone = np.bincount(roots, minlength=roots.size)[roots] == 1
    alone_a, alone_b = alone[a], alone[b]
    a_attaches = alone_a & (~alone_b | (rank[a] > rank[b]))
    b_attaches = alone_b & ~a_attaches
    attacher = np.where(a_attaches, a, b)[a_attaches | b_attaches]
    partner = np.where(a_attaches, b, a)[a_attaches | b_attaches]
    score = score[a_attaches | b_attaches]
    order = np.lexsort((rank[partner], -score, attacher))
    attacher, partner = attacher[order], partner[order]
    best = np.r_[True, attacher[1:] != attacher[:-1]] if attacher.size else np.zeros(0, bool)
    return attacher[best], partner[best]
