"""The `images` link stage: clusters of posts that show the same picture, across channels and platforms.

Three kinds of evidence join two files: the same bytes (exact), PDQ hashes within `max_distance` bits,
the picture possibly mirrored (pdq; only between hashes of usable quality), and ORB features that agree
on one similarity transform (robust; for crops, caption bands and logos). Candidates come from Hamming
indexes, never from comparing all pairs.

PDQ links are found again on every run (a self-join of a million hashes takes seconds, see
docs/benchmarks.md). Robust links are incremental, because verifying ORB features is the costly part:
only files whose anchors were never looked up are sought, against the anchors of every hashed file,
a batch at a time; the verified links and which files were looked up are stored in the same
transaction, so an interrupted run resumes where it stopped. Clusters are then rebuilt from all links,
so a picture found earlier on another platform moves the cluster's first appearance back.
A member's match says how it was reached from the first appearance's file: exact, or the last link on
the shortest chain of pdq/robust links.
"""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import UTC, datetime

import numpy as np

from echoscope.media import robust
from echoscope.media.matching import PDQ_MAX_DISTANCE
from echoscope.stages.base import Progress, Stage, StageReport
from echoscope.stages.media import images_unavailable
from echoscope.store import Store
from echoscope.store import images as image_store

LOOKUP_BATCH = 1000  # new files looked up, verified and stored per transaction


class ImageReuse(Stage):
    name = "images"
    kind = "link"
    requires = ("media",)
    description = "Image-reuse clusters across channels and platforms: first seen, later appearances, lag, match kind."
    defaults = {"max_distance": PDQ_MAX_DISTANCE, "mirror": True, "robust": True, "min_inliers": robust.MIN_INLIERS}

    def unavailable(self) -> str | None:
        return images_unavailable()

    def run(self, store: Store, settings: dict, progress: Progress) -> StageReport:
        with store.reading() as conn:
            hashed = image_store.hashed_images(conn)
        links = _Links(len(hashed))
        _link_pdq(hashed, links, settings)
        progress(1, 3)
        found = _link_robust(store, hashed, links, settings) if settings["robust"] else {}
        progress(2, 3)
        sha256s = [row.sha256 for row in hashed]
        with store.reading() as conn:
            shown = image_store.appearances(conn, sha256s)
        clusters = list(_clusters(links, sha256s, shown))
        with store.transaction() as conn:
            written = image_store.replace_clusters(conn, clusters, datetime.now(UTC))
        progress(3, 3)
        kinds = defaultdict(int)
        for members in clusters:
            for member in members[1:]:
                kinds[member.match] += 1
        counts = {"images": len(hashed), "clusters": written} | found | dict(sorted(kinds.items()))
        return StageReport(self.name, counts=counts)


class _Links:
    """Union-find over image rows, remembering each link's kind and distance for the member labels."""

    def __init__(self, size: int):
        self.parent = list(range(size))
        self.edges: dict[int, list[tuple[int, str, int]]] = defaultdict(list)

    def find(self, node: int) -> int:
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def join(self, a: int, b: int, kind: str, distance: int) -> None:
        self.edges[a].append((b, kind, distance))
        self.edges[b].append((a, kind, distance))
        self.parent[self.find(a)] = self.find(b)


def _link_pdq(hashed: list, links: _Links, settings: dict) -> None:
    from echoscope.media.hamming_index import HammingIndex
    from echoscope.media.pdq import MIN_QUALITY, VARIANTS

    usable = np.array([i for i, row in enumerate(hashed) if row.quality >= MIN_QUALITY], dtype=np.int64)
    if len(usable) < 2:
        return
    codes = np.frombuffer(b"".join(bytes.fromhex(hashed[i].pdq) for i in usable), dtype=np.uint8).reshape(-1, 32)
    index = HammingIndex(codes, max_distance=settings["max_distance"])
    pairs = index.pairs()
    for left, right, distance in zip(pairs.left, pairs.right, pairs.distance):
        links.join(int(usable[left]), int(usable[right]), "pdq", int(distance))
    if settings["mirror"]:
        at = VARIANTS.index("mirror") * 32
        mirrored = np.frombuffer(b"".join(hashed[i].variants[at : at + 32] for i in usable), dtype=np.uint8)
        for query, rows, distances in index.search(mirrored):
            for row, distance in zip(rows, distances):
                if row != query and links.find(int(usable[row])) != links.find(int(usable[query])):
                    links.join(int(usable[query]), int(usable[row]), "pdq", int(distance))


def _link_robust(store: Store, hashed: list, links: _Links, settings: dict) -> dict[str, int]:
    """Join the stored robust links, then look up the files never looked up and store what verifies."""
    from echoscope.media.hamming_index import FEW_QUERIES, HammingIndex

    node_of = {row.sha256: i for i, row in enumerate(hashed)}
    with store.reading() as conn:
        for sha_a, sha_b, score in image_store.robust_links(conn):
            if sha_a in node_of and sha_b in node_of and score >= settings["min_inliers"]:
                links.join(node_of[sha_a], node_of[sha_b], "robust", score)
    new = np.array([i for i, row in enumerate(hashed) if row.looked_up_at is None], dtype=np.int64)
    owner, anchors = robust.stack_anchors([row.anchors for row in hashed])
    counts = {"looked_up": len(new), "robust_links": 0}
    if not len(new):
        return counts
    is_new = np.zeros(len(hashed), bool)
    is_new[new] = True
    index = HammingIndex(anchors, max_distance=robust.ANCHOR_RADIUS, few_queries=is_new[owner].sum() < FEW_QUERIES)
    for start in range(0, len(new), LOOKUP_BATCH):
        batch = new[start : start + LOOKUP_BATCH]
        verified = _verify_candidates(store, hashed, links, _candidates(index, owner, is_new, batch), settings)
        with store.transaction() as conn:
            image_store.write_robust_links(conn, verified, [hashed[i].sha256 for i in batch], datetime.now(UTC))
        counts["robust_links"] += len(verified)
    return counts


def _candidates(index, owner: np.ndarray, is_new: np.ndarray, batch: np.ndarray) -> list[tuple[int, int]]:
    """Pairs of files (one of them in `batch`) sharing MIN_SHARED_ANCHORS anchors. An anchor pair of
    two new files is counted from the later file only, as a self-join would count it once."""
    rows = np.flatnonzero(np.isin(owner, batch))
    found = index.matches(index.codes[rows])
    query, hit = owner[rows[found.left]], owner[found.right]
    keep = (hit != query) & ~(is_new[hit] & (hit > query))
    pair_keys = np.minimum(query, hit)[keep] * len(is_new) + np.maximum(query, hit)[keep]
    keys, shared = np.unique(pair_keys, return_counts=True)
    return [(int(key // len(is_new)), int(key % len(is_new))) for key in keys[shared >= robust.MIN_SHARED_ANCHORS]]


def _verify_candidates(store: Store, hashed: list, links: _Links, candidates: list, settings: dict) -> list[tuple[str, str, int]]:
    """Verify the candidates not linked yet (features read a thousand pairs at a time); join and
    return those that pass."""
    verified = []
    for start in range(0, len(candidates), 1000):
        chunk = [(a, b) for a, b in candidates[start : start + 1000] if links.find(a) != links.find(b)]
        with store.reading() as conn:
            blobs = image_store.features_of(conn, {hashed[i].sha256 for pair in chunk for i in pair})
        features = {sha: robust.Features.from_bytes(blob) for sha, blob in blobs.items()}
        for a, b in chunk:
            if links.find(a) == links.find(b):
                continue
            score = robust.verify(features[hashed[a].sha256], features[hashed[b].sha256])
            if score >= settings["min_inliers"]:
                links.join(a, b, "robust", score)
                verified.append((hashed[a].sha256, hashed[b].sha256, score))
    return verified


def _clusters(links: _Links, sha256s: list[str], shown: list[image_store.Appearance]):
    """Member lists (earliest first) of every group of linked files seen in two or more posts."""
    node_of = {sha: i for i, sha in enumerate(sha256s)}
    groups: dict[int, list[image_store.Appearance]] = defaultdict(list)
    for appearance in shown:  # earliest first
        groups[links.find(node_of[appearance.sha256])].append(appearance)
    for appearances in groups.values():
        if len({item.post_pk for item in appearances}) < 2:
            continue
        first = appearances[0]
        reached = _reach(links, node_of[first.sha256])
        members = [image_store.Member(first, "first", 0)]
        for item in appearances[1:]:
            kind, distance = ("exact", 0) if item.sha256 == first.sha256 else reached[node_of[item.sha256]]
            members.append(image_store.Member(item, kind, distance))
        yield members


def _reach(links: _Links, start: int) -> dict[int, tuple[str, int]]:
    """For every file linked to `start`: the kind and distance of the last link on a shortest chain."""
    reached: dict[int, tuple[str, int]] = {start: ("exact", 0)}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for other, kind, distance in links.edges[node]:
            if other not in reached:
                reached[other] = (kind, distance)
                queue.append(other)
    return reached
