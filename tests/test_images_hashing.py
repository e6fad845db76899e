"""The pieces of image matching: decoding, border trimming, PDQ and its variants, ORB verification,
and the Hamming index against brute force."""

from __future__ import annotations

import io

import numpy as np
import pdqhash
import pytest
import skimage.data
from PIL import Image, ImageDraw, ImageOps

from echoscope.errors import ParseError
from echoscope.media import hamming_index, robust
from echoscope.media.hamming_index import HammingIndex
from echoscope.media.matching import compare, signature
from echoscope.media.pdq import decode, hamming, pdq_hash, trim_borders


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _captioned(image: Image.Image, text: str) -> Image.Image:
    band = image.height // 6
    framed = Image.new("RGB", (image.width, image.height + band), "white")
    framed.paste(image, (0, 0))
    ImageDraw.Draw(framed).text((8, image.height + band // 4), text, fill="black", font_size=band // 3)
    return framed


ASTRONAUT = Image.fromarray(skimage.data.astronaut())
COFFEE = Image.fromarray(skimage.data.coffee())


def test_the_hash_is_pdq_in_its_canonical_bit_order():
    pixels = np.asarray(COFFEE)
    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels))
    ours = pdq_hash(pixels)
    assert ours.hash == np.packbits(bits.astype(np.uint8)).tobytes()
    assert ours.quality == quality and ours.variants["original"] == ours.hash


def test_padding_is_trimmed_so_a_padded_repost_hashes_like_the_original():
    padded = ImageOps.expand(COFFEE, border=(60, 40), fill="black")
    assert trim_borders(np.asarray(padded)).shape == np.asarray(COFFEE).shape
    assert hamming(pdq_hash(np.asarray(padded)).hash, pdq_hash(np.asarray(COFFEE)).hash) <= 8


def test_trimming_stops_where_trimming_the_original_stops_and_keeps_most_of_a_flat_image():
    flat = np.full((100, 200, 3), 128, dtype=np.uint8)
    kept = trim_borders(flat)
    assert kept.shape[0] >= 40 and kept.shape[1] >= 80


def test_the_mirror_variant_matches_a_mirrored_repost():
    original = pdq_hash(np.asarray(ASTRONAUT))
    mirrored = pdq_hash(np.asarray(ImageOps.mirror(ASTRONAUT)))
    assert hamming(original.hash, mirrored.hash) > 80
    assert hamming(original.variants["mirror"], mirrored.hash) <= 31
    assert compare(signature(_png(ASTRONAUT), "a"), signature(_png(ImageOps.mirror(ASTRONAUT)), "b")).kind == "pdq"


def test_flat_images_have_low_quality_and_are_never_matched_on_pdq_alone():
    dark = signature(_png(Image.new("RGB", (300, 200), (10, 10, 10))), "dark")
    grey = signature(_png(Image.new("RGB", (300, 200), (128, 128, 128))), "grey")
    assert dark.pdq.quality < 50 and not dark.pdq.matchable
    assert compare(dark, grey) is None
    assert compare(dark, dark).kind == "exact"


def test_a_crop_is_found_by_the_robust_stage():
    cropped = ASTRONAUT.crop((40, 20, 490, 480))
    match = compare(signature(_png(ASTRONAUT), "a"), signature(_png(cropped), "b"))
    assert match is not None and match.kind == "robust" and match.distance >= robust.MIN_INLIERS


def test_the_same_caption_on_two_different_photographs_is_not_a_match():
    """Verified features confined to a caption strip (or a logo) are the band matching itself."""
    caption = "عاجل | صلواتكم لجيش روسيا العظيمة — BREAKING"
    a = signature(_png(_captioned(ASTRONAUT, caption)), "a")
    b = signature(_png(_captioned(COFFEE.resize(ASTRONAUT.size), caption)), "b")
    assert compare(a, b) is None


def test_features_survive_storage():
    features = robust.extract(np.asarray(COFFEE))
    again = robust.Features.from_bytes(features.to_bytes())
    assert again.size == features.size
    assert np.array_equal(again.points, features.points) and np.array_equal(again.descriptors, features.descriptors)
    assert np.array_equal(again.anchors, features.anchors) and len(features.anchors) <= robust.GRID**2 * robust.ANCHORS_PER_CELL


def test_what_is_not_an_image_is_a_parse_error_naming_it():
    with pytest.raises(ParseError, match="photos/x.jpg"):
        decode(b"\x89PNG but not really", "photos/x.jpg")


def test_a_decompression_bomb_is_refused(monkeypatch):
    monkeypatch.setattr("echoscope.media.pdq.MAX_PIXELS", 1000)
    with pytest.raises(ParseError, match="pixels"):
        decode(_png(Image.new("RGB", (100, 100))), "bomb.png")


def _codes_with_neighbours(rng, count: int) -> np.ndarray:
    codes = rng.integers(0, 256, (count, 32), dtype=np.uint8)
    bits = np.unpackbits(codes[: count // 4], axis=1)
    for row, flips in enumerate(rng.integers(25, 36, len(bits))):  # around the radius: 31 in, 32 out
        bits[row, rng.choice(256, flips, replace=False)] ^= 1
    return np.concatenate([codes, np.packbits(bits, axis=1)])


def _brute_force_pairs(codes: np.ndarray, radius: int) -> set[tuple[int, int, int]]:
    distances = np.unpackbits(codes[:, None, :] ^ codes[None, :, :], axis=2).sum(axis=2)
    left, right = np.nonzero(np.triu(distances <= radius, k=1))
    return {(int(a), int(b), int(distances[a, b])) for a, b in zip(left, right)}


@pytest.mark.parametrize("multi_index", [False, True])
def test_the_index_finds_exactly_the_pairs_brute_force_finds(multi_index):
    codes = _codes_with_neighbours(np.random.default_rng(7), 800)
    index = HammingIndex(codes, max_distance=31, few_queries=not multi_index)
    assert index.multi_index == multi_index
    pairs = index.pairs()
    found = {(int(a), int(b), int(d)) for a, b, d in zip(pairs.left, pairs.right, pairs.distance)}
    expected = _brute_force_pairs(codes, 31)
    assert found == expected and len(found) == len(pairs.left) and {d for _, _, d in expected} >= {31}
    _, rows, distances = next(index.search(codes[800:801]))
    assert {(int(r), int(d)) for r, d in zip(rows, distances)} == {(800, 0)} | {
        (a, d) for a, b, d in expected if b == 800} | {(b, d) for a, b, d in expected if a == 800}


def _crowded_codes(rng, count: int) -> np.ndarray:
    """Codes that crowd a few buckets, as real hashes do: many share their first bytes, some are exact
    duplicates, some differ from another by one bit in every 16-bit chunk (distance 16 but no chunk
    equal, so only the one-bit neighbour buckets find them)."""
    codes = rng.integers(0, 256, (count, 32), dtype=np.uint8)
    codes[: count // 2, :6] = 0
    codes[count // 2 : count // 2 + 20] = codes[0]
    ones = codes[: count // 4].copy()
    ones[:, ::2] ^= (1 << rng.integers(0, 8, (len(ones), 16))).astype(np.uint8)
    return np.concatenate([codes, ones])


def test_crowded_buckets_across_many_blocks_still_give_each_pair_once(monkeypatch):
    monkeypatch.setattr(hamming_index, "BLOCK", 1000)  # many blocks, some holding a single huge bucket
    codes = _crowded_codes(np.random.default_rng(3), 600)
    for radius in (16, 31):
        pairs = HammingIndex(codes, max_distance=radius).pairs()
        found = [(int(a), int(b), int(d)) for a, b, d in zip(pairs.left, pairs.right, pairs.distance)]
        assert len(found) == len(set(found)) and set(found) == _brute_force_pairs(codes, radius)


def test_queries_find_what_a_scan_finds_and_a_wide_radius_scans_everything():
    rng = np.random.default_rng(5)
    codes = _crowded_codes(rng, 500)
    queries = np.concatenate([codes[::9], _crowded_codes(rng, 40)])
    tables, scan = HammingIndex(codes, max_distance=31), HammingIndex(codes, max_distance=31, few_queries=True)
    assert tables.multi_index and not scan.multi_index
    ours, theirs = tables.matches(queries), scan.matches(queries)
    assert len(ours.left) > len(queries)
    for field in ("left", "right", "distance"):
        assert np.array_equal(getattr(ours, field), getattr(theirs, field))
    wide = HammingIndex(codes, max_distance=40)
    assert not wide.multi_index and set(zip(wide.pairs().left.tolist(), wide.pairs().right.tolist())) == {
        (a, b) for a, b, _ in _brute_force_pairs(codes, 40)}
