"""Image reuse accuracy and hashing speed, on real photographs that scikit-image ships.

    python benchmarks/images_eval.py                # every bundled photograph
    python benchmarks/images_eval.py --photos 6     # a quick run while developing

Each photograph is edited the way reposting channels edit pictures (resize, JPEG quality 35, a crop of
5 % and of 10 %, a caption band, padding, grayscale, brightness, a logo, a mirror, and a recompressed
copy with a caption). A *positive* pair is a photograph and one of its edits; a *negative* pair is any
two images (originals or edits) of different photographs. echoscope decides each pair with
`matching.compare`, the rule the images stage and `image-search` use; the baseline is plain PDQ (no
border trimming, no mirror variant, no quality gate) at distance 31 on the same pairs. A second table
repeats the measure with held-out edits (other crops, captions, paddings, logos), which were not looked
at while the thresholds in media/robust.py were chosen.
The figures go to stdout and into docs/benchmarks.md between the `images-eval` markers.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from itertools import combinations

import numpy as np
from _figures import machine, write_block
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from echoscope.media.matching import compare, signature
from echoscope.media.pdq import decode, hamming

# The photographs among scikit-image's bundled samples (drawings, charts and synthetic images left out).
PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "coins", "hubble_deep_field", "retina", "rocket", "moon",
          "page", "brick", "grass", "gravel", "ihc", "cell", "clock_motion", "text", "microaneurysms",
          "motorcycle_left")
CAPTION = "عاجل | صلواتكم لجيش روسيا العظيمة"  # any text: what matters is the band of type


def _jpeg(image: Image.Image, quality: int = 35) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _crop(image: Image.Image, share: float) -> Image.Image:
    """Cut `share` of the width and height, unevenly between the sides, as a hand crop does."""
    width, height = image.size
    return image.crop((int(width * share * 0.6), int(height * share * 0.4), width - int(width * share * 0.4),
                       height - int(height * share * 0.6)))


def _caption(image: Image.Image) -> Image.Image:
    width, height = image.size
    band = max(24, height // 6)
    framed = Image.new("RGB", (width, height + band), "white")
    framed.paste(image, (0, 0))
    ImageDraw.Draw(framed).text((8, height + band // 4), CAPTION + " — BREAKING", fill="black", font_size=band // 3)
    return framed


def _pad(image: Image.Image) -> Image.Image:
    width, height = image.size
    return ImageOps.expand(image, border=(width // 10, height // 10), fill="black")


def _logo(image: Image.Image) -> Image.Image:
    marked = image.copy()
    width, height = marked.size
    side = min(width, height) // 5
    draw = ImageDraw.Draw(marked)
    draw.ellipse((width - side - 8, 8, width - 8, 8 + side), fill=(200, 30, 30))
    draw.text((width - side + side // 5, 8 + side // 3), "TV", fill="white", font_size=side // 3)
    return marked


EDITS = {
    "resize 50 %": lambda image: image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS),
    "JPEG q35": _jpeg,
    "crop 5 %": lambda image: _crop(image, 0.05),
    "crop 10 %": lambda image: _crop(image, 0.10),
    "caption band": _caption,
    "padding 20 %": _pad,
    "grayscale": lambda image: ImageOps.grayscale(image).convert("RGB"),
    "brightness +30 %": lambda image: ImageEnhance.Brightness(image).enhance(1.3),
    "logo overlay": _logo,
    "mirror": ImageOps.mirror,
    "JPEG q35 + caption": lambda image: _caption(_jpeg(image)),
}


def _caption_on_top(image: Image.Image) -> Image.Image:
    width, height = image.size
    band = height // 4
    framed = Image.new("RGB", (width, height + band), "black")
    framed.paste(image, (0, band))
    ImageDraw.Draw(framed).text((8, band // 4), "ЗАЯВЛЕНИЕ | Армия России", fill="white", font_size=band // 3)
    return framed


def _logo_bottom_left(image: Image.Image) -> Image.Image:
    marked = image.copy()
    side = min(marked.size) // 6
    draw = ImageDraw.Draw(marked)
    draw.rectangle((8, marked.height - side - 8, 8 + side, marked.height - 8), fill=(20, 120, 200))
    draw.text((12, marked.height - side), "Z", fill="white", font_size=side // 2)
    return marked


# Edits with other parameters, never looked at while the thresholds were chosen: a check for overfitting.
HELD_OUT = {
    "resize 70 % + JPEG q30": lambda image: _jpeg(image.resize((image.width * 7 // 10, image.height * 7 // 10)), 30),
    "crop 7 % centred": lambda image: image.crop((image.width * 35 // 1000, image.height * 35 // 1000,
                                                  image.width - image.width * 35 // 1000, image.height - image.height * 35 // 1000)),
    "caption band 25 % on top, black": _caption_on_top,
    "white padding 15 %": lambda image: ImageOps.expand(image, border=(image.width * 75 // 1000, image.height * 75 // 1000), fill="white"),
    "logo bottom-left": _logo_bottom_left,
    "darker 25 %": lambda image: ImageEnhance.Brightness(image).enhance(0.75),
    "mirror + JPEG q35": lambda image: _jpeg(ImageOps.mirror(image)),
}


def photographs(limit: int | None) -> dict[str, Image.Image]:
    import skimage.data

    found = {}
    for name in PHOTOS[:limit]:
        path = os.path.join(skimage.data.data_dir, f"{name}.png")
        path = path if os.path.exists(path) else path[:-4] + ".jpg"
        if os.path.exists(path):
            found[name] = Image.open(path).convert("RGB")
    return found


def encoded(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def plain_pdq(data: bytes) -> bytes:
    import pdqhash

    bits, _ = pdqhash.compute(np.ascontiguousarray(decode(data, "eval")))
    return np.packbits(bits.astype(np.uint8)).tobytes()


def evaluate(limit: int | None, edits: dict) -> list[str]:
    images = []  # (photo, edit or None, bytes)
    for name, photo in photographs(limit).items():
        images.append((name, None, encoded(photo)))
        images += [(name, edit, encoded(apply(photo))) for edit, apply in edits.items()]
    datas, wheres = [data for _, _, data in images], [f"{name}/{edit}" for name, edit, _ in images]
    with ProcessPoolExecutor(2) as pool:  # as the media stage hashes: two worker processes
        started = time.perf_counter()
        signatures = list(pool.map(signature, datas, wheres, chunksize=8))
        ours_seconds = time.perf_counter() - started
        started = time.perf_counter()
        plain = list(pool.map(plain_pdq, datas, chunksize=8))
        plain_seconds = time.perf_counter() - started

    counts = defaultdict(lambda: defaultdict(int))  # kind → tp_ours, tp_plain, total
    negatives = {"ours": 0, "plain": 0, "pairs": 0}
    for (i, (name_a, edit_a, _)), (j, (name_b, edit_b, _)) in combinations(enumerate(images), 2):
        ours = compare(signatures[i], signatures[j]) is not None
        baseline = hamming(plain[i], plain[j]) <= 31
        if name_a == name_b and (edit_a is None or edit_b is None):
            kind = counts[edit_a or edit_b]
            kind["total"] += 1
            kind["ours"] += ours
            kind["plain"] += baseline
        elif name_a != name_b:
            negatives["pairs"] += 1
            negatives["ours"] += ours
            negatives["plain"] += baseline
    return _table(images, edits, counts, negatives, ours_seconds, plain_seconds)


def _table(images, edits, counts, negatives, ours_seconds, plain_seconds) -> list[str]:
    photos = len({name for name, _, _ in images})
    lines = [
        f"{photos} photographs × {len(edits)} edits = {sum(kind['total'] for kind in counts.values())} positive pairs, "
        f"{negatives['pairs']:,} negative pairs (`python benchmarks/images_eval.py`; {machine()}).",
        "",
        "| edit | pairs | echoscope recall | plain PDQ ≤ 31 recall |",
        "|---|---:|---:|---:|",
    ]
    for edit, kind in counts.items():
        lines.append(f"| {edit} | {kind['total']} | {kind['ours'] / kind['total']:.2f} | {kind['plain'] / kind['total']:.2f} |")
    total = sum(kind["total"] for kind in counts.values())
    found = {who: sum(kind[who] for kind in counts.values()) for who in ("ours", "plain")}
    lines.append(f"| **all edits** | {total} | **{found['ours'] / total:.3f}** | {found['plain'] / total:.3f} |")
    lines += ["", "| | echoscope | plain PDQ ≤ 31 |", "|---|---:|---:|"]
    precision = {who: found[who] / (found[who] + negatives[who]) if found[who] + negatives[who] else 1.0 for who in found}
    lines.append(f"| false matches among negative pairs | {negatives['ours']} | {negatives['plain']} |")
    lines.append(f"| pairwise precision | {precision['ours']:.3f} | {precision['plain']:.3f} |")
    lines.append(f"| pairwise recall | {found['ours'] / total:.3f} | {found['plain'] / total:.3f} |")
    lines.append(
        "| hashing, images/s (2 processes; decode ≤ 512 px, then echoscope: trimming, PDQ with variants, ORB) | "
        f"{len(images) / ours_seconds:.0f} | {len(images) / plain_seconds:.0f} (decode + PDQ) |"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=None, help="use only the first N photographs")
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md alone")
    args = parser.parse_args()
    lines = [*evaluate(args.photos, EDITS), "", "**Held-out edits** (other parameters, not used to choose thresholds):", "",
             *evaluate(args.photos, HELD_OUT)]
    print("\n".join(lines))
    if not args.no_write:
        write_block("images-eval", "Image reuse: accuracy", lines)


if __name__ == "__main__":
    main()
