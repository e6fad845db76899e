"""Finding the bytes of a stored media file again, from what the store recorded at ingest.

A media row keeps the path as the export wrote it, relative to its capture's root: the export folder
(or the folder of its result.json, or the folder inside its .zip) for Telegram Desktop, the table's
folder for a table source. The root comes from the capture's locator; a relative locator is taken from
the working directory, as at ingest. The live collectors (web preview, Telegram API) keep what they
download in media folders under content paths (`media/hashing.py: content_path`); those folders are
settings, searched in order. The same safety rules apply as at ingest (no path leaves the root;
a zip is checked against its limits before a member is read), and the bytes must still hash to the
SHA-256 recorded then: a file changed since is reported, never hashed as if it were the same.
"""

from __future__ import annotations

import functools
import hashlib
import os
import zipfile
from typing import BinaryIO, Callable, TypeVar

from echoscope.errors import SourceUnavailable, UnsafePath
from echoscope.media.hashing import digest_stream
from echoscope.sources._export_root import RESULT_NAME, ZipExport, open_export
from echoscope.sources._safe_paths import safe_parts

MAX_BYTES = 64 << 20  # an "image" larger than this is not one a channel posted
T = TypeVar("T")
LIVE_SOURCES = ("web", "telegram")  # capture sources whose media live in the collectors' media folders

Opener = Callable[[tuple[str, ...]], BinaryIO]  # the parts of a path inside a root → its bytes, as a stream


class MediaFiles:
    """Reads stored media by (capture source, capture locator, path, sha256); roots are opened once.
    Use it as a context manager: zipped exports stay open (reading a zip's directory per file would cost
    as much as the file)."""

    def __init__(self, max_bytes: int = MAX_BYTES, media_dirs: tuple[str, ...] = ()):
        self.max_bytes = max_bytes
        self.media_dirs = media_dirs
        self._opener = functools.lru_cache(maxsize=None)(self._open_root)
        self._archives: list[zipfile.ZipFile] = []

    def __enter__(self) -> "MediaFiles":
        return self

    def __exit__(self, *exc_info: object) -> None:
        for archive in self._archives:
            archive.close()
        self._opener.cache_clear()

    def read(self, source: str, locator: str, path: str, sha256: str) -> bytes:
        """The file's bytes; SourceUnavailable (or UnsafePath) says why they cannot be had."""
        data = self._consume(source, locator, path, lambda stream: stream.read(self.max_bytes + 1))
        if len(data) > self.max_bytes:
            raise SourceUnavailable(f"{locator}: {path}: larger than {self.max_bytes >> 20} MiB")
        if hashlib.sha256(data).hexdigest() != sha256:
            raise SourceUnavailable(f"{locator}: {path}: changed since it was ingested (SHA-256 differs)")
        return data

    def digest(self, source: str, locator: str, path: str) -> tuple[str, int]:
        """(SHA-256, size) of the file as it is now, read in chunks whatever its size; SourceUnavailable
        (or UnsafePath) says why it cannot be read."""
        return self._consume(source, locator, path, digest_stream)

    def _consume(self, source: str, locator: str, path: str, use: Callable[[BinaryIO], T]) -> T:
        where = f"{locator}: {path}"
        try:
            with self._opener(source, locator)(safe_parts(path)) as stream:
                return use(stream)
        except (OSError, zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:  # while reading
            raise SourceUnavailable(f"{where}: {exc}") from None

    def _open_root(self, source: str, locator: str) -> Opener:
        if source == "table":
            return functools.partial(self._from_folder, os.path.dirname(os.path.abspath(locator)))
        if source in LIVE_SOURCES:
            return self._from_media_dirs
        if source != "tdesktop":
            raise SourceUnavailable(f"media of the {source!r} source are not read back yet")
        with open_export(locator) as root:  # checks a zip's limits, finds result.json
            if isinstance(root, ZipExport):
                prefix = root.result_name.split("!", 1)[1][: -len(RESULT_NAME)]
                self._archives.append(zipfile.ZipFile(locator))
                return functools.partial(self._from_zip, self._archives[-1], prefix)
            return functools.partial(self._from_folder, os.path.dirname(os.path.abspath(root.result_name)))

    def _from_media_dirs(self, parts: tuple[str, ...]) -> BinaryIO:
        for folder in self.media_dirs:
            if os.path.exists(os.path.join(folder, *parts)):
                return self._from_folder(folder, parts)
        searched = ", ".join(self.media_dirs) or "none configured"
        raise SourceUnavailable(f"{'/'.join(parts)}: not in the media folders ({searched}; [stages.media] media_dirs)")

    def _from_folder(self, folder: str, parts: tuple[str, ...]) -> BinaryIO:
        where = os.path.join(folder, *parts)
        if not os.path.realpath(where).startswith(os.path.join(os.path.realpath(folder), "")):
            raise UnsafePath(f"{where}: resolves outside {folder}")
        try:
            fd = os.open(where, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO must not block
        except OSError as exc:
            raise SourceUnavailable(f"{where}: {exc.strerror or exc}") from None
        return os.fdopen(fd, "rb")

    def _from_zip(self, archive: zipfile.ZipFile, prefix: str, parts: tuple[str, ...]) -> BinaryIO:
        name = prefix + "/".join(parts)
        try:
            return archive.open(name)
        except KeyError:
            raise SourceUnavailable(f"{archive.filename}!{name}: no such member") from None
        except (OSError, zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
            raise SourceUnavailable(f"{archive.filename}!{name}: {exc}") from None
