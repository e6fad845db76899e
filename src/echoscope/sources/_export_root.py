"""One view of a Telegram Desktop export, whether it is a folder or a .zip of one.

The parser only asks three things of an export: the bytes of its result.json, a hash of what was read,
and the evidence state of a media file named by a relative path. Both kinds answer them here, and the
safety rules live here too:

- a media path is checked by `safe_parts` before anything is opened; a folder export also refuses a
  path whose symlinks resolve outside the export, and anything that is not a regular file (a FIFO
  would block the reader);
- a zip is checked from its central directory before any member is read (entry count, total declared
  size, compression ratio, overlapping members, unsafe or duplicate names, nested archives), and while
  streaming a member may not yield more than its declared size. Nothing is ever extracted to disk.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
import zipfile
import zlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import BinaryIO

from echoscope.errors import ParseError, SourceUnavailable, UnsafePath
from echoscope.media.hashing import digest_stream, sha256_file, sha256_stream
from echoscope.model import (
    MEDIA_MISSING,
    MEDIA_REFUSED,
    MEDIA_STORED,
    MEDIA_UNAVAILABLE,
)
from echoscope.sources._safe_paths import safe_parts

GiB = 1 << 30
RESULT_NAME = "result.json"
# Members smaller than this are exempt from the ratio limit: a small file of zeros compresses 1000:1
# and is harmless; a bomb needs a large declared size, which this still catches.
RATIO_EXEMPT_BELOW = 1 << 20
# Distinct media hashes remembered per run: a sticker or forwarded photo is often referenced many
# times, but the memory must not grow with the export.
MEDIA_CACHE_SIZE = 16_384
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_MISSING_ERRNOS = (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG)
_LOCAL_HEADER_SIZE = 30


@dataclass(frozen=True)
class ArchiveLimits:
    """Hard limits a zipped export must respect before anything in it is read (zip-bomb defence)."""

    max_total_size: int = 20 * GiB  # sum of the declared uncompressed sizes
    max_entries: int = 1_000_000
    max_ratio: int = 200  # declared uncompressed size / compressed size, per member


@dataclass(frozen=True)
class MediaCheck:
    """What the export holds under one media path: a `model` media status, and the hash if stored."""

    status: str
    sha256: str | None = None
    size: int | None = None
    note: str | None = None


def open_export(path: str | os.PathLike[str], limits: ArchiveLimits = ArchiveLimits()) -> ExportRoot:
    """Open an export folder, a result.json file, or a .zip of an export."""
    locator = os.fspath(path)
    try:
        if os.path.isdir(locator):
            return FolderExport(locator, _find_result_in_folder(locator), inside=locator)
        with open(locator, "rb") as probe:
            is_zip = probe.read(4) in _ZIP_MAGIC
    except OSError as exc:
        raise SourceUnavailable(f"{locator}: {exc.strerror or exc}") from exc
    if is_zip:
        return ZipExport(locator, limits)
    return FolderExport(locator, locator)


class ExportRoot(ABC):
    """An opened export. Use it as a context manager; `media()` answers are cached per resolved path."""

    def __init__(self, locator: str, result_name: str):
        self.locator = locator  # as the analyst gave it
        self.result_name = result_name  # where result.json is, for warnings and error messages
        self._cached_check = functools.lru_cache(maxsize=MEDIA_CACHE_SIZE)(self._check_resolved)

    @abstractmethod
    def open_result(self) -> BinaryIO:
        """A new binary stream over result.json, from its first byte."""

    @abstractmethod
    def sha256(self) -> str:
        """SHA-256 of the raw bytes the analyst handed over: result.json, or the whole .zip."""

    def media(self, path: object) -> MediaCheck:
        """The evidence state of the file a message names by `path` (relative to the export)."""
        try:
            parts = safe_parts(path)
        except UnsafePath as exc:
            return MediaCheck(MEDIA_REFUSED, note=str(exc))
        return self._check(parts)

    @abstractmethod
    def _check(self, parts: tuple[str, ...]) -> MediaCheck:
        """Resolve safe path segments to a cache key and check it (or refuse it)."""

    @abstractmethod
    def _check_resolved(self, key: str) -> MediaCheck:
        """Open and hash the file behind a resolved key; called once per key thanks to the cache."""

    def close(self) -> None:
        self._cached_check.cache_clear()

    def __enter__(self) -> ExportRoot:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class FolderExport(ExportRoot):
    """An export on disk: a folder holding result.json and the media folders next to it."""

    def __init__(self, locator: str, result_path: str, *, inside: str | None = None):
        real_result = os.path.realpath(result_path)
        if inside is not None and not real_result.startswith(os.path.join(os.path.realpath(inside), "")):
            raise UnsafePath(f"{result_path}: resolves outside {inside} (symlink)")
        if not os.path.isfile(real_result):
            raise SourceUnavailable(f"{result_path}: not a regular file")
        super().__init__(locator, result_path)
        self._result = real_result
        self._root_prefix = os.path.join(os.path.dirname(real_result), "")
        self._real_folder = functools.lru_cache(maxsize=1024)(self._resolve_folder)

    def open_result(self) -> BinaryIO:
        try:
            return open(self._result, "rb")
        except OSError as exc:
            raise SourceUnavailable(f"{self.result_name}: {exc.strerror or exc}") from exc

    def sha256(self) -> str:
        return sha256_file(self._result)

    def _check(self, parts: tuple[str, ...]) -> MediaCheck:
        folder = self._real_folder(parts[:-1])
        if folder is None:
            return MediaCheck(MEDIA_REFUSED, note="resolves outside the export folder (symlink)")
        path = os.path.join(folder, parts[-1])
        if os.path.islink(path):
            path = os.path.realpath(path)
            if not path.startswith(self._root_prefix):
                return MediaCheck(MEDIA_REFUSED, note="resolves outside the export folder (symlink)")
        return self._cached_check(path)

    def _resolve_folder(self, parts: tuple[str, ...]) -> str | None:
        """The real path of a folder inside the export, or None if symlinks lead outside it.
        Cached: an export has a handful of media folders and a million files in them."""
        real = os.path.realpath(os.path.join(self._root_prefix, *parts))
        return real if os.path.join(real, "").startswith(self._root_prefix) else None

    def _check_resolved(self, key: str) -> MediaCheck:
        try:
            # O_NOFOLLOW: symlinks were resolved above, one here means the export changed since.
            # O_NONBLOCK: opening a FIFO must not wait for a writer.
            fd = os.open(key, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno in _MISSING_ERRNOS:
                return MediaCheck(MEDIA_MISSING, note="no such file in the export")
            return MediaCheck(MEDIA_UNAVAILABLE, note=f"cannot open: {exc.strerror or exc}")
        with os.fdopen(fd, "rb") as stream:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return MediaCheck(MEDIA_REFUSED, note="not a regular file")
            try:
                digest, size = digest_stream(stream)
            except OSError as exc:
                return MediaCheck(MEDIA_UNAVAILABLE, note=f"read error: {exc.strerror or exc}")
        return MediaCheck(MEDIA_STORED, sha256=digest, size=size)


class ZipExport(ExportRoot):
    """A .zip of an export, read in place: members are streamed for parsing and hashing."""

    def __init__(self, locator: str, limits: ArchiveLimits):
        try:
            self._file = open(locator, "rb")
        except OSError as exc:
            raise SourceUnavailable(f"{locator}: {exc.strerror or exc}") from exc
        try:
            self._zip = _open_checked_zip(self._file, locator, limits)
            self._members = _index_members(self._zip.infolist(), locator)
            result_member = _find_result_in_zip(self._members, locator)
        except BaseException:
            self._file.close()
            raise
        self._prefix = result_member[: -len(RESULT_NAME)]
        super().__init__(locator, f"{locator}!{result_member}")
        self._result_info = self._members[result_member]

    def open_result(self) -> BinaryIO:
        info = self._result_info
        if info.flag_bits & 0x1:
            raise SourceUnavailable(f"{self.result_name}: encrypted zip member")
        try:
            return _MemberStream(self._zip.open(info), info, self.result_name)
        except NotImplementedError as exc:
            raise SourceUnavailable(f"{self.result_name}: {exc}") from exc
        except zipfile.BadZipFile as exc:
            raise ParseError(f"corrupt zip member: {exc}", location=self.result_name) from exc

    def sha256(self) -> str:
        self._file.seek(0)
        return sha256_stream(self._file)

    def _check(self, parts: tuple[str, ...]) -> MediaCheck:
        name = self._prefix + "/".join(parts)
        if name not in self._members:
            return MediaCheck(MEDIA_MISSING, note="no such member in the zip")
        return self._cached_check(name)

    def _check_resolved(self, key: str) -> MediaCheck:
        info = self._members[key]
        if stat.S_ISLNK(info.external_attr >> 16):
            return MediaCheck(MEDIA_REFUSED, note="symbolic link inside the zip")
        if info.flag_bits & 0x1:
            return MediaCheck(MEDIA_UNAVAILABLE, note="encrypted zip member")
        where = f"{self.locator}!{key}"
        try:
            with _MemberStream(self._zip.open(info), info, where) as stream:
                digest, size = digest_stream(stream)
        except UnsafePath as exc:
            return MediaCheck(MEDIA_REFUSED, note=str(exc))
        except (ParseError, zipfile.BadZipFile, NotImplementedError, OSError) as exc:
            return MediaCheck(MEDIA_UNAVAILABLE, note=f"unreadable zip member: {exc}")
        return MediaCheck(MEDIA_STORED, sha256=digest, size=size)

    def close(self) -> None:
        super().close()
        self._zip.close()
        self._file.close()


class _MemberStream:
    """A zip member as a binary stream that never yields more than its declared size, and reports
    corruption as a ParseError naming the member."""

    def __init__(self, raw: BinaryIO, info: zipfile.ZipInfo, where: str):
        self._raw = raw
        self._declared = info.file_size
        self._where = where
        self._count = 0

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._raw.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ParseError(f"corrupt zip member: {exc}", location=f"{self._where}, byte {self._count}") from exc
        self._count += len(data)
        if self._count > self._declared:
            raise UnsafePath(f"{self._where}: inflates beyond the {self._declared} bytes its header declares")
        return data

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> _MemberStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _find_result_in_folder(folder: str) -> str:
    direct = os.path.join(folder, RESULT_NAME)
    if os.path.isfile(direct):
        return direct
    found = sorted(
        os.path.join(folder, entry.name, RESULT_NAME)
        for entry in os.scandir(folder)
        if entry.is_dir(follow_symlinks=False) and os.path.isfile(os.path.join(folder, entry.name, RESULT_NAME))
    )
    if len(found) == 1:
        return found[0]
    if found:
        raise SourceUnavailable(f"{folder}: {len(found)} exports inside; point at one of them")
    raise SourceUnavailable(f"{folder}: no {RESULT_NAME} here or in a single top-level folder")


def _open_checked_zip(file: BinaryIO, name: str, limits: ArchiveLimits) -> zipfile.ZipFile:
    # The entry count is read from the end record first: ZipFile() would build one object per
    # entry before we could count them.
    end_record = zipfile._EndRecData(file)
    if end_record is None:
        raise ParseError("not a readable zip archive (no end of central directory)", location=name)
    if end_record[zipfile._ECD_ENTRIES_TOTAL] > limits.max_entries:
        raise UnsafePath(f"{name}: more than {limits.max_entries} entries (limit max_entries)")
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ParseError(f"not a readable zip archive: {exc}", location=name) from exc
    _check_limits(archive.infolist(), name, limits)
    return archive


def _check_limits(infos: list[zipfile.ZipInfo], name: str, limits: ArchiveLimits) -> None:
    if len(infos) > limits.max_entries:
        raise UnsafePath(f"{name}: {len(infos)} entries, more than {limits.max_entries} (limit max_entries)")
    total = sum(info.file_size for info in infos)
    if total > limits.max_total_size:
        raise UnsafePath(
            f"{name}: {total} bytes uncompressed, more than {limits.max_total_size} (limit max_total_size)"
        )
    for info in infos:
        if info.file_size >= RATIO_EXEMPT_BELOW and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise UnsafePath(
                f"{name}: member {info.filename!r} expands more than {limits.max_ratio}:1 (limit max_ratio)"
            )
    # Members whose compressed data overlap are the signature of a non-recursive zip bomb.
    ordered = sorted(infos, key=lambda info: info.header_offset)
    for before, after in zip(ordered, ordered[1:]):
        if after.header_offset < before.header_offset + _LOCAL_HEADER_SIZE + before.compress_size:
            raise UnsafePath(f"{name}: members {before.filename!r} and {after.filename!r} overlap")


def _index_members(infos: list[zipfile.ZipInfo], name: str) -> dict[str, zipfile.ZipInfo]:
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if info.filename in ("./", "."):
            continue
        try:
            key = "/".join(safe_parts(info.filename))
        except UnsafePath as exc:
            raise UnsafePath(f"{name}: member {info.filename!r}: {exc}") from None
        if info.is_dir():
            continue
        if key in members:
            raise UnsafePath(f"{name}: two members named {key!r}")
        members[key] = info
    return members


def _find_result_in_zip(members: dict[str, zipfile.ZipInfo], name: str) -> str:
    if RESULT_NAME in members:
        return RESULT_NAME
    found = [key for key in members if key.count("/") == 1 and key.endswith("/" + RESULT_NAME)]
    if len(found) == 1:
        return found[0]
    if found:
        raise SourceUnavailable(f"{name}: {len(found)} exports inside; unzip it and point at one of them")
    nested = next((key for key in members if key.lower().endswith(".zip")), None)
    if nested:
        raise UnsafePath(f"{name}: no {RESULT_NAME}, only a nested archive {nested!r}; nested zips are not opened")
    raise SourceUnavailable(f"{name}: no {RESULT_NAME} at the top or in a single top-level folder")
