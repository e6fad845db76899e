"""The demo's photographs: scikit-image's sample photos, edited the way channels repost images.

Only compose.py uses this (scikit-image and Pillow are needed to regenerate the example, not to run it).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageOps
from skimage import data


def _photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(data, name)())


def _captioned(image: Image.Image) -> Image.Image:
    """A dark caption band with the channel's handle, as channels stamp what they repost."""
    band = int(image.height * 0.16)
    framed = ImageOps.expand(image, border=(0, 0, 0, band), fill=(12, 12, 12))
    ImageDraw.Draw(framed).text((16, image.height + band // 3), "t.me/friends_of_russia_iq", fill=(255, 255, 255))
    return framed


EDITS = {
    "rocket_original": lambda: (_photo("rocket"), 92),
    "rocket_x": lambda: (_photo("rocket").resize((480, 320)), 75),
    "rocket_captioned": lambda: (_captioned(_photo("rocket")), 80),
    "rocket_small": lambda: (_photo("rocket").resize((448, 299)), 40),
    "astronaut": lambda: (_photo("astronaut"), 85),
    "coffee": lambda: (_photo("coffee"), 85),
    "chelsea": lambda: (_photo("chelsea"), 85),
}


def write_photo(key: str, path: Path) -> tuple[int, int, int]:
    """Write the edited photo as JPEG; returns width, height and file size as the export records them."""
    image, quality = EDITS[key]()
    path.parent.mkdir(parents=True, exist_ok=True)
    image.convert("RGB").save(path, "JPEG", quality=quality)
    return image.width, image.height, path.stat().st_size


def write_other_platforms_media(target: Path) -> dict[str, str]:
    """The photo as first posted on Facebook and then on X; paths relative to other-platforms.csv."""
    media = {"facebook": "other-platforms/rocket-facebook-2022.jpg", "x": "other-platforms/rocket-x-2023.jpg"}
    write_photo("rocket_original", target / media["facebook"])
    write_photo("rocket_x", target / media["x"])
    return media
