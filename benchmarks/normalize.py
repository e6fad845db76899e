"""Text normalisation per post: `normalize` in a loop against `normalize_many` on batches, same posts, same run.

    python benchmarks/normalize.py --posts 50000

The posts are synthetic ~300-character Telegram posts, a third each Arabic, Persian and Russian, written
the way the monitored channels write: headline markers, hashtags, mentions, links, emoji, line breaks,
native digits, Persian half-spaces, the odd vowel sign, tatweel or ё, and now and then a Russian stress
mark (a combining accent, which makes NFKC do real work on that post in both contenders).
Each contender runs `--repeat` times over all posts and keeps its best time; the outputs must be equal.
The figures go to stdout and into docs/benchmarks.md between the `normalize` markers.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy
from _figures import machine, write_block

from echoscope.text.normalize import normalize, normalize_many

BATCHES = (5000, 1000)  # the batch size of the comparison, and the run length ingest uses
POST_LENGTH = 300

ARABIC = (
    "صلواتكم لجيش روسيا العظيمة وهو يقاتل الآن التحالف الأمريكي للشر ويصد الهجوم المضاد المدعوم من حلف "
    "الناتو المقاومة الإسلامية في العراق بيان عاجل القصف القوات الأمريكية قاعدة عين الأسد الحشد الشعبي "
    "بوتين زيلينسكي فاغنر الكرملين موسكو بغداد طهران الجيش الروسي الغرب العقوبات الطائرات المسيرة إسرائيل "
    "على إلى التي هذه مسؤول رئيس الوزراء اليوم ٢٠٢٤ ١٥ المقاومة"
).split()
ARABIC_RARE = ["الله\u0651", "الـــنـــاتـــو", "مُحَمَّد", "الْحَشْد"]  # shadda, tatweel, vowel signs
PERSIAN = (
    "ایران آمریکا اسرائیل سپاه پاسداران نیروهای مقاومت رهبر انقلاب کشور جمهوری اسلامی خبرگزاری "
    "می\u200cخواهند می\u200cشود آن\u200cها حمله\u200cهای منطقه سوریه عراق لبنان روسیه اوکراین ناتو "
    "۱۴۰۳ ۲۵ پهپاد موشک خانۀ دولت"
).split()
RUSSIAN = (
    "Россия НАТО ЗСУ Украина Путин Зеленский армия удар Вагнер Кремль Москва Киев Донбасс фронт "
    "ещё всё её провёл объявил заявил министр обороны США Ирак Иран беспилотник ракета ПВО сбита "
    "сегодня вчера 2024 15 Запад санкции"
).split()
RUSSIAN_RARE = ["замо\u0301к", "Ёлка", "гото\u0301вы"]  # a stress mark (combining acute), a capital Ё
EXTRAS = ["🇷🇺", "🔥", "❤️", "👍🏽", "|", "،", ":", "—", "«", "»", "\n", "\n\n", "!", "...", "(", ")"]
TAILS = ["#الناتو", "#عاجل", "@sabereen_news", "https://t.me/sabereenS1/12345", "#خبر_فوری", "@rybar", "#СВО"]


def make_post(rng: random.Random) -> str:
    vocabulary, rare = rng.choice([(ARABIC, ARABIC_RARE), (PERSIAN, []), (RUSSIAN, RUSSIAN_RARE)])
    words = [rng.choice(["عاجل |", "⚡️", "🔴", ""])]
    length = 0
    while length < POST_LENGTH:
        draw = rng.random()
        if draw < 0.1:
            word = rng.choice(EXTRAS)
        elif draw < 0.115 and rare:
            word = rng.choice(rare)
        elif draw < 0.14:
            word = rng.choice(TAILS)
        else:
            word = rng.choice(vocabulary)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:POST_LENGTH]


def best_of(repeat: int, job) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        job()
        best = min(best, time.perf_counter() - started)
    return best


def write_doc(posts: int, repeat: int, results: dict[str, float]) -> str:
    loop = results["normalize (loop)"]
    lines = [
        f"Search form of {posts:,} synthetic Arabic / Persian / Russian posts of {POST_LENGTH} characters, "
        f"best of {repeat} (`python benchmarks/normalize.py --posts {posts}`; {machine()}, NumPy {numpy.__version__}).",
        "",
        "| contender | µs per post | posts/s | speed-up |",
        "|---|---:|---:|---:|",
    ]
    for name, seconds in results.items():
        lines.append(f"| {name} | {seconds / posts * 1e6:.1f} | {posts / seconds:,.0f} | {loop / seconds:.2f}× |")
    return write_block("normalize", "Normalisation", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=50_000, help="number of synthetic posts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender; the best counts")
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    rng = random.Random(7)
    posts = [make_post(rng) for _ in range(args.posts)]
    normalize_many(posts[:1])  # builds the lookup table once, outside the timing
    expected = [normalize(post) for post in posts]
    results = {"normalize (loop)": best_of(args.repeat, lambda: [normalize(post) for post in posts])}
    for size in BATCHES:
        batches = [posts[start : start + size] for start in range(0, len(posts), size)]
        if [text for batch in batches for text in normalize_many(batch)] != expected:
            raise SystemExit("normalize_many disagrees with normalize on the benchmark posts")
        results[f"normalize_many (batches of {size:,})"] = best_of(
            args.repeat, lambda batches=batches: [normalize_many(batch) for batch in batches]
        )
    loop = results["normalize (loop)"]
    for name, seconds in results.items():
        print(f"{name:34} {seconds / args.posts * 1e6:>7.2f} µs/post {args.posts / seconds:>11,.0f} posts/s "
              f"{loop / seconds:>6.2f}×")
    if not args.no_doc:
        write_doc(args.posts, args.repeat, results)


if __name__ == "__main__":
    main()
