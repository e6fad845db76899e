"""A labelled evaluation corpus for echo clusters: Arabic, Persian and Russian posts where every echo
is known, with every edit channels make and the hard negatives that fool naive matching.

    posts = generate(20_000, seed=7)      # Post rows with .story: posts of one story are echoes

Echo edits: verbatim, diacritics dropped, a prefix ("عاجل |", "فوری |", "Срочно |"), the echoing
channel's signature line, hashtags, emoji, truncation with "…", quote with a paragraph of commentary
(before or after), and forwards. Every channel appends its own house footer to most posts; some
channels share one network footer. Hard negatives: posts of one template with different bodies,
one-liners and greetings posted by many channels, short bodies under a shared footer.
Pairwise truth: two posts of different channels are an echo pair iff they carry the same story.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

LANGUAGES = {
    "ar": ("ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "َُِّْ"),
    "fa": ("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی", ""),
    "ru": ("абвгдежзийклмнопрстуфхцчшщыьэюя", ""),
}
PREFIXES = {"ar": ["عاجل |", "🔴 عاجل:", "خبر عاجل -"], "fa": ["فوری |", "🔴 فوری:"], "ru": ["Срочно |", "⚡️ СРОЧНО:", "Молния!"]}
FOOTERS = {
    "ar": "تابعونا على قناتنا في تلغرام للمزيد من الأخبار العاجلة والحصرية",
    "fa": "ما را در کانال تلگرام دنبال کنید برای اخبار فوری و اختصاصی",
    "ru": "Подписывайтесь на наш канал чтобы первыми узнавать главные новости дня",
}
ONE_LINERS = {
    "ar": ["صباح الخير", "عاجل", "للمتابعة", "انتظرونا", "بسم الله الرحمن الرحيم", "تفاصيل بعد قليل"],
    "fa": ["صبح بخیر", "فوری", "ادامه دارد", "به زودی"],
    "ru": ["Доброе утро", "Срочно", "Подробности позже", "Следите за новостями", "Спокойной ночи друзья"],
}
TEMPLATES = {
    "ar": "بيان صادر عن المقاومة الإسلامية في العراق بشأن عملية اليوم",
    "fa": "اطلاعیه رسمی ستاد کل نیروهای مسلح درباره عملیات امروز",
    "ru": "Сводка министерства обороны о ходе специальной военной операции за сутки",
}
EMOJI = ["🔥", "⚡️", "🇷🇺", "🇮🇶", "🇮🇷", "‼️", "💥", "✅"]
WORDS_PER_LANGUAGE = 20_000
DAY = 86_400


@dataclass
class Post:
    channel: int
    language: str
    date: int  # seconds from the corpus start
    text: str
    story: int  # posts with the same story are echoes of each other; unique negatives get their own
    forward_of: int = -1  # index of the forwarded post


class Corpus:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.words = {lang: self._vocabulary(letters) for lang, (letters, _) in LANGUAGES.items()}
        weights = 1.0 / np.arange(1, WORDS_PER_LANGUAGE + 1) ** 1.05
        self.zipf = np.cumsum(weights / weights.sum())  # Zipf-distributed words, drawn by inverse CDF

    def _vocabulary(self, letters: str) -> np.ndarray:
        ends = np.cumsum(self.rng.integers(2, 9, WORDS_PER_LANGUAGE))
        letters_drawn = "".join(np.array(list(letters))[self.rng.integers(len(letters), size=int(ends[-1]))].tolist())
        return np.array([letters_drawn[start:end] for start, end in zip(np.r_[0, ends[:-1]].tolist(), ends.tolist())])

    def sentence(self, lang: str, words: int) -> str:
        drawn = np.searchsorted(self.zipf, self.rng.random(words)).clip(max=WORDS_PER_LANGUAGE - 1)
        return " ".join(self.words[lang][drawn].tolist())

    def with_diacritics(self, lang: str, text: str) -> str:
        marks = LANGUAGES[lang][1]
        if not marks:
            return text
        chars = np.array(list(text), dtype=object)
        marked = (self.rng.random(chars.size) < 0.3) & (chars != " ")
        chars[marked] += np.array(list(marks), dtype=object)[self.rng.integers(len(marks), size=int(marked.sum()))]
        return "".join(chars.tolist())


def _channels(corpus: Corpus, count: int) -> list[dict]:
    channels = []
    for number in range(count):
        lang = ["ar", "fa", "ru"][number % 3]
        network = number % 9 < 3  # a third of the channels share their language's network footer
        footer = FOOTERS[lang] if network else f"{corpus.sentence(lang, 6)} @channel{number}"
        channels.append({
            "lang": lang,
            "footer": footer,
            "signature": f"✍️ {corpus.sentence(lang, 2)} @channel{number}",
            "hashtags": " ".join(f"#{word}" for word in corpus.sentence(lang, 2).split()),
        })
    return channels


def _echo(corpus: Corpus, text: str, lang: str, channel: dict) -> str:
    """One echo of `text` with one or two of the edits channels make."""
    rng = corpus.rng
    edit = rng.choice(["verbatim", "diacritics", "prefix", "signature", "hashtags", "emoji", "truncate", "quote", "mixed"])
    if edit == "diacritics":
        return "".join(char for char in text if char not in LANGUAGES[lang][1])
    if edit == "prefix":
        return f"{rng.choice(PREFIXES[lang])} {text}"
    if edit == "signature":
        return f"{text}\n\n{channel['signature']}"
    if edit == "hashtags":
        return f"{text}\n{channel['hashtags']}"
    if edit == "emoji":
        return f"{rng.choice(EMOJI)}{rng.choice(EMOJI)} {text} {rng.choice(EMOJI)}"
    if edit == "truncate":
        words = text.split()
        return " ".join(words[: max(6, int(len(words) * rng.uniform(0.6, 0.85)))]) + "…"
    if edit == "quote":
        comment = corpus.sentence(lang, int(rng.integers(8, 20)))
        return f"{comment}:\n«{text}»" if rng.random() < 0.5 else f"{text}\n\n{comment}"
    if edit == "mixed":
        return f"{rng.choice(PREFIXES[lang])} {text} {rng.choice(EMOJI)}\n{channel['hashtags']}"
    return text


def generate(posts: int, seed: int = 7) -> list[Post]:
    corpus = Corpus(seed)
    rng = corpus.rng
    channels = _channels(corpus, max(9, posts // 60))
    by_lang = {lang: [i for i, c in enumerate(channels) if c["lang"] == lang] for lang in LANGUAGES}
    out: list[Post] = []
    story = 0

    def add(channel: int, date: int, body: str, story_id: int, forward_of: int = -1, footer: bool = True) -> int:
        text = body
        if footer and forward_of < 0 and rng.random() < 0.9:
            text = f"{body}\n\n{channels[channel]['footer']}"
        out.append(Post(channel, channels[channel]["lang"], date, text, story_id, forward_of))
        return len(out) - 1

    span = 30 * DAY
    while len(out) < posts:
        roll = rng.random()
        origin_channel = int(rng.integers(len(channels)))
        lang = channels[origin_channel]["lang"]
        start = int(rng.integers(span))
        if roll < 0.55:  # a story and its echoes
            text = corpus.with_diacritics(lang, corpus.sentence(lang, int(rng.integers(12, 70))))
            origin = add(origin_channel, start, text, story)
            echoers = rng.choice(by_lang[lang], min(len(by_lang[lang]), int(rng.integers(1, 6))), replace=False)
            for echoer in echoers.tolist():
                if echoer == origin_channel:
                    continue
                lag = int(rng.exponential(3600)) + 30
                if rng.random() < 0.12:
                    out.append(Post(echoer, lang, start + lag, out[origin].text, story, forward_of=origin))
                else:
                    add(echoer, start + lag, _echo(corpus, text, lang, channels[echoer]), story)
        elif roll < 0.70:  # template posts: same opening, different bodies
            add(origin_channel, start, f"{TEMPLATES[lang]}: {corpus.sentence(lang, int(rng.integers(10, 30)))}", story)
        elif roll < 0.80:  # one-liners and greetings, everywhere, never an echo
            add(origin_channel, start, str(rng.choice(ONE_LINERS[lang])), story, footer=False)
        elif roll < 0.90:  # short bodies under the shared network footer
            add(origin_channel, start, corpus.sentence(lang, int(rng.integers(3, 10))), story)
        else:  # a unique ordinary post
            add(origin_channel, start, corpus.sentence(lang, int(rng.integers(10, 60))), story)
        story += 1
    return out[:posts]


def pairwise(predicted: np.ndarray, truth: np.ndarray, channel: np.ndarray) -> tuple[float, float]:
    """Pairwise precision and recall over pairs of posts from different channels.

    `predicted` is a cluster label per post (a post alone has a label of its own)."""

    def cross_pairs(*labels: np.ndarray) -> int:
        _, group = np.unique(np.stack(labels), axis=1, return_inverse=True)
        _, per_channel = np.unique(np.stack((group, channel)), axis=1, return_inverse=True)
        sizes = np.bincount(group).astype(np.int64)
        channel_sizes = np.bincount(per_channel).astype(np.int64)
        return int((np.sum(sizes**2) - np.sum(channel_sizes**2)) // 2)

    found, true, both = cross_pairs(predicted), cross_pairs(truth), cross_pairs(predicted, truth)
    return (both / found if found else 1.0), (both / true if true else 1.0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    for post in generate(parser.parse_args().posts, parser.parse_args().seed):
        print(post)
