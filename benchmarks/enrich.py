"""The enrich pass without translation (lang + mentions + symbols + narratives), and the quality of
mentions and symbol pairings on the labelled multilingual set.

    python benchmarks/enrich.py --posts 100000            # what docs/benchmarks.md reports
    python benchmarks/enrich.py --posts 100000 --corpus demo   # the bundled example's posts, resampled
    python benchmarks/enrich.py --posts 5000 --no-store   # a quick look while developing

1. Quality: precision and recall of entity mentions and symbol-entity pairings on tests/data/mentions/
   and the two held-out sets (exact spans), and language accuracy on the first set: the script-guided
   lingua of the `lang` stage, the same in lingua's low-accuracy mode, and plain lingua.
2. Throughput of each step on synthetic ~300-character posts (Arabic, Persian, Russian, Ukrainian,
   English; emoji, hashtags, links, clitics, case endings) with the bundled watchlist padded to 2,000
   aliases: the Aho-Corasick matcher against the `regex` module's alternation of the same aliases,
   script-guided lingua against plain lingua, and the four stages through a SQLite store, next to the
   floor: the rows they stored, written again alone.
Figures go to stdout and into docs/benchmarks.md between the `enrich` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import regex
import yaml
from _figures import floor_store, insert_statement, machine, write_block
from normalize import ARABIC, EXTRAS, PERSIAN, RUSSIAN, TAILS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the labelled set's reader

from mentions_labelled import HELD_OUT, HELD_OUT_2, evaluate, sentences  # noqa: E402

from echoscope import config  # noqa: E402
from echoscope.ingest import ingest  # noqa: E402
from echoscope.model import TELEGRAM, Capture, Channel, Post  # noqa: E402
from echoscope.pipeline import run_stages  # noqa: E402
from echoscope.stages.narratives import occurrences, tag_narratives  # noqa: E402
from echoscope.stages.symbols import pair_symbols  # noqa: E402
from echoscope.stages.text_pass import Lexicon, PostText  # noqa: E402
from echoscope.store import Store  # noqa: E402
from echoscope.text.langid import DEFAULT_LANGUAGES, forget_answers, identify  # noqa: E402
from echoscope.text.mentions import Matcher  # noqa: E402
from echoscope.text.normalize import normalize  # noqa: E402
from echoscope.text.watchlist import Term, load  # noqa: E402

UKRAINIAN = ("Україна Зеленський Путіна Росії НАТО США Києва фронт удар армія сьогодні ракета Іран "
             "допомога Байден заява міністр оборони війська Харків Одеса").split()
ENGLISH = ("Russia NATO's Putin Zelensky Iran Iraq militia channel Telegram posted today strike drone "
           "American forces Baghdad the of and in Wagner Group Hezbollah").split()
ARABIC_CLITICS = ["والناتو", "بالناتو", "للناتو", "لبوتين", "وروسيا", "بأمريكا", "النّاتو", "الـناتو", "🏳️‍🌈"]
POST_LENGTH = 300
ROOT = Path(__file__).resolve().parent.parent
ALIASES = 2000
BASELINE_POSTS = 20_000
TARGET = 20_000  # posts/s for the whole pass, issue 4
TEXT_STAGES = ["lang", "mentions", "symbols", "narratives"]
PASS, ALONE, FLOOR = "one pass", "one stage at a time", "writes alone"
PASS_RUNS = 3  # the machine is shared: the pass is timed on three fresh stores


def make_post(rng: random.Random) -> str:
    vocabulary = rng.choice([ARABIC + ARABIC_CLITICS, PERSIAN, RUSSIAN, UKRAINIAN, ENGLISH])
    words, length = [rng.choice(["عاجل |", "⚡️", "🔴", ""])], 0
    while length < POST_LENGTH:
        draw = rng.random()
        word = rng.choice(EXTRAS) if draw < 0.1 else rng.choice(TAILS) if draw < 0.13 else rng.choice(vocabulary)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:POST_LENGTH]


def padded_watchlist(rng: random.Random):
    """The bundled watchlist plus invented entities until it has ALIASES aliases, in all five scripts."""
    watchlist = load()
    count = sum(len(spellings) for term in watchlist.terms.values() for spellings in term.aliases.values())
    letters = {"ar": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "fa": "ابپتثجچحخدرزژسشفقکگلمنوهی",
               "ru": "абвгдежзиклмнопрстуфхцчшыэюя", "uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщюя", "en": "abcdefghijklmnoprstuvwyz"}
    number = 0
    while count < ALIASES:
        number += 1
        aliases = {language: ("".join(rng.choice(alphabet) for _ in range(rng.randint(5, 9))),) for language, alphabet in letters.items()}
        watchlist.terms[f"invented-{number}"] = Term(f"invented-{number}", "entity", f"Invented {number}", "person", aliases)
        count += len(aliases)
    return watchlist, count


def timed(job) -> tuple[float, object]:
    started = time.perf_counter()
    result = job()
    return time.perf_counter() - started, result


def language_accuracy() -> dict[str, float]:
    labelled = sentences()
    texts = [sentence.text for sentence in labelled]
    expected = [sentence.lang for sentence in labelled]
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    plain = LanguageDetectorBuilder.from_languages(
        *[Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in DEFAULT_LANGUAGES]).build()
    plain_guesses = [result.iso_code_639_1.name.lower() if result else "und" for result in plain.detect_languages_in_parallel_of(texts)]
    ours = [guess.language for guess in identify(texts)]
    low = [guess.language for guess in identify(texts, low_accuracy=True)]
    return {
        "the lang stage: script and letters first, then lingua (high accuracy) on the first 200 characters": _share(ours, expected),
        "the same with lingua's low-accuracy mode": _share(low, expected),
        "lingua alone, high accuracy, whole text": _share(plain_guesses, expected),
    }


def _share(guesses: list[str], expected: list[str]) -> float:
    return sum(guess == truth for guess, truth in zip(guesses, expected)) / len(expected)


def throughput(posts: list[str], watchlist) -> dict[str, float]:
    results: dict[str, float] = {}
    forget_answers()  # lingua's remembered answers would otherwise be timed instead of lingua
    results["lang: script and letters, then lingua on 200 characters (threads)"], _ = timed(lambda: [
        identify(posts[start:start + 5000]) for start in range(0, len(posts), 5000)])
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    plain = LanguageDetectorBuilder.from_languages(
        *[Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in DEFAULT_LANGUAGES]).build()
    sample = posts[:BASELINE_POSTS]  # the baselines are slow: timed on a sample, reported per post
    results["lang baseline: lingua alone, high accuracy, threads"], _ = timed(lambda: plain.detect_languages_in_parallel_of(sample))
    lexicon = Lexicon.of(watchlist)
    texts = [PostText(number, 1, text, lexicon) for number, text in enumerate(posts)]
    results["mentions: Aho-Corasick matcher (folding, offsets, clitics, endings)"], _ = timed(lambda: [post.matches for post in texts])
    keys = sorted({normalize(alias) for term in watchlist.terms.values() for spellings in term.aliases.values() for alias in spellings}, key=len, reverse=True)
    alternation = regex.compile(r"(?<!\w)(?:" + "|".join(map(regex.escape, keys)) + r")(?!\w)")
    results["mentions baseline: regex alternation on normalize(text), no offsets"], _ = timed(
        lambda: [alternation.findall(normalize(text)) for text in sample])
    results["symbols: emoji clusters + pairing (given the mentions)"], _ = timed(
        lambda: [pair_symbols(post.text, post.entity_mentions, post.symbols, 1) for post in texts if post.symbols])
    results["narratives: rules (given the mentions and symbols)"], _ = timed(
        lambda: [tag_narratives(watchlist.narratives, occurrences(post)) for post in texts])
    return {name: seconds * len(posts) / len(sample) if "baseline" in name else seconds for name, seconds in results.items()}


def store_run(posts: list[str], watchlist_path: Path) -> dict[str, list[float]]:
    """Seconds of the four stages as `echoscope analyze` runs them (one pass), and one stage at a time,
    each on a fresh SQLite store holding the posts."""
    folder = Path(tempfile.mkdtemp(prefix="enrich-bench-"))
    (folder / "echoscope.toml").write_text(f'[stages.mentions]\nwatchlists = ["{watchlist_path}"]\n', encoding="utf-8")
    os.environ["ECHOSCOPE_CONFIG"] = str(folder / "echoscope.toml")
    config.file_settings.cache_clear()
    base = datetime(2023, 6, 1, tzinfo=UTC)

    def records():  # made as they are written: `echoscope analyze` does not hold an ingest's records either
        yield Capture("table", "bench", "0" * 64, base, "bench")
        yield Channel(TELEGRAM, "channel1", title="bench")
        for number, text in enumerate(posts, 1):
            yield Post(TELEGRAM, "channel1", number, base + timedelta(minutes=number), text, raw={"id": number})

    seconds: dict[str, list[float]] = {PASS: [], ALONE: []}
    for run, (label, passes) in enumerate([(PASS, [TEXT_STAGES])] * PASS_RUNS + [(ALONE, [[stage] for stage in TEXT_STAGES])]):
        with Store(folder / f"bench-{run}.db") as store:
            ingest(store, records())
            forget_answers()  # the stage starts with no answers remembered, as a fresh `echoscope analyze` does
            took, _ = timed(lambda: [run_stages(store, names) for names in passes])
            seconds[label].append(took)
    seconds[FLOOR] = [writer_floor(folder / "bench-0.db", folder / "floor.db")]
    return seconds


PASS_TABLES = ("post_language", "mentions", "symbol_pairings", "narrative_tags", "text_analysis")


def writer_floor(stored: Path, db: Path, batch: int = 5000) -> float:
    """Seconds to write the rows a pass stored, and nothing else: read back from its store and written into
    a fresh store that holds the same posts, with plain executemany, a transaction per `batch` posts as the
    pass makes them. What the one process that writes cannot go below, however fast the analysis."""
    source, target = floor_store(stored, db)
    target.execute("ATTACH DATABASE ? AS stored", (str(stored),))
    for table in ("captures", "channels", "posts", "post_versions"):  # what the rows refer to, not timed
        target.execute(f"INSERT INTO main.{table} SELECT * FROM stored.{table}")
    target.commit()
    statements = {table: insert_statement(source, table) for table in PASS_TABLES}
    last = source.execute("SELECT max(pk) FROM posts").fetchone()[0]
    seconds = 0.0
    for first in range(1, last + 1, batch):
        rows = {table: source.execute(f"SELECT {columns} FROM {table} WHERE post_pk BETWEEN ? AND ?",
                                      (first, first + batch - 1)).fetchall() for table, (columns, _) in statements.items()}
        started = time.perf_counter()
        for table, (_, insert) in statements.items():
            target.executemany(insert, rows[table])
        target.commit()
        seconds += time.perf_counter() - started
    return seconds


def demo_posts(rng: random.Random, count: int) -> list[str]:
    """Posts drawn (with replacement) from the bundled example's channels: real density of names and emoji.
    Each starts with its draw number, so every text is new to lingua's remembered answers (which are keyed
    by a post's first 200 characters)."""
    texts = []
    for export in sorted((ROOT / "examples" / "demo" / "exports").glob("*/result.json")):
        for message in json.loads(export.read_text(encoding="utf-8")).get("messages", []):
            text = message.get("text", "")
            text = text if isinstance(text, str) else "".join(part if isinstance(part, str) else part.get("text", "") for part in text)
            if text.strip():
                texts.append(text)
    return [f"{number} {rng.choice(texts)}" for number in range(count)]


def _score_rows(label: str, quality) -> list[str]:
    mentions, pairings, _ = quality
    return [
        f"| {label}: entity mentions | {mentions.precision:.3f} | {mentions.recall:.3f} | {mentions.true} | {mentions.false_positive} | {mentions.false_negative} |",
        f"| {label}: symbol-entity pairings | {pairings.precision:.3f} | {pairings.recall:.3f} | {pairings.true} | {pairings.false_positive} | {pairings.false_negative} |",
    ]


def quality_lines(quality, held_out, held_out_2, languages) -> list[str]:
    return [
        f"Labelled set: {len(sentences())} sentences (tests/data/mentions/, ar/fa/ru/uk/en) with clitics, case endings, "
        "diacritics, emoji sequences and look-alikes; a mention counts when entity and span are exact. The set was "
        "written by the engineer who wrote the matcher, and while it was written, labels found wrong were corrected and "
        "gaps of the bundled watchlist (an English alias, two ambiguous ones) fixed: read the figures as a regression "
        "check of the stated conventions, not as an independent evaluation. Its false mentions are honest "
        "look-alikes (the Quran's People of the Cave, \"noble sons\").",
        "",
        f"Held-out sets: {len(sentences(HELD_OUT))} sentences (tests/data/mentions_heldout/) and {len(sentences(HELD_OUT_2))} "
        "Telegram-like posts, a third of them look-alikes only (tests/data/mentions_heldout2/), each written by a separate "
        "session from the watchlist and the stated conventions only, without seeing the matcher, the other sets or any "
        "output. Each one's first measurement was the independent one (see below the table); the figures here are after "
        "the fixes they led to, so they are no longer independent.",
        "",
        "| | precision | recall | found right | false | missed |",
        "|---|---|---|---|---|---|",
        *_score_rows("labelled set", quality),
        *_score_rows("held-out set", held_out),
        *_score_rows("second held-out set", held_out_2),
        "",
        "| language identification on the same sentences | accuracy |",
        "|---|---|",
        *[f"| {name} | {value:.3f} |" for name, value in languages.items()],
        "",
    ]


def write_doc(corpus: str, posts: int, aliases: int, density: float, quality, held_out, held_out_2, languages, speed, stored) -> str:
    described = {
        "synthetic": f"synthetic posts of {POST_LENGTH} characters, dense with names",
        "demo": "posts drawn with replacement from the bundled example's channels (examples/demo), each made distinct by its draw number",
    }[corpus]
    lines = quality_lines(quality, held_out, held_out_2, languages) if corpus == "synthetic" else []
    lines += [
        f"Throughput on {posts:,} {described}, with a {aliases:,}-alias watchlist "
        f"({machine()}, shared with other jobs: load average {os.getloadavg()[0]:.1f} at the end): "
        f"{density:.1f} entity mentions per post, which the matcher's per-mention work and the store's row writes scale with.",
        "",
        f"Baselines are timed on the first {min(posts, BASELINE_POSTS):,} posts and scaled to all of them.",
        "",
        "| step | seconds | posts/s |",
        "|---|---|---|",
        *[f"| {name} | {seconds:.2f} | {posts / seconds:,.0f} |" for name, seconds in speed.items()],
    ]
    ours = [speed[name] for name in speed if not name.startswith(("lang baseline", "mentions baseline"))]
    lines += ["", f"In memory, in one process, the four steps take {sum(ours):.2f} s together: {posts / sum(ours):,.0f} posts/s."]
    if stored:
        best = min(stored[PASS])
        rate = posts / best
        lines += ["", f"Through the store, as `echoscope analyze --only lang,mentions,symbols,narratives` runs them: "
                  f"{best:.2f} s, {rate:,.0f} posts/s (best of {len(stored[PASS])} runs on fresh stores; slowest "
                  f"{max(stored[PASS]):.2f} s, {posts / max(stored[PASS]):,.0f} posts/s): issue 4's target of "
                  f"{TARGET:,} posts/s is {'met' if rate >= TARGET else 'not met'} at this density. The four stages share one pass "
                  "(each post read once, folded and matched once; narratives and symbols use the mentions' match), two "
                  "forked worker processes analyse while the main process reads the next batches and writes the rows. "
                  f"The same four stages run one after the other (`--only` one at a time): {stored[ALONE][0]:.2f} s.",
                  "", f"The floor: the rows this pass stored, written again into a fresh store (same posts) with plain "
                  f"executemany, a transaction per 5,000 posts, and nothing else: {stored[FLOOR][0]:.2f} s, "
                  f"{posts / stored[FLOOR][0]:,.0f} posts/s. SQLite takes one writer, so no analysis, however fast, "
                  "takes the pass past this at this density."]
    if corpus == "synthetic":
        return write_block("enrich", "Enrich pass: language, mentions, symbols, narratives", lines)
    return write_block("enrich-demo", "Enrich pass on the bundled example's posts", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--corpus", choices=("synthetic", "demo"), default="synthetic",
                        help="synthetic posts dense with names, or the bundled example's posts resampled")
    parser.add_argument("--no-store", action="store_true", help="skip the run through a SQLite store")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    rng = random.Random(4)
    quality = evaluate(load())
    held_out = evaluate(load(), folder=HELD_OUT)
    held_out_2 = evaluate(load(), folder=HELD_OUT_2)
    languages = language_accuracy()
    watchlist, aliases = padded_watchlist(rng)
    posts = [make_post(rng) for _ in range(args.posts)] if args.corpus == "synthetic" else demo_posts(rng, args.posts)
    matcher = Matcher(watchlist)
    sample = posts[:2000]
    density = sum(mention.kind == "entity" for text in sample for mention in matcher.find(text)) / len(sample)
    speed = throughput(posts, watchlist)
    stored = {}
    if not args.no_store:
        path = Path(tempfile.mkdtemp(prefix="enrich-watchlist-")) / "padded.yaml"
        invented = [{"id": term.id, "type": term.type, "name": term.name, "aliases": {k: list(v) for k, v in term.aliases.items()}}
                    for term in watchlist.terms.values() if term.id.startswith("invented-")]
        path.write_text(yaml.safe_dump({"entities": invented}, allow_unicode=True), encoding="utf-8")
        stored = store_run(posts, path)
    if args.no_doc:
        print(quality[0], quality[1], held_out[0], held_out[1], held_out_2[0], held_out_2[1], languages, speed, stored)
    else:
        print(write_doc(args.corpus, args.posts, aliases, density, quality, held_out, held_out_2, languages, speed, stored))


if __name__ == "__main__":
    main()
