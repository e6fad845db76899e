"""The `media` enrich stage: perceptual hashes of every stored image, once per distinct file.

Incremental: only files whose SHA-256 has no image_hashes row are read, so a re-run after a new ingest
hashes the new pictures only. Each file is read back from where ingest found it (media/locate.py),
checked against its recorded SHA-256, decoded at most 512 pixels wide, and given its PDQ hash, quality,
dihedral variants and ORB features. A file that is no image is kept as `unreadable` with the reason;
one that cannot be found is counted and retried next run (the export may come back).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Iterator

from echoscope import __version__
from echoscope.errors import ParseError, SourceError
from echoscope.stages.base import Progress, Stage, StageReport
from echoscope.store import Store
from echoscope.store import images as image_store

INSTALL_HINT = "pip install 'echoscope[images]'"


def images_unavailable() -> str | None:
    """Why image stages cannot run here (a missing package), or None."""
    for module in ("PIL", "pdqhash", "cv2", "faiss"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed: {INSTALL_HINT}"
    return None


class MediaHashes(Stage):
    name = "media"
    kind = "enrich"
    description = "SHA-256, PDQ hash (with quality and mirror/rotation variants) and ORB features of every stored image."
    # media_dirs: where `collect web|telegram --media-dir` put downloads (the collectors' default first)
    defaults = {"batch_size": 500, "workers": 2, "media_dirs": ["echoscope-media"]}

    def unavailable(self) -> str | None:
        return images_unavailable()

    def run(self, store: Store, settings: dict, progress: Progress) -> StageReport:
        from echoscope.media.locate import MediaFiles

        counts = {"hashed": 0, "unreadable": 0, "unreachable": 0}
        notes: list[str] = []
        with store.reading() as conn:
            total = image_store.count_unhashed_images(conn)
        last = 0
        with MediaFiles(media_dirs=tuple(settings["media_dirs"])) as files, _pool(settings["workers"]) as pool:
            while True:
                with store.reading() as conn:
                    batch = image_store.unhashed_images(conn, last, settings["batch_size"])
                if not batch:
                    break
                last = batch[-1].media_pk
                rows = list(_hash_batch(files, batch, pool, counts, notes))
                with store.transaction() as conn:
                    image_store.write_hashes(conn, rows)
                progress(counts["hashed"] + counts["unreadable"], total)
        note = f"{counts['unreachable']} file(s) could not be read back (retried next run), e.g. {notes[0]}" if counts["unreachable"] else ""
        return StageReport(self.name, counts=counts, note=note)


def _pool(workers: int):
    return ProcessPoolExecutor(workers) if workers > 1 else _InProcess()


class _InProcess:
    """The executor shape, run here: for one worker and for tests."""

    def map(self, function, *iterables):
        return map(function, *iterables)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return None


def _hash_batch(files, batch, pool, counts: dict, notes: list[str]) -> Iterator[dict]:
    """Hash each distinct file of the batch once, from the first of its copies that can be read.
    (Files hashed in earlier batches are already stored, so the next batch's query leaves them out.)"""
    copies: dict[str, list] = {}
    for item in batch:
        copies.setdefault(item.sha256, []).append(item)
    readable = []
    for candidates in copies.values():
        reasons = []
        for item in candidates:
            try:
                readable.append((item, files.read(item.source, item.locator, item.path, item.sha256)))
                break
            except SourceError as exc:
                reasons.append(str(exc))
        else:
            counts["unreachable"] += 1
            if not notes:
                notes.append(reasons[0])
    now = datetime.now(UTC)
    results = pool.map(_hash_one, [data for _, data in readable], [f"{item.locator}: {item.path}" for item, _ in readable])
    for (item, _), result in zip(readable, results):
        counts["hashed" if result["status"] == "hashed" else "unreadable"] += 1
        yield result | {"sha256": item.sha256, "hashed_at": now, "tool_version": __version__}


def _hash_one(data: bytes, where: str) -> dict:
    """One file's image_hashes columns (runs in a worker process)."""
    from echoscope.media.matching import signature
    from echoscope.media.pdq import VARIANTS

    try:
        found = signature(data, where)
    except ParseError as exc:
        return {"status": "unreadable", "note": str(exc), "width": None, "height": None, "pdq": None,
                "quality": None, "variants": None, "features": None, "anchors": None}
    return {
        "status": "hashed",
        "note": None,
        "width": found.width,
        "height": found.height,
        "pdq": found.pdq.hash.hex(),
        "quality": found.pdq.quality,
        "variants": b"".join(found.pdq.variants[name] for name in VARIANTS),
        "features": found.features.to_bytes(),
        "anchors": found.features.anchor_descriptors.tobytes(),
    }
