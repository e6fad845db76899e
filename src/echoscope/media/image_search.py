"""Where does this picture appear in the store? The library side of `echoscope image-search`.

The query file is hashed like a stored one and compared through the same indexes and the same rule as
the images stage: exact bytes, PDQ (the query possibly mirrored), then ORB verification of the stored
images that share anchors with it.
"""

from __future__ import annotations

import os

import numpy as np

from echoscope.errors import SourceUnavailable
from echoscope.media import robust
from echoscope.media.hamming_index import HammingIndex
from echoscope.media.matching import MIRRORS, PDQ_MAX_DISTANCE, Match, signature
from echoscope.store import Store
from echoscope.store import images as image_store


def search_image(
    store: Store, path: str | os.PathLike[str], *, max_distance: int = PDQ_MAX_DISTANCE, min_inliers: int = robust.MIN_INLIERS
) -> list[dict]:
    """Every post showing the picture in `path`, earliest first, with how it matched."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise SourceUnavailable(f"{os.fspath(path)}: {exc.strerror or exc}") from None
    query = signature(data, os.fspath(path))
    with store.reading() as conn:
        stored = image_store.hashed_images(conn)
    matches = _matches(store, query, stored, max_distance, min_inliers)
    with store.reading() as conn:
        shown = image_store.appearances(conn, matches)
        fields = image_store.post_fields(conn, {item.post_pk for item in shown})
    return [
        fields[item.post_pk] | {"media_sha256": item.sha256, "match": matches[item.sha256].kind, "distance": matches[item.sha256].distance}
        for item in shown
    ]


def _matches(store: Store, query, stored: list, max_distance: int, min_inliers: int) -> dict[str, Match]:
    from echoscope.media.pdq import MIN_QUALITY

    found: dict[str, Match] = {row.sha256: Match("exact", 0) for row in stored if row.sha256 == query.sha256}
    usable = [row for row in stored if row.quality >= MIN_QUALITY]
    if usable and query.pdq.matchable:
        index = HammingIndex(_codes(bytes.fromhex(row.pdq) for row in usable), max_distance=max_distance, few_queries=True)
        for _, rows, distances in index.search(_codes(query.pdq.variants[name] for name in MIRRORS)):
            for row, distance in zip(rows, distances):
                sha = usable[row].sha256
                if sha not in found or found[sha].distance > distance:
                    found[sha] = Match("pdq", int(distance))
    owner, anchors = robust.stack_anchors([row.anchors for row in stored])
    if len(owner) and len(query.features.anchors):
        index = HammingIndex(anchors, max_distance=robust.ANCHOR_RADIUS, few_queries=True)
        hits = np.concatenate([rows for _, rows, _ in index.search(query.features.anchor_descriptors)])
        images, shared = np.unique(owner[hits], return_counts=True)
        candidates = [stored[i].sha256 for i in images[shared >= robust.MIN_SHARED_ANCHORS] if stored[i].sha256 not in found]
        with store.reading() as conn:
            features = image_store.features_of(conn, candidates)
        for sha, blob in features.items():
            score = robust.verify(query.features, robust.Features.from_bytes(blob))
            if score >= min_inliers:
                found[sha] = Match("robust", score)
    return found


def _codes(hashes) -> np.ndarray:
    return np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(-1, 32)
