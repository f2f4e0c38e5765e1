"""Is a figure legible on a given page background?

A figure with an opaque background carries its own contrast. A transparent one
takes the page's background, so its text and axes must stand out from the
light and the dark theme alike. Text, tick marks and axis lines are the thin,
neutral-grey strokes of the image: thin is what a 5×5 morphological opening
removes (filled areas such as heat maps and image grids survive it), neutral is
a small spread between the colour channels (data colours are left out).
"""

import base64
import io

import numpy as np
from PIL import Image
from scipy import ndimage

MIN_CONTRAST = 3.0  # WCAG 2.1: large text and graphical objects (1.4.3, 1.4.11)


def image_bytes(src: str, fetch) -> bytes:
    """Bytes of an <img> source: decoded data URI, or ``fetch(url)``."""
    if src.startswith("data:"):
        header, _, payload = src.partition(",")
        return base64.b64decode(payload) if header.endswith(";base64") else payload.encode()
    return fetch(src)


def relative_luminance(rgb) -> float:
    c = np.asarray(rgb, dtype=float) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def contrast(rgb_a, rgb_b) -> float:
    la, lb = sorted((relative_luminance(rgb_a), relative_luminance(rgb_b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def is_transparent(data: bytes) -> bool:
    """Whether the figure's background (its four corners) is see-through."""
    rgba = np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))
    corners = rgba[[0, 0, -1, -1], [0, -1, 0, -1], 3]
    return bool((corners < 8).all())


def ink_colour(data: bytes):
    """Median colour of the thin neutral strokes (text, ticks, axes), or None."""
    rgba = np.asarray(Image.open(io.BytesIO(data)).convert("RGBA")).astype(int)
    solid = rgba[..., 3] >= 128
    thin = solid & ~ndimage.binary_opening(solid, structure=np.ones((5, 5)))
    rgb = rgba[..., :3]
    neutral = (rgb.max(axis=-1) - rgb.min(axis=-1)) <= 24
    ink = thin & neutral
    if ink.sum() < 50:
        return None
    return tuple(int(v) for v in np.median(rgb[ink], axis=0))
