"""Deciding whether two images show the same picture, and how we know: the one rule every caller uses.

    exact   the same bytes (SHA-256)
    pdq     PDQ hashes within `max_distance` bits, either image possibly mirrored; only when both hashes
            are of usable quality, because flat images (a black frame, a blank slide) all hash alike
    robust  enough ORB features agree on one homography: survives crops, caption bands and logos

The media stage computes a `Signature` once per distinct file; the images stage, `image-search` and
benchmarks/images_eval.py all call `compare`, so the figures measure what the analyst gets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from echoscope.media import robust
from echoscope.media.pdq import PdqHash, decode, hamming, pdq_hash

PDQ_MAX_DISTANCE = 31  # the threshold PDQ's authors recommend for "same picture"
MIRRORS = ("original", "mirror")  # variants compared by default: mirrored reposts are common, rotated ones rare


@dataclass(frozen=True)
class Signature:
    """Everything the matcher needs to know about one image file."""

    sha256: str
    width: int
    height: int
    pdq: PdqHash
    features: robust.Features


@dataclass(frozen=True)
class Match:
    kind: str  # exact / pdq / robust
    distance: int  # PDQ bits for exact (0) and pdq; the robust stage's score (verified features) for robust


def signature(data: bytes, where: str) -> Signature:
    """Hash one encoded image (raises ParseError naming `where` if it is not a readable image)."""
    pixels = decode(data, where)
    height, width = pixels.shape[:2]
    return Signature(hashlib.sha256(data).hexdigest(), width, height, pdq_hash(pixels), robust.extract(pixels))


def pdq_distance(a: PdqHash, b: PdqHash, variants: tuple[str, ...] = MIRRORS) -> int:
    """The smallest distance between b and one of a's variants."""
    return min(hamming(a.variants[name], b.hash) for name in variants)


def compare(
    a: Signature,
    b: Signature,
    *,
    max_distance: int = PDQ_MAX_DISTANCE,
    min_inliers: int = robust.MIN_INLIERS,
    variants: tuple[str, ...] = MIRRORS,
) -> Match | None:
    """How a and b are the same picture, or None."""
    if a.sha256 == b.sha256:
        return Match("exact", 0)
    if a.pdq.matchable and b.pdq.matchable:
        distance = pdq_distance(a.pdq, b.pdq, variants)
        if distance <= max_distance:
            return Match("pdq", distance)
    return robust_match(a.features, b.features, min_inliers)


def robust_match(a: robust.Features, b: robust.Features, min_inliers: int = robust.MIN_INLIERS) -> Match | None:
    """The second stage alone: anchors shared (the candidate test), then geometric verification."""
    if max(robust.shared_anchors(a, b), robust.shared_anchors(b, a)) < robust.MIN_SHARED_ANCHORS:
        return None
    score = robust.verify(a, b)
    return Match("robust", score) if score >= min_inliers else None
