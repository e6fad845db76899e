"""Deciding whether a path written inside an export may be followed at all.

An export is hostile until parsed: its JSON names media files by relative path, and a zip names its
members. Both are checked here, before anything is opened, so a crafted path can never reach a file
outside the export. The rules, each with the reason the analyst sees:

- no NUL byte, no absolute path, no Windows drive letter or UNC prefix;
- backslashes count as separators (Windows semantics), so `photos\\..\\..\\x` is a traversal;
- no `..` segment;
- no Unicode look-alike of `/` or `\\` (DIVISION SLASH, FULLWIDTH SOLIDUS, …), and nothing whose NFKC
  form would gain a separator or a `..` segment: another tool normalising the name must not turn it
  into a traversal.
"""

from __future__ import annotations

import re
import unicodedata

from echoscope.errors import UnsafePath

# Characters drawn like a slash or a backslash. NFKC folds some of them to "/" or "\" (U+FF0F,
# U+FF3C, U+FE68) and leaves the others alone (U+2215, U+2044, U+29F8 …), so both checks are needed.
_SLASH_LOOKALIKES = frozenset(
    "\u1735\u2044\u2215\u2216\u2571\u2572\u29f5\u29f8\u29f9\ufe68\uff0f\uff3c"
)
_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_parts(path: object) -> tuple[str, ...]:
    """The segments of a relative path, or `UnsafePath` saying why it may not be followed."""
    if not isinstance(path, str) or not path:
        raise UnsafePath("empty or non-text path")
    if "\x00" in path:
        raise UnsafePath("NUL byte in path")
    if not _SLASH_LOOKALIKES.isdisjoint(path):
        raise UnsafePath("Unicode look-alike of '/' or '\\' in path")
    if _DRIVE.match(path):
        raise UnsafePath("Windows drive letter in path")
    if path[0] in "/\\":
        raise UnsafePath("absolute path")
    parts = _split(path)
    if ".." in parts:
        raise UnsafePath("parent-directory segment '..' in path")
    folded = unicodedata.normalize("NFKC", path)
    if folded != path and (_separators(folded) != _separators(path) or ".." in _split(folded)):
        raise UnsafePath("Unicode characters that normalise to '/', '\\' or '..' in path")
    if not parts:
        raise UnsafePath("path names no file")
    return parts


def _split(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.replace("\\", "/").split("/") if part not in ("", "."))


def _separators(path: str) -> int:
    return path.count("/") + path.count("\\")
