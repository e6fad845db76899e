"""Token hashes, word shingles and exact keys for a batch of search-form texts, all at once.

The texts are `posts.text_norm` (text/normalize.py): tokens joined by single spaces. A batch is joined
into one UTF-8 buffer and every token is hashed with one polynomial over its bytes (read off a prefix
sum of the whole buffer), then mixed with SplitMix64's finaliser: the hash is stable across runs and
machines (stored signatures stay valid) and no Python code runs per token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_SPACE, _NEWLINE = 0x20, 0x0A
_BASE = np.uint64(0x100000001B3)  # FNV's 64-bit prime: odd, so every byte position weighs differently
_PAIR = np.uint64(0x9E3779B97F4A7C15)


def mix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every input bit reaches every output bit (uint64 → uint64)."""
    x = values.astype(np.uint64, copy=True)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


@dataclass(frozen=True)
class Tokens:
    """The tokens of a batch: `hashes[i]` belongs to text `post[i]`; texts' tokens are contiguous, in order."""

    hashes: np.ndarray  # uint64
    post: np.ndarray  # int64, non-decreasing
    count: np.ndarray  # tokens per text

    def starts(self) -> np.ndarray:
        return np.concatenate(([0], np.cumsum(self.count)[:-1])).astype(np.int64)


_INVERSE = np.uint64(pow(int(_BASE), -1, 2**64))
_powers = np.ones(1, dtype=np.uint64)  # _BASE**k and its inverse, grown on demand and kept
_inverse_powers = np.ones(1, dtype=np.uint64)


def _powers_upto(size: int) -> tuple[np.ndarray, np.ndarray]:
    """BASEᵏ and BASE⁻ᵏ for k < at least `size` (every batch would otherwise recompute them)."""
    global _powers, _inverse_powers
    if _powers.size < size:
        size = max(size, 2 * _powers.size)
        _powers = np.cumprod(np.r_[np.uint64(1), np.full(size - 1, _BASE, dtype=np.uint64)], dtype=np.uint64)
        _inverse_powers = np.cumprod(np.r_[np.uint64(1), np.full(size - 1, _INVERSE, dtype=np.uint64)], dtype=np.uint64)
    return _powers[:size], _inverse_powers[:size]


def hash_tokens(texts: list[str]) -> Tokens:
    """Hash every token of every text (texts are space-separated tokens without newlines).

    One prefix sum of byte·BASEᵏ over the whole batch (arithmetic mod 2⁶⁴) gives every token's
    polynomial as a difference of two prefixes, shifted back to its own start by BASE⁻ˢᵗᵃʳᵗ: the hash
    of a token does not depend on where it sits."""
    data = np.frombuffer(("\n".join(texts) + "\n" if texts else "").encode("utf-8"), dtype=np.uint8)
    separator = (data == _SPACE) | (data == _NEWLINE)
    edges = np.flatnonzero(np.diff(separator.view(np.int8), prepend=np.int8(1)))
    starts, ends = edges[0::2], edges[1::2]  # tokens are the runs between separators
    powers, inverse = _powers_upto(data.size + 1)
    prefix = np.zeros(data.size + 1, dtype=np.uint64)
    np.cumsum(data * powers[: data.size], out=prefix[1:])
    polynomial = (prefix[ends] - prefix[starts]) * inverse[starts]
    hashes = mix64(polynomial + (ends - starts).astype(np.uint64))
    # tokens before each text's closing newline, counted with one search per text rather than per token
    before = np.searchsorted(starts, np.flatnonzero(data == _NEWLINE))
    count = np.diff(before, prepend=0).astype(np.int64)
    return Tokens(hashes, np.repeat(np.arange(len(texts), dtype=np.int64), count), count)


def keep(tokens: Tokens, mask: np.ndarray) -> Tokens:
    """Only the tokens where `mask` is true (e.g. everything but a channel's boilerplate)."""
    post = tokens.post[mask]
    return Tokens(tokens.hashes[mask], post, np.bincount(post, minlength=tokens.count.size).astype(np.int64))


def ngrams(tokens: Tokens, words: int) -> tuple[np.ndarray, np.ndarray]:
    """The hash of the run of `words` tokens starting at each token, and whether that run stays within
    its text (the last `words - 1` tokens of a text start no complete run)."""
    n = tokens.hashes.size
    combined = tokens.hashes.copy()
    complete = np.ones(n, dtype=bool)
    for offset in range(1, words):
        following = np.zeros(n, dtype=np.uint64)
        following[: n - offset] = tokens.hashes[offset:]
        same = np.zeros(n, dtype=bool)
        same[: n - offset] = tokens.post[offset:] == tokens.post[: n - offset]
        combined = np.where(same, combined * _PAIR + following, combined)
        complete &= same
    return (mix64(combined) if words > 1 else combined), complete


def shingles(tokens: Tokens, words: int) -> tuple[np.ndarray, np.ndarray]:
    """(hash, post) of every run of `words` consecutive tokens of one text; a text shorter than that
    gives one shingle of all its tokens, so no text with tokens is left without a shingle."""
    combined, complete = ngrams(tokens, words)
    first = np.zeros(tokens.hashes.size, dtype=bool)
    first[tokens.starts()[tokens.count > 0]] = True
    # a short text's first token has folded in all of its tokens: that is its one shingle
    chosen = complete | (first & (tokens.count[tokens.post] < words))
    return combined[chosen], tokens.post[chosen]


def sequence_keys(tokens: Tokens) -> np.ndarray:
    """One 64-bit key per text from its whole token sequence: equal keys ⇔ equal token sequences
    (up to 2⁻⁶⁴ collisions). 0 for a text without tokens."""
    position = np.arange(tokens.hashes.size) - tokens.starts()[tokens.post]
    salted = mix64(tokens.hashes + position.astype(np.uint64) * _PAIR)
    keys = np.zeros(tokens.count.size, dtype=np.uint64)
    present = tokens.count > 0
    if salted.size:
        keys[present] = np.add.reduceat(salted, tokens.starts()[present])
    return np.where(tokens.count > 0, mix64(keys + tokens.count.astype(np.uint64)), np.uint64(0))
