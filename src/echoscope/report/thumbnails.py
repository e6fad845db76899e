"""Thumbnails of archived images for the report, re-encoded so no byte of the original reaches the page.

The file is read back through media/locate.py (same path safety as ingest, and it must still hash to the
SHA-256 recorded then), decoded by Pillow, shrunk and written as a fresh JPEG data: URI. Pillow is the
`images` extra; without it, or when the file is gone or changed, the report shows no thumbnail.
"""

from __future__ import annotations

import base64
import io

from echoscope.errors import SourceError
from echoscope.store import finding_sources

SIZE = (240, 240)


def thumbnail(conn, post_pk: int, version: int, sha256: str) -> str | None:
    try:
        from PIL import Image, UnidentifiedImageError

        from echoscope.media.locate import MediaFiles
    except ImportError:
        return None
    where = finding_sources.media_location(conn, post_pk, version, sha256)
    if where is None:
        return None
    try:
        data = MediaFiles().read(*where, sha256)
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail(SIZE)
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=80)
    except (SourceError, UnidentifiedImageError, OSError, ValueError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
