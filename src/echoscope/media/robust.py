"""The crop- and caption-robust second stage: ORB local features with geometric verification.

PDQ describes the whole frame, so cutting 5 % off an edge or adding a caption band moves it as far as
an unrelated picture (see docs/benchmarks.md). Local features survive both: the corners of the picture
itself are still there, at the same relative places. Two images match when enough of their ORB features
agree on one similarity transform (RANSAC) and spread over the picture, which unrelated pictures, even
of similar texture or carrying the same caption band or logo, do not manage.

To find candidates without comparing every pair, each image also names a few *anchors*: its strongest
features, a few per cell of a 4×4 grid so a caption band or a logo cannot take all of them. Anchors are
256-bit descriptors, the same shape as a PDQ hash, so the same Hamming index finds images that share
some; only those pairs are verified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_SIDE = 512
MIN_SIDE = 256
FEATURES = 500
# FAST threshold (OpenCV's default is 20): the strongest FEATURES corners are kept either way, so a
# sharp picture keeps its usual ones, and a soft one (or a soft one with a sharp caption) still has some.
FAINT_CORNERS = 5
GRID = 4
ANCHORS_PER_CELL = 4
ANCHOR_RADIUS = 31  # descriptor bits two anchors of the same corner may differ by (the exact index reaches 31)
MIN_SHARED_ANCHORS = 2
RATIO = 0.8  # Lowe's ratio test
REPROJECTION_PX = 5.0
MIN_INLIERS = 25  # verified features from which two images show the same picture; chosen by benchmarks/images_eval.py
# The verified features must span this share of the width and of the height of each image's features:
# the same caption band or logo on two different photographs matches perfectly, but only over its strip.
MIN_SPREAD = 0.3


@dataclass(frozen=True)
class Features:
    """ORB keypoints (x, y in pixels of the ≤ MAX_SIDE image), their descriptors, and which are anchors."""

    size: tuple[int, int]  # width, height of the image the points are in
    points: np.ndarray  # float32, N×2
    descriptors: np.ndarray  # uint8, N×32
    anchors: np.ndarray  # int32 indexes into points/descriptors

    def to_bytes(self) -> bytes:
        count = np.array([len(self.points), len(self.anchors), *self.size], dtype="<u4")
        return b"".join(
            (count.tobytes(), self.points.astype("<f4").tobytes(), self.descriptors.tobytes(), self.anchors.astype("<u4").tobytes())
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> "Features":
        points_count, anchor_count, width, height = (int(value) for value in np.frombuffer(data, dtype="<u4", count=4))
        at = 16
        points = np.frombuffer(data, dtype="<f4", count=points_count * 2, offset=at).reshape(-1, 2)
        at += points.nbytes
        descriptors = np.frombuffer(data, dtype=np.uint8, count=points_count * 32, offset=at).reshape(-1, 32)
        at += descriptors.nbytes
        anchors = np.frombuffer(data, dtype="<u4", count=anchor_count, offset=at).astype(np.int32)
        return cls((width, height), points, descriptors, anchors)

    @property
    def anchor_descriptors(self) -> np.ndarray:
        return self.descriptors[self.anchors]


def extract(rgb: np.ndarray) -> Features:
    """ORB features of an RGB image (already at most MAX_SIDE on its longer side)."""
    import cv2

    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    scale = MAX_SIDE / max(grey.shape)
    if scale < 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    elif max(grey.shape) < MIN_SIDE:  # ORB ignores a 31-pixel margin and needs room for its pyramid
        scale = MIN_SIDE / max(grey.shape)
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    keypoints, descriptors = cv2.ORB_create(nfeatures=FEATURES, fastThreshold=FAINT_CORNERS).detectAndCompute(grey, None)
    size = (grey.shape[1], grey.shape[0])
    if descriptors is None:
        return Features(size, np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), np.zeros(0, np.int32))
    points = np.array([keypoint.pt for keypoint in keypoints], dtype=np.float32)
    response = np.array([keypoint.response for keypoint in keypoints], dtype=np.float32)
    coarse = np.array([keypoint.octave >= 1 for keypoint in keypoints])
    return Features(size, points, descriptors, _anchors(points, response, coarse, grey.shape))


def _anchors(points: np.ndarray, response: np.ndarray, coarse: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The strongest ANCHORS_PER_CELL features of each grid cell, those of coarser pyramid levels first:
    big structures survive resizing, and the small sharp corners of a caption's type would otherwise
    outrank the picture's."""
    height, width = shape
    rows = np.minimum(points[:, 1] * GRID // height, GRID - 1)
    cols = np.minimum(points[:, 0] * GRID // width, GRID - 1)
    cell = (rows * GRID + cols).astype(np.int32)
    order = np.lexsort((-response, ~coarse, cell))
    first_of_cell = np.searchsorted(cell[order], np.arange(GRID * GRID))
    rank = np.arange(len(order)) - first_of_cell[cell[order]]
    return np.sort(order[rank < ANCHORS_PER_CELL]).astype(np.int32)


def stack_anchors(blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The stored anchors of many images as one N×32 array, and which image (position in `blobs`) owns each row."""
    owner = np.concatenate([np.full(len(blob) // 32, i, dtype=np.int64) for i, blob in enumerate(blobs)] or [np.zeros(0, np.int64)])
    return owner, np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(-1, 32)


def shared_anchors(a: Features, b: Features) -> int:
    """How many of a's anchors have a close descriptor among b's anchors (the candidate test)."""
    if not len(a.anchors) or not len(b.anchors):
        return 0
    distances = _hamming_matrix(a.anchor_descriptors, b.anchor_descriptors)
    return int((distances <= ANCHOR_RADIUS).any(axis=1).sum())


def _hamming_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.unpackbits(a[:, None, :] ^ b[None, :, :], axis=2).sum(axis=2, dtype=np.int32)


def verify(a: Features, b: Features) -> int:
    """The number of feature matches that agree on one similarity transform: the robust stage's score.

    Reposts are scaled, shifted and cut, not warped, so the model is rotation + uniform scale +
    translation; a full homography also fits degenerate, near-collinear sets such as one line of text."""
    import cv2

    if len(a.points) < 4 or len(b.points) < 4:
        return 0
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(a.descriptors, b.descriptors, k=2)
    good = [pair[0] for pair in pairs if len(pair) == 2 and pair[0].distance < RATIO * pair[1].distance]
    if len(good) < 4:
        return 0
    source = a.points[[match.queryIdx for match in good]]
    target = b.points[[match.trainIdx for match in good]]
    transform, inliers = cv2.estimateAffinePartial2D(source, target, method=cv2.RANSAC, ransacReprojThreshold=REPROJECTION_PX)
    if transform is None:
        return 0
    kept = inliers.ravel().astype(bool)
    if min(_spread(source[kept], a.points), _spread(target[kept], b.points)) < MIN_SPREAD:
        return 0
    return int(kept.sum())


def _spread(points: np.ndarray, everywhere: np.ndarray) -> float:
    """The smaller of the shares of the width and of the height of the image's features that `points` span."""
    if not len(points):
        return 0.0
    extent = np.maximum(everywhere.max(axis=0) - everywhere.min(axis=0), 1.0)
    return float(min((points.max(axis=0) - points.min(axis=0)) / extent))
