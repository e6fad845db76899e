"""Candidate pairs from LSH bands, and their exact overlap.

Candidates are the pairs of posts that share a band key; MinHash only proposes them. Every pair that
becomes a link is measured exactly on the posts' shingle sets (intersection by one sort of the two
sets tagged with the pair's number), so no estimate ever decides a claim.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_ELEMENTS_PER_ROUND = 4_000_000  # shingles gathered per round of exact overlap: bounded memory


def band_pairs(keys: np.ndarray, posts: np.ndarray, partners: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j) with i < j of `posts` (row numbers of `keys`) that share a band key.

    One band at a time (a sort of one key per post), and the pairs found so far are deduplicated
    after each band: a true echo shares most bands, so memory follows the distinct pairs, not the
    collisions. Within one bucket each post is paired with the `partners` posts before it, so a bucket
    of thousands (a story reposted everywhere) costs linear work, and chains still connect it whole."""
    found = np.zeros(0, np.uint64)
    for band in range(keys.shape[1]):
        column = keys[posts, band]
        order = np.argsort(column)
        column, owner = column[order], posts[order].astype(np.uint64)
        pairs = [found]
        for distance in range(1, partners + 1):
            same = column[distance:] == column[:-distance]
            if not same.any():
                break
            a, b = owner[:-distance][same], owner[distance:][same]
            pairs.append((np.minimum(a, b) << np.uint64(32)) | np.maximum(a, b))
        found = sorted_unique(np.concatenate(pairs), kind="stable")  # `found` is one sorted run already
    return (found >> np.uint64(32)).astype(np.int64), (found & np.uint64(0xFFFFFFFF)).astype(np.int64)


def sorted_unique(values: np.ndarray, kind: str = "quicksort") -> np.ndarray:
    """np.unique by sorting: NumPy 2's hash-based unique is several times slower on 64-bit keys.
    `kind="stable"` (timsort) suits input that is mostly sorted runs already."""
    values = np.sort(values, kind=kind)
    return values[np.r_[True, values[1:] != values[:-1]]] if values.size else values


def unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = a != b
    combined = sorted_unique((a[keep].astype(np.uint64) << np.uint64(32)) | b[keep].astype(np.uint64))
    return (combined >> np.uint64(32)).astype(np.int64), (combined & np.uint64(0xFFFFFFFF)).astype(np.int64)


@dataclass(frozen=True)
class ShingleSets:
    """Each post's distinct shingles (low 32 bits), sorted, stored back to back."""

    values: np.ndarray  # uint32
    offsets: np.ndarray
    sizes: np.ndarray

    @classmethod
    def build(cls, hashes: np.ndarray, post: np.ndarray, posts: int) -> ShingleSets:
        keyed = sorted_unique((post.astype(np.uint64) << np.uint64(32)) | (hashes & np.uint64(0xFFFFFFFF)))
        sizes = np.bincount((keyed >> np.uint64(32)).astype(np.int64), minlength=posts).astype(np.int64)
        return cls((keyed & np.uint64(0xFFFFFFFF)).astype(np.uint32), _offsets(sizes), sizes)

    @classmethod
    def concatenate(cls, parts: list[ShingleSets]) -> ShingleSets:
        """The sets of consecutive chunks of posts as one."""
        sizes = np.concatenate([part.sizes for part in parts])
        return cls(np.concatenate([part.values for part in parts]), _offsets(sizes), sizes)

    def _gather(self, which: np.ndarray, first_pair: int) -> np.ndarray:
        lengths = self.sizes[which]
        pair = np.repeat(np.arange(first_pair, first_pair + which.size, dtype=np.uint64), lengths)
        shift = np.repeat(self.offsets[which] - (np.cumsum(lengths) - lengths), lengths)
        index = np.arange(int(lengths.sum())) + shift
        return (pair << np.uint64(32)) | self.values[index].astype(np.uint64)

    def intersections(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """|S_a ∩ S_b| for each pair, in rounds that gather a bounded number of shingles."""
        out = np.zeros(a.size, dtype=np.int64)
        cost = np.cumsum(self.sizes[a] + self.sizes[b])
        start = 0
        while start < a.size:
            stop = max(int(np.searchsorted(cost, (cost[start - 1] if start else 0) + _ELEMENTS_PER_ROUND)), start + 1)
            merged = np.sort(np.concatenate((self._gather(a[start:stop], 0), self._gather(b[start:stop], 0))))
            shared = merged[1:][merged[1:] == merged[:-1]] >> np.uint64(32)
            out[start:stop] = np.bincount(shared.astype(np.int64), minlength=stop - start)
            start = stop
        return out


def _offsets(sizes: np.ndarray) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)


def overlap(sets: ShingleSets, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Jaccard, containment of the smaller in the larger) of each pair, exactly."""
    shared = sets.intersections(a, b).astype(np.float64)
    size_a, size_b = sets.sizes[a], sets.sizes[b]
    union = size_a + size_b - shared
    jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
    smaller = np.minimum(size_a, size_b)
    containment = np.divide(shared, smaller, out=np.zeros_like(shared), where=smaller > 0)
    return jaccard, containment


def estimated_overlap(signature: np.ndarray, sizes: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MinHash estimates of (Jaccard, containment): a cheap filter before the exact measure."""
    jaccard = np.zeros(a.size)
    for start in range(0, a.size, 65_536):  # bounded: two (pairs × permutations) gathers per round
        rows = slice(start, start + 65_536)
        jaccard[rows] = (signature[a[rows]] == signature[b[rows]]).mean(axis=1)
    size_a, size_b = sizes[a], sizes[b]
    shared = jaccard * (size_a + size_b) / (1 + jaccard)
    return jaccard, shared / np.maximum(np.minimum(size_a, size_b), 1)
