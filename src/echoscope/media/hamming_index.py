"""Finding 256-bit codes (PDQ hashes, ORB anchors) within a Hamming distance of each other, at scale.

Comparing every pair is quadratic: at a million hashes a self-join is 5·10¹¹ comparisons. Multi-index
hashing splits each code into `TABLES` chunks of `CHUNK_BITS` bits, each with its own hash table; two
codes within distance r must agree on some chunk up to ⌊r / TABLES⌋ flipped bits (pigeonhole), so probing
each chunk's neighbours up to `FLIPS` bits finds every pair, and only those candidates are compared.
FAISS's IndexBinaryMultiHash does exactly that; the chunking below is exact up to `EXACT_UP_TO` and was
chosen by benchmarks/hamming_index.py. Beyond it, and for small sets where building tables costs more
than it saves (a few queries, or a small set), the index compares against everything (IndexBinaryFlat)
and stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

BITS = 256
TABLES, CHUNK_BITS, FLIPS = 12, 21, 2
# Codes within EXACT_UP_TO agree on some chunk up to FLIPS bits: TABLES·(FLIPS+1) > EXACT_UP_TO + unused bits.
EXACT_UP_TO = TABLES * (FLIPS + 1) - (BITS - TABLES * CHUNK_BITS) - 1
# Below this many codes a self-join is faster against everything than through tables (the tables take
# seconds to build); see docs/benchmarks.md. A handful of queries never pay for building them.
SMALL = 200_000
QUERY_BATCH = 4096


@dataclass(frozen=True)
class Pairs:
    """Parallel arrays: rows `left` and `right` of the indexed codes, and their distance."""

    left: np.ndarray
    right: np.ndarray
    distance: np.ndarray


class HammingIndex:
    """An exact radius search over a fixed set of 256-bit codes (an N×32 uint8 array)."""

    def __init__(self, codes: np.ndarray, *, max_distance: int, few_queries: bool = False):
        import faiss

        self.codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, BITS // 8)
        self.max_distance = max_distance
        if not few_queries and len(self.codes) >= SMALL and max_distance <= EXACT_UP_TO:
            self._index = faiss.IndexBinaryMultiHash(BITS, TABLES, CHUNK_BITS)
            self._index.nflip = FLIPS
        else:
            self._index = faiss.IndexBinaryFlat(BITS)
        self._index.add(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def search(self, queries: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """For each query row: (query row, rows of the indexed codes within max_distance, distances)."""
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, BITS // 8)
        for start in range(0, len(queries), QUERY_BATCH):
            batch = queries[start : start + QUERY_BATCH]
            # FAISS returns distances strictly below the radius it is given.
            limits, distances, rows = self._index.range_search(batch, self.max_distance + 1)
            for offset in range(len(batch)):
                found = slice(int(limits[offset]), int(limits[offset + 1]))
                yield start + offset, rows[found], distances[found]

    def pairs(self) -> Pairs:
        """Every pair of indexed rows (left < right) within max_distance of each other."""
        left, right, distance = [], [], []
        for start in range(0, len(self.codes), QUERY_BATCH):
            batch = self.codes[start : start + QUERY_BATCH]
            limits, distances, rows = self._index.range_search(batch, self.max_distance + 1)
            queries = start + np.repeat(np.arange(len(batch)), np.diff(limits).astype(np.int64))
            keep = rows > queries
            left.append(queries[keep])
            right.append(rows[keep])
            distance.append(distances[keep])
        if not left:
            return Pairs(*(np.zeros(0, np.int64) for _ in range(3)))
        return Pairs(np.concatenate(left), np.concatenate(right), np.concatenate(distance))
