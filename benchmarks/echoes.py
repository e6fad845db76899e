"""Echo clustering: echoscope's NumPy MinHash + LSH against datasketch's MinHash + MinHashLSH.

    python benchmarks/echoes.py --posts 20000 [--skip-datasketch] [--no-write]

Both contenders get the same labelled corpus (benchmarks/echo_corpus.py), the same shingles (word
bigrams of each post's search form with its channel's learnt boilerplate masked), the same 64
permutations in 32 bands of 2 rows, and the same exact verification and grouping: only signing and
candidate finding differ. Normalisation (done at ingest) and boilerplate learning (once per channel)
are outside the timing. Pairwise precision and recall count pairs of posts from different channels.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np
from _figures import machine, write_block
from echo_corpus import generate, pairwise

from echoscope.similarity.boilerplate import Boilerplate, learn
from echoscope.similarity.candidates import unique_pairs
from echoscope.similarity.engine import LONG, Batch, Settings, link_posts, prepare
from echoscope.text.normalize import normalize_many

SETTINGS = Settings()


def corpus(posts: int):
    items = generate(posts)
    texts = [item.text for item in items]
    norm = normalize_many(texts)
    channel = np.array([item.channel for item in items])
    date = np.array([item.date for item in items])
    rank = np.empty(len(items), np.int64)
    rank[np.argsort(date, kind="stable")] = np.arange(len(items))
    batch = Batch(norm, texts, channel, date, rank, forward_of=np.array([item.forward_of for item in items]))
    boilerplate = Boilerplate(learn(norm, channel, 3, 0.3, 20), 3)
    return batch, boilerplate, np.array([item.story for item in items]), channel


def echoscope(batch, boilerplate):
    content = prepare(batch, boilerplate, SETTINGS)
    return link_posts(batch, content, SETTINGS).roots


def with_datasketch(batch, boilerplate):
    from datasketch import MinHash, MinHashLSH

    from echoscope.similarity.tokens import hash_tokens, keep, shingles

    # the same shingles echoscope signs, as the bytes datasketch hashes
    tokens = hash_tokens(batch.text_norm)
    hashes, post = shingles(keep(tokens, boilerplate.mask(tokens, batch.channel)), SETTINGS.shingle_words)
    content = prepare(batch, boilerplate, SETTINGS)  # classes, exact keys and sets are shared code
    lsh = MinHashLSH(num_perm=SETTINGS.permutations, params=(SETTINGS.bands, SETTINGS.permutations // SETTINGS.bands))
    signature = np.zeros((len(batch.text_norm), SETTINGS.permutations), np.uint64)
    bounds = np.searchsorted(post, np.arange(len(batch.text_norm) + 1))
    values = (hashes & np.uint64(0xFFFFFFFF)).astype("<u4")
    rows = np.flatnonzero(content.kind == LONG).tolist()
    # MinHash.bulk shares one set of permutations, datasketch's fastest way to sign many sets
    signed = MinHash.bulk([[value.tobytes() for value in values[bounds[row] : bounds[row + 1]]] for row in rows], num_perm=SETTINGS.permutations)
    sketches = dict(zip(rows, signed))
    for row, sketch in sketches.items():
        signature[row] = sketch.hashvalues
    content.signature = signature

    def finder(content, representatives, settings):
        a, b = [], []
        for row in representatives.tolist():
            lsh.insert(row, sketches[row])
        for row in representatives.tolist():
            for other in lsh.query(sketches[row]):
                if other != row:
                    a.append(min(row, other))
                    b.append(max(row, other))
        return unique_pairs(np.array(a, np.int64), np.array(b, np.int64))

    return link_posts(batch, content, SETTINGS, finder).roots


def measure(contender, batch, boilerplate):
    tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    roots = contender(batch, boilerplate)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return roots, seconds, cpu, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20000)
    parser.add_argument("--skip-datasketch", action="store_true", help="only echoscope (for sizes datasketch takes too long on)")
    parser.add_argument("--no-write", action="store_true", help="print, do not rewrite docs/benchmarks.md")
    args = parser.parse_args()
    batch, boilerplate, truth, channel = corpus(args.posts)
    contenders = [("echoscope (NumPy MinHash + LSH)", echoscope)]
    if not args.skip_datasketch:
        contenders.append(("datasketch (MinHash + MinHashLSH)", with_datasketch))
    lines = [
        (
            f"Echo clusters of a labelled corpus of {args.posts:,} Arabic / Persian / Russian posts "
            f"(`python benchmarks/echoes.py --posts {args.posts}{' --skip-datasketch' if args.skip_datasketch else ''}`; "
            f"{machine()}; load average "
            f"{os.getloadavg()[0]:.1f} at the start). One process, one core; CPU seconds are what the "
            "process itself used, the fairer figure on a shared machine."
        ),
        "",
        "| contender | posts/s | seconds | CPU seconds | peak traced memory (MB) | precision | recall |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, contender in contenders:
        roots, seconds, cpu, peak = measure(contender, batch, boilerplate)
        precision, recall = pairwise(roots, truth, channel)
        lines.append(f"| {name} | {args.posts / seconds:,.0f} | {seconds:.1f} | {cpu:.1f} | {peak:,.0f} | {precision:.4f} | {recall:.4f} |")
    print("\n".join(lines))
    if not args.no_write:
        write_block("echoes-scale" if args.skip_datasketch else "echoes", "Echo clusters", lines)


if __name__ == "__main__":
    main()
