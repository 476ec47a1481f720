"""Converting decoded pixels to plain sRGB, so colours look right in viewers that ignore profiles.

Thumbnails carry no ICC profile (no metadata at all), so their pixels must already be sRGB: a
Display P3 or Adobe RGB photo would otherwise look dull, and a CMYK one inverted or garish.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache

from PIL import Image, ImageCms

logger = logging.getLogger(__name__)

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def as_rgb(image: Image.Image) -> Image.Image:
    """The image in RGB: itself when it already is (``convert`` always copies, about a
    millisecond for a 640 px picture on the recognizer's path)."""
    return image if image.mode == "RGB" else image.convert("RGB")


@lru_cache(maxsize=32)
def _transform_to_srgb(icc_profile: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached transform from the embedded profile (built once per distinct profile)."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if mode == "RGB" and "sRGB" in (ImageCms.getProfileDescription(source) or ""):
            return None  # already sRGB: converting would only cost time
        return ImageCms.buildTransform(
            source, _SRGB, mode, "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as error:
        logger.info(
            "Ignoring an unusable ICC profile (%s); colours are converted without it", error
        )
        return None


def to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """RGB, RGBA or L pixels in sRGB. Alpha is kept apart from the colour transform."""
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    colour = image.convert("RGB") if alpha is not None else image
    if colour.mode in ("RGB", "CMYK") and icc_profile:
        transform = _transform_to_srgb(icc_profile, colour.mode)
        if transform is not None:
            try:
                colour = ImageCms.applyTransform(colour, transform) or colour
            except (ImageCms.PyCMSError, ValueError) as error:
                logger.info("ICC transform failed (%s); converting without it", error)
    if colour.mode == "CMYK":
        colour = colour.convert("RGB")
    if alpha is not None:
        colour.putalpha(alpha)
    return colour
