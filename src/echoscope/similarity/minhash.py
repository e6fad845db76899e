"""MinHash signatures and LSH band keys for a whole batch, with NumPy broadcasting.

Permutation i of a 32-bit shingle x is the multiply-shift hash (a_i·x + b_i) >> 32 over 64 bits
(Dietzfelbinger's universal family). Shingles arrive grouped by post, so a chunk of shingles becomes
a (permutations × shingles) matrix and `np.minimum.reduceat` along its rows takes every post's minimum
for every permutation at once. Rows of the transposed matrix are contiguous, which is what makes
the reduction fast.
"""

from __future__ import annotations

import numpy as np

from echoscope.similarity.tokens import mix64

SEED = 0x5EED_EC40
_CHUNK = 32_768  # shingles per matrix: 64 permutations × 32k × 8 bytes = 16 MB, stays near the cache


def permutations(count: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) of each permutation: fixed by the seed, so stored signatures stay comparable."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, count, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, count, dtype=np.uint64)
    return a, b


def signatures(shingle_hashes: np.ndarray, shingle_post: np.ndarray, posts: int, permutations_: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """(posts × permutations) uint32 MinHash signatures; a post without shingles gets all 0xFFFFFFFF.

    `shingle_post` must be non-decreasing (shingles grouped by post)."""
    a, b = permutations_
    out = np.full((posts, a.size), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    if not shingle_hashes.size:
        return out
    x = shingle_hashes & np.uint64(0xFFFFFFFF)
    begins = np.flatnonzero(np.r_[True, shingle_post[1:] != shingle_post[:-1]])
    start = 0
    while start < x.size:
        # cut at a post boundary at or after start + _CHUNK, so no post straddles two chunks
        cut_at = np.searchsorted(begins, start + _CHUNK)
        stop = int(begins[cut_at]) if cut_at < begins.size else x.size
        chunk_begins = begins[(begins >= start) & (begins < stop)]
        matrix = np.multiply.outer(a, x[start:stop])
        matrix += b[:, None]
        matrix >>= np.uint64(32)
        minima = np.minimum.reduceat(matrix, chunk_begins - start, axis=1)
        out[shingle_post[chunk_begins]] = minima.T.astype(np.uint32)
        start = stop
    return out


def band_keys(signature: np.ndarray, bands: int) -> np.ndarray:
    """(posts × bands) uint64 keys: band j's rows hashed together with j, so keys of different bands
    never meet and one sort finds every collision."""
    rows = signature.shape[1] // bands
    banded = signature[:, : rows * bands].reshape(signature.shape[0], bands, rows).astype(np.uint64)
    keys = np.arange(bands, dtype=np.uint64)[None, :] * np.uint64(0x9E3779B97F4A7C15)
    for row in range(rows):
        keys = mix64(keys ^ banded[:, :, row])
    return keys
