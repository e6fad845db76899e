"""Hamming radius search over 256-bit hashes: echoscope's multi-index hashing against FAISS, same run.

    python benchmarks/hamming_index.py --hashes 1000000 --sample 10000
    python benchmarks/hamming_index.py --hashes 100000 --codes uniform     # a quick run

Two kinds of codes. `uniform`: random 256-bit codes, the kindest case for multi-index hashing (buckets
evenly filled). `pdq-like`: PDQ's own rule (a bit is set where its DCT coefficient is above the median
of the 256) applied to coefficients drawn like photographs' — standard deviation falling as 1/frequency,
a shared mean layout (brighter top, centred subject) and eight latent factors that many pictures share,
so bits are biased and correlated within PDQ's rows (which are echoscope's 16-bit chunks); plus the
reposts and templates of a monitored corpus: 3 % of codes are near-copies (0–31 bits) of popular
pictures (five copies each on average, Zipf-distributed: at a million codes the most viral one is
reposted ~3,000 times), 2 % are news cards of 200 templates (each 20–60 bits from its template).

Contenders: FAISS IndexBinaryFlat (brute force), FAISS IndexBinaryMultiHash 12×21 bits with 2 flips (the
fastest FAISS shape measured before), and echoscope's HammingIndex (16×16-bit multi-index hashing in
NumPy). For each: build time, one query alone (median of 200), the self-join at distance ≤ 31. FAISS
self-joins are timed on `--sample` query rows and scaled; echoscope's runs whole. Every contender must
find the same pairs as brute force for the sample rows. Figures go to stdout and docs/benchmarks.md
between the `hamming-index` markers.
"""

from __future__ import annotations

import argparse
import statistics
import time

import faiss
import numpy as np
from _figures import machine, write_block

from echoscope.media.hamming_index import CHUNKS as CHUNK_COUNT
from echoscope.media.hamming_index import FEW_QUERIES, HammingIndex

RADIUS = 31


def uniform(count: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 256, (count, 32), dtype=np.uint8)


def pdq_like(count: int, rng: np.random.Generator) -> np.ndarray:
    """PDQ hashes as photographs, reposts and templates make them (see the module docstring)."""
    rows, cols = np.meshgrid(np.arange(1, 17), np.arange(1, 17), indexing="ij")
    spread = (1 / np.hypot(rows, cols)).ravel()
    layout = spread * np.where((rows.ravel() <= 2) & (cols.ravel() <= 2), 1.0, 0.0) * rng.normal(0, 1.5, 256)
    loadings = spread * rng.normal(0, 1.0, (8, 256)) * (np.hypot(rows, cols).ravel() < 8)
    codes = np.empty((count, 32), np.uint8)
    for start in range(0, count, 100_000):
        size = min(100_000, count - start)
        coefficients = layout + rng.normal(0, 1, (size, 8)) @ loadings + spread * rng.normal(0, 1, (size, 256))
        codes[start : start + size] = np.packbits(coefficients > np.median(coefficients, axis=1, keepdims=True), axis=1)
    reposts, cards = count * 3 // 100, count * 2 // 100
    popular = rng.integers(0, count - reposts - cards, max(reposts // 5, 1))
    weights = 1 / np.arange(1, len(popular) + 1)
    originals = rng.choice(popular, reposts, p=weights / weights.sum())
    codes[count - reposts - cards : count - cards] = _flipped(codes[originals], rng.integers(0, RADIUS + 1, reposts), rng)
    templates = rng.integers(0, count - reposts - cards, 200)
    codes[count - cards :] = _flipped(codes[rng.choice(templates, cards)], rng.integers(20, 61, cards), rng)
    return codes


def _flipped(codes: np.ndarray, flips: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each row with `flips` of its bits (chosen at random) flipped."""
    bits = np.unpackbits(codes, axis=1)
    chosen = np.argsort(rng.random(bits.shape), axis=1) < flips[:, None]
    return np.packbits(bits ^ chosen, axis=1)


CODES = {"pdq-like": pdq_like, "uniform": uniform}


def faiss_index(shape, codes: np.ndarray):
    if shape is None:
        index = faiss.IndexBinaryFlat(256)
    else:
        index = faiss.IndexBinaryMultiHash(256, shape[0], shape[1])
        index.nflip = shape[2]
    index.add(codes)
    return index


def faiss_sample_pairs(index, codes: np.ndarray) -> set[tuple[int, int]]:
    found = set()
    for start in range(0, len(codes), 4096):
        limits, _, rows = index.range_search(codes[start : start + 4096], RADIUS + 1)
        left = start + np.repeat(np.arange(len(limits) - 1), np.diff(limits).astype(np.int64))
        keep = rows != left
        found |= {(min(a, b), max(a, b)) for a, b in zip(left[keep].tolist(), rows[keep].tolist())}
    return found


def _median_ms(function, queries: np.ndarray) -> float:
    latencies = []
    for query in queries:
        started = time.perf_counter()
        function(query[None, :])
        latencies.append((time.perf_counter() - started) * 1000)
    return statistics.median(latencies)


def faiss_contender(name: str, shape, codes: np.ndarray, singles: np.ndarray, sample: int) -> tuple[tuple[str, ...], set]:
    """One FAISS contender's table row, and the pairs it finds for the sample rows."""
    started = time.perf_counter()
    index = faiss_index(shape, codes)
    built = time.perf_counter() - started
    query_ms = _median_ms(lambda query: index.range_search(query, RADIUS + 1), singles)
    started = time.perf_counter()
    found = faiss_sample_pairs(index, codes[:sample])
    seconds = (time.perf_counter() - started) * len(codes) / sample
    return (name, f"{built:.1f}", f"{query_ms:.2f}", f"{seconds:,.0f} (scaled)", f"{len(found):,} (sample)"), found


def measure(codes: np.ndarray, sample: int) -> list[tuple[str, ...]]:
    singles = codes[np.random.default_rng(1).integers(0, len(codes), 200)]
    rows, expected = [], None
    for name, shape in (("brute force (FAISS IndexBinaryFlat)", None), ("FAISS IndexBinaryMultiHash 12×21 bits, 2 flips", (12, 21, 2))):
        row, found = faiss_contender(name, shape, codes, singles, sample)
        expected = found if expected is None else expected
        if found != expected:
            raise SystemExit(f"{name} found {len(found)} pairs for the sample rows, brute force {len(expected)}")
        rows.append(row)
    started = time.perf_counter()
    ours = HammingIndex(codes, max_distance=RADIUS)
    built = time.perf_counter() - started
    query_ms = _median_ms(lambda query: list(ours.search(query)), singles)
    started, cpu = time.perf_counter(), time.process_time()
    pairs = ours.pairs()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    sampled = pairs.left < sample
    found = set(zip(pairs.left[sampled].tolist(), pairs.right[sampled].tolist()))
    if found != expected:
        raise SystemExit(f"echoscope found {len(found)} pairs for the sample rows, brute force {len(expected)}")
    rows.append(("echoscope HammingIndex (16×16 bits, 1 flip, NumPy)", f"{built:.1f}", f"{query_ms:.2f}",
                 f"**{seconds:,.1f}** (whole; {cpu:,.0f} CPU s)", f"{len(pairs.left):,} (all)"))
    return rows


def skew(codes: np.ndarray) -> str:
    """How unevenly the codes fill multi-index buckets: what makes real hashes slower than random ones."""
    frequencies = np.unpackbits(codes, axis=1).mean(axis=0)
    chunks = codes.view(np.uint16).astype(np.int64)
    counts = [np.bincount(column, minlength=1 << 16).astype(float) for column in chunks.T]
    same_bucket = sum(float((count * (count - 1)).sum()) for count in counts)
    fullest = int(max(count.max() for count in counts))
    return (f"bits set in {frequencies.min():.0%}–{frequencies.max():.0%} of codes, fullest 16-bit bucket {fullest:,} codes, "
            f"{same_bucket / (CHUNK_COUNT * len(codes) ** 2 / (1 << 16)):.1f}× the same-bucket pairs of evenly filled buckets")


def anchor_lookup(images: int, new: int) -> str:
    """The images stage's robust candidates: all anchors (64 per image) self-joined, as every run did
    before, against looking up the anchors of `new` images only, as a run after an ingest does now."""
    anchors = pdq_like(images * 64, np.random.default_rng(2))
    started = time.perf_counter()
    HammingIndex(anchors, max_distance=RADIUS).pairs()
    joined = time.perf_counter() - started
    started = time.perf_counter()
    index = HammingIndex(anchors, max_distance=RADIUS, few_queries=new * 64 < FEW_QUERIES)
    index.matches(anchors[-new * 64 :])
    looked_up = time.perf_counter() - started
    return (f"Robust-stage candidates, {images:,} images × 64 ORB anchors (pdq-like codes standing in for ORB descriptors): "
            f"self-join of all anchors {joined:.1f} s (each run before; FAISS multi-hash took 212 s for 5,000 images); "
            f"looking up the anchors of {new} new images {looked_up:.2f} s (each run now).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=10_000, help="query rows the FAISS self-joins are timed on")
    parser.add_argument("--codes", choices=[*CODES, "both"], default="both")
    parser.add_argument("--anchor-images", type=int, default=5_000, help="images whose ORB anchors the robust stage looks up")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    faiss.omp_set_num_threads(2)
    lines = [
        (f"{args.hashes:,} hashes, radius {RADIUS}; FAISS {faiss.__version__} and echoscope both on 2 threads "
         f"(`python benchmarks/hamming_index.py --hashes {args.hashes}`; {machine()})."),
        "",
        "| codes | contender | build s | one query ms | self-join s | pairs |",
        "|---|---|---:|---:|---:|---:|",
    ]
    notes = []
    for kind in CODES if args.codes == "both" else (args.codes,):
        codes = CODES[kind](args.hashes, np.random.default_rng(0))
        notes.append(f"{kind}: {skew(codes)}.")
        for row in measure(codes, min(args.sample, args.hashes)):
            lines.append(f"| {kind} | " + " | ".join(row) + " |")
            print(lines[-1], flush=True)
    lines += ["", *notes, "", anchor_lookup(args.anchor_images, 100)]
    print("\n".join(lines))
    if not args.no_write:
        write_block("hamming-index", "Image reuse: Hamming index", lines)


if __name__ == "__main__":
    main()
