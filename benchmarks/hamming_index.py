"""Hamming radius search over 256-bit hashes: FAISS multi-index hashing against brute force, same run.

    python benchmarks/hamming_index.py --hashes 1000000 --sample 20000
    python benchmarks/hamming_index.py --hashes 100000 --full      # time the whole self-join

The hashes are uniformly random 256-bit codes, 1 % of them near-copies of others at 0–31 flipped bits
(reposts). Random codes are the kindest case for multi-index hashing (buckets evenly filled); real PDQ
hashes are less even, so treat the multi-hash figures as a lower bound. For each contender: time to
build, one query alone (median of 200), and the self-join at distance ≤ 31, measured on `--sample`
query rows and scaled to all rows unless `--full`. Every contender must find the same pairs as brute
force on the sample. Figures go to stdout and docs/benchmarks.md between the `hamming-index` markers.
"""

from __future__ import annotations

import argparse
import statistics
import time

import faiss
import numpy as np
from _figures import machine, write_block

RADIUS = 31
CONTENDERS = {  # name: (tables, bits per table, flips) or None for brute force
    "brute force (IndexBinaryFlat)": None,
    "multi-hash 16×16 bits, 1 flip": (16, 16, 1),
    "multi-hash 12×21 bits, 2 flips (echoscope)": (12, 21, 2),
}


def hashes(count: int, rng: np.random.Generator) -> np.ndarray:
    codes = rng.integers(0, 256, (count, 32), dtype=np.uint8)
    copies = count // 100
    bits = np.unpackbits(codes[rng.integers(0, count, copies)], axis=1)
    for row, flips in enumerate(rng.integers(0, RADIUS + 1, copies)):
        bits[row, rng.choice(256, flips, replace=False)] ^= 1
    codes[count - copies :] = np.packbits(bits, axis=1)
    return codes


def build(shape, codes: np.ndarray):
    if shape is None:
        index = faiss.IndexBinaryFlat(256)
    else:
        index = faiss.IndexBinaryMultiHash(256, shape[0], shape[1])
        index.nflip = shape[2]
    index.add(codes)
    return index


def pairs_of(index, queries: np.ndarray, offset: int) -> set[tuple[int, int]]:
    limits, _, rows = index.range_search(queries, RADIUS + 1)
    left = offset + np.repeat(np.arange(len(queries)), np.diff(limits).astype(np.int64))
    keep = rows != left
    return set(zip(left[keep].tolist(), rows[keep].tolist()))


def measure(codes: np.ndarray, sample: int, full: bool) -> list[str]:
    rng = np.random.default_rng(1)
    singles = codes[rng.integers(0, len(codes), 200)]
    rows = [("contender", "build s", "one query ms", "self-join s", "pairs")]
    expected = None
    for name, shape in CONTENDERS.items():
        started = time.perf_counter()
        index = build(shape, codes)
        built = time.perf_counter() - started
        latencies = []
        for query in singles:
            started = time.perf_counter()
            index.range_search(query[None, :], RADIUS + 1)
            latencies.append((time.perf_counter() - started) * 1000)
        joined = codes if full and shape is not None else codes[:sample]
        started = time.perf_counter()
        found = set()
        for start in range(0, len(joined), 4096):
            found |= pairs_of(index, joined[start : start + 4096], start)
        seconds = (time.perf_counter() - started) * len(codes) / len(joined)
        sampled = {pair for pair in found if pair[0] < sample}
        expected = sampled if expected is None else expected
        if sampled != expected:
            raise SystemExit(f"{name} found {len(sampled)} pairs on the sample, brute force {len(expected)}")
        scaled = "" if len(joined) == len(codes) else " (scaled)"
        rows.append((name, f"{built:.1f}", f"{statistics.median(latencies):.2f}", f"{seconds:,.0f}{scaled}", f"{len(found):,}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="query rows the self-join is timed on")
    parser.add_argument("--full", action="store_true", help="time the whole self-join of the multi-hash contenders")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    faiss.omp_set_num_threads(2)
    codes = hashes(args.hashes, np.random.default_rng(0))
    rows = measure(codes, min(args.sample, args.hashes), args.full)
    lines = [
        f"{args.hashes:,} hashes, radius {RADIUS}, FAISS {faiss.__version__} on 2 threads "
        f"(`python benchmarks/hamming_index.py --hashes {args.hashes}{' --full' if args.full else ''}`; {machine()}).",
        "",
        "| " + " | ".join(rows[0]) + " |",
        "|---|---:|---:|---:|---:|",
        *("| " + " | ".join(row) + " |" for row in rows[1:]),
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_block("hamming-index", "Image reuse: Hamming index", lines)


if __name__ == "__main__":
    main()
