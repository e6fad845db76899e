"""PDQ perceptual hashes of images, after trimming the borders reposts add.

A repost is often the same picture letterboxed or padded with a flat colour; PDQ sees the border as part
of the picture and drifts far (20 % padding alone moves it past any useful threshold), so uniform
borders are cut first. Images are decoded at most `MAX_SIDE` pixels wide: PDQ reduces to 64×64 anyway,
and decoding a 4000-pixel JPEG at full size costs ten times more for the same hash.

Hashes are 32 bytes in PDQ's canonical bit order (their hex is what other PDQ tools print). The eight
dihedral variants (rotations and mirrors) come from the same pass, so matching a mirrored repost costs
no second decode.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np

from echoscope.errors import ParseError

MAX_SIDE = 512
MAX_PIXELS = 100_000_000  # larger "images" are refused as decompression bombs
BORDER_TOLERANCE = 16  # grey levels a border row may differ from the edge colour
BORDER_SHARE = 0.98  # share of a row that must be the edge colour for the row to count as border
MIN_KEPT = 0.4  # trimming never keeps less than this share of a side
MIN_QUALITY = 50  # PDQ's own advice: below this the hash describes a flat image, not a picture
# In the order pdqhash.compute_dihedral returns them (its FlipX turns the picture upside down, FlipY mirrors it).
VARIANTS = ("original", "rotate90", "rotate180", "rotate270", "upside_down", "mirror", "transpose", "transverse")


@dataclass(frozen=True)
class PdqHash:
    """The PDQ hash of one image, its quality (0–100) and the hashes of its dihedral variants."""

    hash: bytes
    quality: int
    variants: dict[str, bytes]

    @property
    def matchable(self) -> bool:
        return self.quality >= MIN_QUALITY


def decode(data: bytes, where: str) -> np.ndarray:
    """RGB pixels (uint8, H×W×3) of an encoded image, at most MAX_SIDE on its longer side."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ParseError(f"{image.width}×{image.height} pixels is more than {MAX_PIXELS:,}", location=where)
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG decodes at 1/2, 1/4 or 1/8 scale directly
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BILINEAR)
            return np.asarray(image)
    except ParseError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ParseError(f"not a readable image: {exc}", location=where) from None


def trim_borders(rgb: np.ndarray) -> np.ndarray:
    """The picture without uniform bars along its edges (letterbox, padding); never less than MIN_KEPT.

    Trimming repeats until nothing changes: a black pad around a photograph with a flat sky must end
    where trimming the photograph alone ends, or the two would hash apart."""
    grey = rgb.astype(np.int16).sum(axis=2) // 3
    top, left = 0, 0
    bottom, right = grey.shape
    while True:
        height, width = bottom - top, right - left
        limit_rows = int(grey.shape[0] * (1 - MIN_KEPT) / 2) - max(top, grey.shape[0] - bottom)
        limit_cols = int(grey.shape[1] * (1 - MIN_KEPT) / 2) - max(left, grey.shape[1] - right)
        view = grey[top:bottom, left:right]
        cuts = (
            _border_depth(view, limit_rows),
            _border_depth(view[::-1], limit_rows),
            _border_depth(view.T, limit_cols),
            _border_depth(view.T[::-1], limit_cols),
        )
        if not any(cuts) or height <= 2 or width <= 2:
            return rgb[top:bottom, left:right]
        top, bottom, left, right = top + cuts[0], bottom - cuts[1], left + cuts[2], right - cuts[3]


def _border_depth(lines: np.ndarray, limit: int) -> int:
    """How many leading lines are (almost all) the colour of the first line's median."""
    if limit <= 0:
        return 0
    edge = np.median(lines[0])
    uniform = (np.abs(lines[:limit] - edge) <= BORDER_TOLERANCE).mean(axis=1) >= BORDER_SHARE
    return int(limit if uniform.all() else np.argmin(uniform))


def pdq_hash(rgb: np.ndarray) -> PdqHash:
    """PDQ of the trimmed picture, with the hashes of its eight dihedral variants."""
    import pdqhash

    picture = np.ascontiguousarray(trim_borders(rgb))
    bit_vectors, quality = pdqhash.compute_dihedral(picture)
    hashes = [np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes() for bits in bit_vectors]
    return PdqHash(hashes[0], int(quality), dict(zip(VARIANTS, hashes, strict=True)))


def hamming(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()
