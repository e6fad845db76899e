"""The clustering core: which posts of a batch are the same post, exactly or nearly.

    content = prepare(batch, boilerplate, settings)     # tokens without boilerplate, keys, signatures
    links = link_posts(batch, content, settings)         # links.roots[i] == links.roots[j] ⇔ same cluster

Posts fall into classes with their own rules, so that one-liners neither flood the clusters nor get lost:
- long posts (at least `min_tokens` tokens once boilerplate is masked): exact key, then MinHash + LSH
  candidates measured exactly; Jaccard ≥ `jaccard` is a light edit, containment ≥ `containment` a
  truncation or a quote with commentary.
- short posts (`short_min_tokens` up to `min_tokens`), pure-link posts and pure-emoji posts: exact copies
  only, and only within `short_window_seconds` of the first copy, never for a text repeated in more
  than `stock_phrase_windows` such windows: a one-line flash repeated within the hour is an echo, the
  same greeting every morning is not.
- shorter posts and posts without text: never matched by text (a forward still links them).
Only links between different channels are made: a channel reposting itself is not an echo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import regex

from echoscope.similarity import candidates, grouping, minhash
from echoscope.similarity.boilerplate import Boilerplate, inner, with_edges
from echoscope.similarity.tokens import hash_tokens, keep, sequence_keys, shingles

NONE, TINY, EMOJI, LINK, SHORT, LONG = range(6)
_PURE_LINK = regex.compile(r"\s*(?:(?:https?://|www\.|t\.me/)\S+\s*)+")
_EMOJI = regex.compile(r"\p{Extended_Pictographic}")


@dataclass(frozen=True)
class Settings:
    """Matching thresholds ([stages.echoes] in echoscope.toml); see docs/cli.md for what each means."""

    jaccard: float = 0.6
    containment: float = 0.7
    min_tokens: int = 6
    short_min_tokens: int = 3
    min_emoji: int = 3
    short_window_seconds: int = 3600
    stock_phrase_windows: int = 3
    shingle_words: int = 2
    permutations: int = 64
    bands: int = 32
    bucket_partners: int = 32
    estimate_margin: float = 0.2


@dataclass
class Batch:
    """Posts to match. Arrays are aligned with the texts; `rank` orders posts in time (lower = earlier,
    ties already broken by capture); `is_new` marks the posts whose links are wanted (pairs of two old
    posts were measured before); `cluster` is a post's stored cluster (-1 for none); `forward_of` the
    row of the post it forwards (-1 when unknown or absent)."""

    text_norm: list[str]
    text: list[str]
    channel: np.ndarray
    date: np.ndarray  # seconds since the epoch
    rank: np.ndarray
    is_new: np.ndarray | None = None
    cluster: np.ndarray | None = None
    forward_of: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.text_norm)
        self.is_new = np.ones(n, bool) if self.is_new is None else self.is_new
        self.cluster = np.full(n, -1, np.int64) if self.cluster is None else self.cluster
        self.forward_of = np.full(n, -1, np.int64) if self.forward_of is None else self.forward_of


@dataclass
class Content:
    """What matching sees of each post: its class, exact key, shingle sets and MinHash signature."""

    kind: np.ndarray
    key: np.ndarray  # uint64; equal keys of the same class are exact copies
    sets: candidates.ShingleSets
    signature: np.ndarray


def _classes(text_norm: list[str], texts: list[str], content_tokens: np.ndarray, settings: Settings) -> np.ndarray:
    kind = np.where(content_tokens >= settings.min_tokens, LONG, np.where(content_tokens >= settings.short_min_tokens, SHORT, TINY))
    kind[np.array([not norm for norm in text_norm], dtype=bool) & (kind == TINY)] = NONE
    # per post, never per token: only posts that could be a bare link or bare emoji are looked at
    for row in np.flatnonzero(kind != LONG).tolist():
        text = texts[row]
        if "/" in text and _PURE_LINK.fullmatch(text):
            kind[row] = LINK
        elif not text_norm[row] and len(_EMOJI.findall(text)) >= settings.min_emoji:
            kind[row] = EMOJI
    return kind


_CHUNK_POSTS = 20_000  # posts per pass: the byte-level arrays of a chunk stay in the tens of megabytes


def prepare(batch: Batch, boilerplate: Boilerplate, settings: Settings) -> Content:
    """Class, exact key, shingle set and signature of every post, a chunk of posts at a time."""
    starts = range(0, max(len(batch.text_norm), 1), _CHUNK_POSTS)  # an empty batch is one empty chunk
    return join([_prepare_chunk(batch, start, boilerplate, settings) for start in starts])


def join(parts: list[Content]) -> Content:
    """The content of consecutive runs of posts as one (e.g. new posts, then the stored ones they meet)."""
    return Content(
        np.concatenate([part.kind for part in parts]),
        np.concatenate([part.key for part in parts]),
        candidates.ShingleSets.concatenate([part.sets for part in parts]),
        np.concatenate([part.signature for part in parts]),
    )


def _prepare_chunk(batch: Batch, start: int, boilerplate: Boilerplate, settings: Settings) -> Content:
    permutations = minhash.permutations(settings.permutations)
    rows = slice(start, start + _CHUNK_POSTS)
    text_norm, text, channel = batch.text_norm[rows], batch.text[rows], batch.channel[rows]
    framed = hash_tokens(with_edges(text_norm, boilerplate.words))
    own = inner(framed)
    tokens, content = keep(framed, own), keep(framed, boilerplate.mask(framed, channel) & own)
    kind = _classes(text_norm, text, content.count, settings)
    key = sequence_keys(content)
    link = kind == LINK
    if link.any():
        key[link] = sequence_keys(tokens)[link]  # a link is the whole URL, boilerplate or not
    emoji = np.flatnonzero(kind == EMOJI)
    if emoji.size:
        key[emoji] = sequence_keys(hash_tokens([" ".join(_EMOJI.findall(text[row])) for row in emoji.tolist()]))
    hashes, post = shingles(content, settings.shingle_words)
    sets = candidates.ShingleSets.build(hashes, post, len(text_norm))
    long_shingles = kind[post] == LONG
    signature = minhash.signatures(hashes[long_shingles], post[long_shingles], len(text_norm), permutations)
    return Content(kind, key, sets, signature)


@dataclass
class Links:
    """The component of every post (`roots[i] == roots[j]` ⇔ same cluster) and how many links of each kind."""

    roots: np.ndarray
    counts: dict[str, int]


def _exact_groups(batch: Batch, content: Content, classes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(post, group) of posts in these classes, sorted by (class, key, rank); group numbers from 0."""
    rows = np.flatnonzero(np.isin(content.kind, classes))
    order = np.lexsort((batch.rank[rows], content.key[rows], content.kind[rows]))
    rows = rows[order]
    kind, key = content.kind[rows], content.key[rows]
    new_group = np.r_[True, (kind[1:] != kind[:-1]) | (key[1:] != key[:-1])] if rows.size else np.zeros(0, bool)
    return rows, np.cumsum(new_group) - 1


def _starts(group: np.ndarray) -> np.ndarray:
    """Where each run of equal group numbers begins (none for no rows)."""
    return np.flatnonzero(np.diff(group, prepend=-1))


def _heads(rows: np.ndarray, group: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """For each post, the earliest post of its group from another channel than the group's first post
    when it shares that first post's channel, else the group's first post (-1: no partner)."""
    starts = _starts(group)
    first = rows[starts][group]
    position = np.arange(rows.size)
    elsewhere = np.where(channel[rows] != channel[first], position, rows.size)
    if not rows.size:
        return rows
    second_pos = np.minimum.reduceat(elsewhere, starts)[group]
    second = np.where(second_pos < rows.size, rows[np.minimum(second_pos, rows.size - 1)], -1)
    return np.where(channel[rows] != channel[first], first, second)


def _long_exact_links(batch: Batch, content: Content) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact links among long posts, plus each long post's representative (its group's first post)."""
    rows, group = _exact_groups(batch, content, (LONG,))
    partner = _heads(rows, group, batch.channel)
    linked = partner >= 0
    representative = np.arange(len(batch.text_norm))
    starts = _starts(group)
    representative[rows] = rows[starts][group]
    return rows[linked], partner[linked], representative, rows[starts]


def _short_exact_links(batch: Batch, content: Content, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Exact links among short, link and emoji posts, only within `short_window_seconds` of the copy that
    opens the window (a later copy opens a new one). A text repeated in more than `stock_phrase_windows`
    windows is a stock phrase ("Доброе утро", "بسم الله الرحمن الرحيم"), never evidence of an echo."""
    rows, group = _exact_groups(batch, content, (SHORT, LINK, EMOJI))
    a, b = [], []
    starts = _starts(group)
    sizes = np.diff(np.r_[starts, rows.size])
    for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist()):  # per repeated text
        members = rows[start : start + size]
        members = members[np.argsort(batch.date[members], kind="stable")]
        opener, windows, found = members[0], 1, []
        for member in members[1:].tolist():
            if batch.date[member] - batch.date[opener] > settings.short_window_seconds:
                opener, windows = member, windows + 1
            elif batch.channel[member] != batch.channel[opener]:
                found.append((member, opener))
        if found and windows <= settings.stock_phrase_windows:
            a += [pair[0] for pair in found]
            b += [pair[1] for pair in found]
    return np.array(a, np.int64), np.array(b, np.int64)


def lsh_pairs(content: Content, representatives: np.ndarray, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs: representatives that share an LSH band of their MinHash signatures."""
    keys = minhash.band_keys(content.signature, settings.bands)
    return candidates.band_pairs(keys, representatives, settings.bucket_partners)


def _near_links(batch: Batch, content: Content, representatives: np.ndarray, settings: Settings, finder):
    """Near links between the representatives of exact groups of long posts, measured exactly."""
    a, b = finder(content, representatives, settings)
    same_channel = batch.channel[a] == batch.channel[b]
    both_old = ~batch.is_new[a] & ~batch.is_new[b]
    a, b = a[~same_channel & ~both_old], b[~same_channel & ~both_old]
    est_j, est_c = candidates.estimated_overlap(content.signature, content.sets.sizes, a, b)
    likely = (est_j >= settings.jaccard - settings.estimate_margin) | (est_c >= settings.containment - settings.estimate_margin)
    a, b = a[likely], b[likely]
    jaccard, containment = candidates.overlap(content.sets, a, b)
    near = jaccard >= settings.jaccard
    contained = ~near & (containment >= settings.containment)
    return (a[near], b[near]), (a[contained], b[contained], containment[contained])


def link_posts(batch: Batch, content: Content, settings: Settings, finder=lsh_pairs) -> Links:
    """Link and group the posts; `finder` proposes candidate pairs (the benchmark swaps in datasketch)."""
    n = len(batch.text_norm)
    exact_a, exact_b, representative, heads = _long_exact_links(batch, content)
    short_a, short_b = _short_exact_links(batch, content, settings)
    # a representative speaks for its exact group: new if any copy is new, and of no single channel
    # (so never dropped as a same-channel pair) when its copies come from several channels
    group_new = np.zeros(n, bool)
    np.logical_or.at(group_new, representative, batch.is_new)
    lowest, highest = batch.channel.copy(), batch.channel.copy()
    np.minimum.at(lowest, representative, batch.channel)
    np.maximum.at(highest, representative, batch.channel)
    group_channel = np.where(lowest == highest, batch.channel, -2 - np.arange(n))
    rep_batch = Batch(batch.text_norm, batch.text, group_channel, batch.date, batch.rank, group_new)
    (near_a, near_b), (cont_a, cont_b, cont_score) = _near_links(rep_batch, content, heads, settings, finder)
    forward = np.flatnonzero(batch.forward_of >= 0)
    forward = forward[batch.channel[forward] != batch.channel[batch.forward_of[forward]]]
    stored = np.flatnonzero(batch.cluster >= 0)
    stored_first = {}
    for row, cluster in zip(stored.tolist(), batch.cluster[stored].tolist()):  # one step per stored member
        stored_first.setdefault(cluster, row)
    stored_b = np.array([stored_first[c] for c in batch.cluster[stored].tolist()], np.int64)
    loose_a = np.concatenate((near_a, forward, stored))
    loose_b = np.concatenate((near_b, batch.forward_of[forward], stored_b))
    # an exact group counts as one post when deciding who may attach: identical truncations by three
    # channels still attach to their origin as one
    units = grouping.union_find(n, loose_a, loose_b)
    attach_a, attach_b = grouping.attachments(units, batch.rank, cont_a, cont_b, cont_score)
    roots = grouping.union_find(
        n, np.concatenate((exact_a, short_a, loose_a, attach_a)), np.concatenate((exact_b, short_b, loose_b, attach_b))
    )
    counts = {"exact links": exact_a.size + short_a.size, "near links": near_a.size, "containment links": attach_a.size, "forward links": forward.size}
    return Links(roots, counts)
