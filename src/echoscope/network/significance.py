"""Which edges are more than the channels' activity alone would produce (the significance filter).

A channel that echoes everything shares items with every other channel; a raw count would connect it to
everyone. The null model asks, for each pair, how many shared items chance would give them: if A is in
K of the N items and B in n, the number they share when B's items are drawn at random is hypergeometric
(N, K, n), with mean K·n/N. The p-value is P(X ≥ observed). This is the "statistically validated
network" test of Tumminello et al. (PLoS ONE, 2011). Per time window, N stays every item two channels
shared, while K and n count only the items in which the channel was within that window of another
channel: sharing within ten minutes is then judged against how often each channel is that fast at all,
so a pair that is fast together stands out, and a channel that is fast with everyone does not.
Forwards use the same test on directed counts: of N forwards, K come from A and n were made by B.

Every pair of active channels is a test, so p-values are filtered with the Benjamini–Hochberg false
discovery rate at `alpha` over all possible pairs (pairs that shared nothing count as tests with p = 1),
and an edge also needs at least `min_count` shared items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_CHUNK = 4_000_000  # pmf terms evaluated at once, to keep memory flat for large counts
_PAIR_KEY = np.int64(1) << 31


@dataclass
class ScoredEdges:
    source: np.ndarray
    target: np.ndarray
    count: np.ndarray
    weight: np.ndarray
    expected: np.ndarray
    p_value: np.ndarray
    significant: np.ndarray


def hypergeom_sf(observed, population, successes, draws) -> np.ndarray:
    """P(X ≥ observed) for X ~ Hypergeometric(population, successes, draws), element-wise.

    Sums the probability mass exactly in log space, on whichever side of the mode is the tail, so tiny
    p-values keep their precision and large ones cost few terms."""
    x, big_n, k, n = np.broadcast_arrays(*(np.asarray(value, dtype=np.int64) for value in (observed, population, successes, draws)))
    shape = x.shape
    x, big_n, k, n = (value.ravel() for value in (x, big_n, k, n))
    low, high = np.maximum(0, n + k - big_n), np.minimum(k, n)
    mode = (n + 1) * (k + 1) // (big_n + 2)
    upper = x > mode
    first = np.where(upper, np.maximum(x, low), low)  # upper: sum x..high; lower: 1 − sum low..x−1
    last = np.where(upper, high, np.minimum(x - 1, high))
    terms = np.maximum(last - first + 1, 0)
    log_fact = np.r_[0.0, np.cumsum(np.log(np.arange(1, int(big_n.max(initial=0)) + 1)))]
    mass = np.zeros(x.size)
    for chunk in _chunks(terms):
        lengths = terms[chunk]
        owner = np.repeat(chunk, lengths)
        k_values = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths) + first[owner]
        mass[chunk] = np.bincount(
            owner - chunk[0], weights=np.exp(_log_pmf(log_fact, k_values, big_n[owner], k[owner], n[owner])), minlength=chunk.size
        )
    p = np.where(upper, mass, 1.0 - mass)
    return np.clip(p, 0.0, 1.0).reshape(shape)


def _log_pmf(log_fact, j, big_n, k, n):
    def log_choose(a, b):
        return log_fact[a] - log_fact[b] - log_fact[a - b]

    return log_choose(k, j) + log_choose(big_n - k, n - j) - log_choose(big_n, n)


def _chunks(terms: np.ndarray):
    """Consecutive index ranges whose terms add up to about _CHUNK (a single large one stands alone)."""
    start, total = 0, 0
    for index, size in enumerate(terms.tolist()):
        if total and total + size > _CHUNK:
            yield np.arange(start, index)
            start, total = index, 0
        total += size
    if start < terms.size:
        yield np.arange(start, terms.size)


def benjamini_hochberg(p_values: np.ndarray, tests: int, alpha: float) -> np.ndarray:
    """Which p-values pass the false discovery rate `alpha` among `tests` tests (≥ len(p_values))."""
    order = np.argsort(p_values, kind="stable")
    thresholds = alpha * np.arange(1, p_values.size + 1) / max(tests, p_values.size, 1)
    passed = np.flatnonzero(p_values[order] <= thresholds)
    significant = np.zeros(p_values.size, dtype=bool)
    if passed.size:
        significant[order[: passed[-1] + 1]] = True
    return significant


def score_shared(source, target, count, weight, items_of: dict, items: int, alpha: float, min_count: int) -> ScoredEdges:
    """Directed co-occurrence rows, tested per unordered pair (A→B and B→A together): sharing is mutual,
    only the order differs."""
    low, high = np.minimum(source, target), np.maximum(source, target)
    pair_keys, inverse = np.unique(low * _PAIR_KEY + high, return_inverse=True)
    pair_count = np.bincount(inverse, weights=count, minlength=pair_keys.size).astype(np.int64)
    k, n = _lookup(items_of, pair_keys // _PAIR_KEY), _lookup(items_of, pair_keys % _PAIR_KEY)
    active = sum(1 for shared in items_of.values() if shared)
    return _score(source, target, count, weight, inverse, pair_count, k, n, items, active * (active - 1) // 2, alpha, min_count)


def score_directed(source, target, count, out_of: dict, in_of: dict, total: int, alpha: float, min_count: int) -> ScoredEdges:
    """Directed counts (forwards) tested per direction: K = the source's outgoing, n = the target's incoming."""
    k, n = _lookup(out_of, source), _lookup(in_of, target)
    active = len(set(out_of) | set(in_of))
    index = np.arange(np.size(source))
    return _score(source, target, count, count.astype(float), index, count, k, n, total, active * (active - 1), alpha, min_count)


def _score(source, target, count, weight, pair_of, pair_count, k, n, population, tests, alpha, min_count) -> ScoredEdges:
    p_pair = hypergeom_sf(pair_count, population, k, n) if pair_count.size else np.zeros(0)
    expected_pair = k * n / population if population else np.zeros(pair_count.size)
    significant_pair = benjamini_hochberg(p_pair, tests, alpha) & (pair_count >= min_count)
    return ScoredEdges(
        np.asarray(source), np.asarray(target), np.asarray(count), np.asarray(weight, dtype=float),
        np.asarray(expected_pair, dtype=float)[pair_of], p_pair[pair_of], significant_pair[pair_of],
    )


def _lookup(values: dict, keys) -> np.ndarray:
    return np.array([values.get(int(key), 0) for key in np.asarray(keys).tolist()], dtype=np.int64)
