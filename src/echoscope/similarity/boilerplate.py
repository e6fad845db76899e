"""Per-channel boilerplate: word n-grams that recur across a large share of one channel's posts.

House footers ("تابعونا على …", "Подписаться | Наш канал"), signatures and fixed hashtags would make two
unrelated posts of channels that share them look alike, and hide a real echo under a different footer.
An n-gram that occurs in at least `share` of a channel's posts (a channel with at least `min_posts`)
is boilerplate of that channel; its tokens are masked before shingling and exact keys, so matching only
ever sees what the post itself says.

Every text is framed by `words - 1` edge tokens on each side before n-grams are taken, so a footer shorter
than an n-gram ("#أصحاب_الكهف", two tokens) still forms an n-gram that recurs: (أصحاب, الكهف, ⟨end⟩).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echoscope.similarity.tokens import Tokens, hash_tokens, ngrams

_CHANNEL = np.uint64(0xD6E8FEB86659FD93)
_BITMAP_SIZE = 1 << 22
START, END = "⟨start⟩", "⟨end⟩"  # tokens normalised text never holds (its tokens are letters, digits, marks)
_EDGES = hash_tokens([f"{START} {END}"]).hashes


def with_edges(texts: list[str], words: int) -> list[str]:
    """Each text framed by `words - 1` edge tokens on both sides (see the module docstring)."""
    start, end = [START] * (words - 1), [END] * (words - 1)
    return [" ".join([*start, *([text] if text else []), *end]) for text in texts]


def inner(tokens: Tokens) -> np.ndarray:
    """True for every token of the texts themselves, False for the edge tokens framing them."""
    return ~np.isin(tokens.hashes, _EDGES)


@dataclass(frozen=True)
class Phrase:
    """One learnt boilerplate phrase of a channel, as the analyst will see it."""

    channel: int
    text: str  # its tokens in search form; every n-gram in it is ignored for matching
    posts: int
    share: float


def _keyed(ngram_hashes: np.ndarray, channels: np.ndarray) -> np.ndarray:
    """One key per (channel, n-gram); n-gram hashes are mixed already, so a xor keeps them uniform."""
    return ngram_hashes ^ (channels.astype(np.uint64) * _CHANNEL)


def learn(texts: list[str], channels: np.ndarray, words: int, share: float, min_posts: int) -> list[Phrase]:
    """The boilerplate of every channel in this sample of posts (`channels[i]` is text i's channel)."""
    texts = with_edges(texts, words)
    tokens = hash_tokens(texts)
    hashes, complete = ngrams(tokens, words)
    where = np.flatnonzero(complete)
    post, gram = tokens.post[where], hashes[where]
    order = np.lexsort((gram, post))
    post, gram, where = post[order], gram[order], where[order]
    first_in_post = np.ones(post.size, dtype=bool)
    first_in_post[1:] = (post[1:] != post[:-1]) | (gram[1:] != gram[:-1])
    post, gram, where = post[first_in_post], gram[first_in_post], where[first_in_post]
    channel = channels[post]
    order = np.lexsort((gram, channel))
    channel, gram, where, post = channel[order], gram[order], where[order], post[order]
    if not channel.size:
        return []
    run_start = np.ones(channel.size, dtype=bool)
    run_start[1:] = (channel[1:] != channel[:-1]) | (gram[1:] != gram[:-1])
    starts = np.flatnonzero(run_start)
    counts = np.diff(np.append(starts, channel.size))
    channel_ids, channel_posts = np.unique(channels, return_counts=True)
    posts_of = channel_posts[np.searchsorted(channel_ids, channel[starts])]
    shares = counts / posts_of
    learnt = np.flatnonzero((posts_of >= min_posts) & (shares >= share))
    found = {(int(channel[starts[run]]), int(gram[starts[run]])): (int(counts[run]), float(shares[run]), int(post[starts[run]])) for run in learnt.tolist()}
    return _phrases(texts, tokens, hashes, complete, words, found)


def _phrases(texts: list[str], tokens: Tokens, hashes: np.ndarray, complete: np.ndarray, words: int, found: dict) -> list[Phrase]:
    """Learnt n-grams joined into the phrases they come from, as a reader will recognise them: the
    runs of boilerplate words in a post that carries them ("تابعونا على قناتنا في تلغرام …" rather
    than its eight word triples). A phrase counts the posts and share of its least common n-gram."""
    phrases, covered = [], set()
    token_starts = tokens.starts()
    for (channel, gram), (_, _, text_index) in sorted(found.items(), key=lambda item: -item[1][1]):  # per learnt n-gram
        if (channel, gram) in covered:
            continue
        first, count = int(token_starts[text_index]), int(tokens.count[text_index])
        grams = hashes[first : first + count].tolist()
        learnt_at = [i for i in range(count) if complete[first + i] and (channel, grams[i]) in found]
        in_phrase = np.zeros(count + 1, dtype=bool)
        for offset in range(words):
            in_phrase[np.array(learnt_at, dtype=np.int64) + offset] = True
        bounds = np.flatnonzero(np.diff(in_phrase.astype(np.int8), prepend=np.int8(0)))
        words_of = texts[text_index].split(" ")
        for begin, end in zip(bounds[0::2].tolist(), bounds[1::2].tolist()):
            inside = [(channel, grams[i]) for i in learnt_at if begin <= i < end]
            covered.update(inside)
            least = min((found[key] for key in inside), key=lambda stats: stats[0])
            phrases.append(Phrase(channel, " ".join(words_of[begin:end]), least[0], least[1]))
    return phrases


class Boilerplate:
    """The learnt n-grams of every channel, ready to mask tokens of any batch."""

    def __init__(self, phrases: list[Phrase], words: int):
        self.words = words
        if phrases:
            phrase_tokens = hash_tokens([phrase.text for phrase in phrases])
            hashes, complete = ngrams(phrase_tokens, words)  # every n-gram of a phrase is boilerplate
            channels = np.array([phrase.channel for phrase in phrases], dtype=np.int64)[phrase_tokens.post]
            self._keys = np.unique(_keyed(hashes[complete], channels[complete]))
        else:
            self._keys = np.zeros(0, dtype=np.uint64)
        # a bitmap of the keys' low bits: most tokens are ruled out by one lookup, not a binary search
        self._bitmap = np.zeros(_BITMAP_SIZE, dtype=bool)
        self._bitmap[(self._keys & np.uint64(_BITMAP_SIZE - 1)).astype(np.int64)] = True

    def mask(self, tokens: Tokens, channels: np.ndarray) -> np.ndarray:
        """True for every token that is not covered by a boilerplate n-gram of its text's channel
        (`tokens` of texts framed `with_edges`)."""
        kept = np.ones(tokens.hashes.size, dtype=bool)
        if not self._keys.size or not tokens.hashes.size:
            return kept
        hashes, complete = ngrams(tokens, self.words)
        keys = _keyed(hashes, channels[tokens.post])
        maybe = np.flatnonzero(complete & self._bitmap[(keys & np.uint64(_BITMAP_SIZE - 1)).astype(np.int64)])
        found = np.searchsorted(self._keys, keys[maybe]).clip(max=self._keys.size - 1)
        starts = maybe[self._keys[found] == keys[maybe]]
        for offset in range(self.words):
            kept[starts + offset] = False
        return kept
