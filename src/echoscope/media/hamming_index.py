"""Finding 256-bit codes (PDQ hashes, ORB anchors) within a Hamming distance of each other, at scale.

Comparing every pair is quadratic: at a million hashes a self-join is 5·10¹¹ comparisons. Multi-index
hashing splits each code into CHUNKS chunks of 16 bits; two codes within distance 31 differ by at most
one bit in at least one chunk (pigeonhole: 16 chunks differing by 2 bits or more would make 32). So
for each chunk the codes are sorted by that chunk's value, and only codes in the same bucket or in a
bucket one bit apart (16 neighbours) become candidates; each candidate is then verified with a
popcount of the four 64-bit words, word by word, dropping a pair as soon as it is out of reach.
A pair close in several chunks is kept only by the first of them, so nothing needs deduplicating.

Everything is NumPy over blocks of a few million candidates: sorting, bucket offsets, expanding bucket
ranges into candidate pairs (`np.repeat`), popcount (`np.bitwise_count`). Memory stays bounded by the
block size, whatever the number of pairs examined. Beyond EXACT_UP_TO, and for a handful of queries
(where sorting sixteen tables never pays), the index compares against everything (FAISS IndexBinaryFlat)
and stays exact. benchmarks/hamming_index.py measures both against FAISS on the same codes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator

import numpy as np

BITS = 256
CHUNKS = 16
CHUNK_VALUES = 1 << (BITS // CHUNKS)
CHUNKS_PER_WORD = 64 // (BITS // CHUNKS)
EXACT_UP_TO = 2 * CHUNKS - 1  # some chunk differs by at most one bit
BLOCK = 1 << 20  # candidate pairs expanded and verified at a time (a few MB: the temporaries stay in cache)
QUERY_BATCH = 4096
# Below this many queries, scanning everything beats sorting sixteen tables of a large index first.
FEW_QUERIES = 2000
_FLIPS = 1 << np.arange(BITS // CHUNKS, dtype=np.int64)


@dataclass(frozen=True)
class Pairs:
    """Parallel arrays: rows `left` and `right` of the indexed codes, and their distance."""

    left: np.ndarray
    right: np.ndarray
    distance: np.ndarray


class HammingIndex:
    """An exact radius search over a fixed set of 256-bit codes (an N×32 uint8 array)."""

    def __init__(self, codes: np.ndarray, *, max_distance: int, few_queries: bool = False):
        self.codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, BITS // 8)
        self.max_distance = max_distance
        self._words = self.codes.view(np.uint64)
        self._columns = _columns(self._words)
        self._chunks = self.codes.view(np.uint16)  # N×CHUNKS chunk values
        self.multi_index = max_distance <= EXACT_UP_TO and not few_queries
        if self.multi_index:
            # A stable sort of 16-bit keys is a radix sort in NumPy: sixteen of them take a second at a million.
            self._orders = np.stack([np.argsort(column, kind="stable").astype(np.int32) for column in self._chunks.T])  # CHUNKS×N
            counts = np.stack([np.bincount(column, minlength=CHUNK_VALUES) for column in self._chunks.T])
            self._starts = np.zeros((CHUNKS, CHUNK_VALUES + 1), np.int64)
            np.cumsum(counts, axis=1, out=self._starts[:, 1:])
        else:
            import faiss

            self._flat = faiss.IndexBinaryFlat(BITS)
            self._flat.add(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def search(self, queries: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """For each query row: (query row, rows of the indexed codes within max_distance, distances)."""
        found = self.matches(queries)
        bounds = np.searchsorted(found.left, np.arange(len(queries) + 1))
        for query in range(len(bounds) - 1):
            within = slice(int(bounds[query]), int(bounds[query + 1]))
            yield query, found.right[within], found.distance[within]

    def matches(self, queries: np.ndarray) -> Pairs:
        """Every match at once: `left` the query row, `right` the indexed row (sorted by both), `distance`."""
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, BITS // 8)
        found = []
        for start in range(0, len(queries), QUERY_BATCH):
            batch = queries[start : start + QUERY_BATCH]
            query, rows, distances = self._search_multi(batch) if self.multi_index else self._search_flat(batch)
            found.append((query + start, rows, distances))
        return Pairs(*(np.concatenate([part[i] for part in found] or [np.zeros(0, np.int64)]) for i in range(3)))

    def pairs(self, threads: int = 2) -> Pairs:
        """Every pair of indexed rows (left < right) within max_distance of each other. NumPy releases
        the GIL in its loops, so `threads` chunk tables are joined at once."""
        if not self.multi_index:
            return self._pairs_flat()
        with ThreadPoolExecutor(threads) as pool:
            found = [pairs for chunk in pool.map(lambda chunk: list(self._pairs_in_chunk(chunk)), range(CHUNKS)) for pairs in chunk]
        left, right, distance = (np.concatenate([pairs[i] for pairs in found] or [np.zeros(0, np.int64)]) for i in range(3))
        order = np.lexsort((right, left))
        return Pairs(left[order], right[order], distance[order])

    def _pairs_in_chunk(self, chunk: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Pairs whose first chunk within one bit is `chunk`: same bucket (later positions only) or the
        bucket one bit above (so each pair of buckets is joined once)."""
        order, starts = self._orders[chunk], self._starts[chunk]
        values = self._chunks[order, chunk].astype(np.int64)
        words = _columns(self._words[order])
        position = np.arange(len(order), dtype=np.int64)
        # Per bucket value first (65,536 rows), then per code: the buckets one bit above each value
        # (none where the bit is already set, so each pair of buckets is joined from below only).
        value = np.arange(CHUNK_VALUES)[:, None]
        above = value | _FLIPS[None, :]
        above_begins = np.concatenate([np.zeros((CHUNK_VALUES, 1), np.int64), starts[above]], axis=1)
        above_lengths = np.concatenate([np.zeros((CHUNK_VALUES, 1), np.int64), np.where(above != value, starts[above + 1] - starts[above], 0)], axis=1)
        begins, lengths = above_begins.astype(np.int32)[values], above_lengths.astype(np.int32)[values]
        begins[:, 0], lengths[:, 0] = position + 1, starts[values + 1] - position - 1  # later codes of the same bucket
        for left, right in _expand(position, begins, lengths):
            left, right, distance = self._verify(words, left, words, right, chunk)
            left, right = order[left].astype(np.int64), order[right].astype(np.int64)
            yield np.minimum(left, right), np.maximum(left, right), distance

    def _search_multi(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query, row, distance) of every match of the batch, sorted by query then row."""
        chunks = batch.view(np.uint16).astype(np.int64)
        probes = np.concatenate([chunks[:, :, None], chunks[:, :, None] ^ _FLIPS[None, None, :]], axis=2)  # Q×CHUNKS×17
        table = np.arange(CHUNKS)[None, :, None]
        flat_probe = (table * (CHUNK_VALUES + 1) + probes).reshape(len(batch), -1)
        begins = self._starts.ravel()[flat_probe]
        lengths = self._starts.ravel()[flat_probe + 1] - begins
        begins = begins + np.repeat(np.arange(CHUNKS) * len(self.codes), probes.shape[2])[None, :]  # into the flat orders
        found = []
        query_words = _columns(batch.view(np.uint64))
        orders = self._orders.ravel()
        for query, position in _expand(np.arange(len(batch)), begins, lengths):
            rows = orders[position].astype(np.int64)
            found.append(self._verify(query_words, query, self._columns, rows, position // len(self.codes)))
        query, rows, distance = (np.concatenate([part[i] for part in found] or [np.zeros(0, np.int64)]) for i in range(3))
        order = np.lexsort((rows, query))
        return query[order], rows[order], distance[order]

    def _verify(self, left_words, left, right_words, right, chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The candidates within max_distance, and only where `chunk` is the first chunk in which the
        two codes differ by one bit at most, so a pair is reported once. Distances add up a word at a
        time, dropping candidates out of reach; the word holding `chunk` (nearly equal by construction,
        so it filters nothing) comes last."""
        first_word = (chunk if isinstance(chunk, int) else 0) // CHUNKS_PER_WORD + 1
        distance = np.zeros(len(left), np.uint8)  # at most 31 + 64 between two filters
        for word in ((first_word + step) % 4 for step in range(4)):
            distance += np.bitwise_count(left_words[word][left] ^ right_words[word][right])
            keep = np.flatnonzero(distance <= self.max_distance)
            left, right, distance = left[keep], right[keep], distance[keep]
            if not isinstance(chunk, int):
                chunk = chunk[keep]
        differing = np.bitwise_count(_stacked(left_words, left).view(np.uint16) ^ _stacked(right_words, right).view(np.uint16))
        keep = np.argmax(differing <= 1, axis=1) == chunk
        return left[keep], right[keep], distance[keep].astype(np.int64)

    def _search_flat(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # FAISS returns distances strictly below the radius it is given.
        limits, distances, rows = self._flat.range_search(batch, self.max_distance + 1)
        query = np.repeat(np.arange(len(batch)), np.diff(limits).astype(np.int64))
        order = np.lexsort((rows, query))
        return query[order], rows[order].astype(np.int64), distances[order].astype(np.int64)

    def _pairs_flat(self) -> Pairs:
        left, right, distance = [], [], []
        for start in range(0, len(self.codes), QUERY_BATCH):
            query, rows, distances = self._search_flat(self.codes[start : start + QUERY_BATCH])
            keep = rows > query + start
            left.append(query[keep] + start)
            right.append(rows[keep])
            distance.append(distances[keep])
        return Pairs(*(np.concatenate(part or [np.zeros(0, np.int64)]) for part in (left, right, distance)))


def _expand(owners: np.ndarray, begins: np.ndarray, lengths: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Candidate pairs (owner, position) for every range [begin, begin + length) of every owner row,
    BLOCK pairs at a time (a block holds whole owner rows, so one huge row makes a bigger block).
    Positions are int32 wherever they fit, which halves the memory traffic."""
    dtype = np.int32 if int(begins.max(initial=0)) + int(lengths.max(initial=0)) < 2**31 else np.int64
    per_owner = np.cumsum(lengths.sum(axis=1))
    cuts = np.searchsorted(per_owner, np.arange(BLOCK, int(per_owner[-1]) if len(per_owner) else 0, BLOCK), side="right")
    for first, last in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [len(owners)]])):
        sizes = lengths[first:last].ravel()
        total = int(sizes.sum())
        if not total:
            continue
        owner = np.repeat(np.repeat(owners[first:last].astype(dtype), lengths.shape[1]), sizes)
        shift = np.repeat((begins[first:last].ravel() - (np.cumsum(sizes) - sizes)).astype(dtype), sizes)
        shift += np.arange(total, dtype=dtype)
        yield owner, shift


def _columns(words: np.ndarray) -> list[np.ndarray]:
    """The four 64-bit words of N codes as four contiguous arrays (gathers read 8 bytes, not a row)."""
    return [np.ascontiguousarray(words[:, word]) for word in range(BITS // 64)]


def _stacked(columns: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
    return np.stack([column[rows] for column in columns], axis=1)
