"""`make_thumbnails`: every configured size from one decode, upright, sRGB and metadata-free.

Speed comes from decoding as few pixels as possible. A JPEG is decoded at a reduced DCT scale
(1/2, 1/4 or 1/8, the smallest that still covers the largest thumbnail) with Pillow's ``draft``,
then resampled with Lanczos; each smaller size is made from the previous one. Resampling uses
``reducing_gap=1.0``: whole factors of two go through a box reduction first and Lanczos does the
rest, three times faster than Lanczos alone and, measured against a full-resolution Lanczos
reference, 46 dB PSNR (libvips' thumbnail: 39 dB; see docs/performance.md). Common PNGs (8-bit
grey, RGB or RGBA) are decoded by libspng, which is about 1.5x faster than Pillow's decoder; the
rare kinds (palettes, 16-bit, tRNS) go through Pillow. PNGs over 16 megapixels, which have no
reduced decode and would take hundreds of megabytes whole, are decoded strip by strip straight
into the largest size (processing.png_strips); progressive JPEGs too big for libjpeg to hold
their coefficients are read at 1/8 scale from their DC scans (processing.jpeg_dc). WebP and AVIF
are decoded by Pillow, HEIC by pi-heif (libheif, which turns the picture by its irot/imir boxes
itself). EXIF orientation (AVIF's boxes) is applied to the small result, and the output carries no
EXIF, GPS or ICC profile: always JPEG, or PNG where transparency must survive.
"""

from __future__ import annotations

import io
import logging
import struct
import warnings
from dataclasses import dataclass

from PIL import Image

# NumPy, pi_heif, pyspng and the strip and DC decoders they serve are imported where a file
# needs them (big PNGs, 16-bit grey, HEIF, huge progressive JPEGs), not here: together they
# are about 250 ms of a Lambda cold start that most photos, JPEGs, never use.
from processing import defaults, jpeg_scaled
from processing.color import as_rgb, to_srgb
from processing.containers import ImageHeader
from processing.metadata import metadata_from_header, read_header
from processing.rejections import Damage, ImageRejected
from processing.validation import DEFAULT_MAX_PIXELS, Limits, validate_image

_log = logging.getLogger(__name__)

DEFAULT_SIZES = defaults.THUMBNAIL_SIZES
DEFAULT_QUALITY = defaults.THUMBNAIL_QUALITY

# Pillow refuses images over twice this and warns over it; the warning is made an error below, so
# Pillow's own guard matches ours even if a header lied. Never None.
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


@dataclass(frozen=True, slots=True)
class Thumbnail:
    size: int  # the box it fits in, e.g. 250 for 250x250
    width: int
    height: int
    format: str  # "JPEG", or "PNG" where transparency must survive
    data: bytes

    @property
    def content_type(self) -> str:
        return "image/png" if self.format == "PNG" else "image/jpeg"

    @property
    def extension(self) -> str:
        return "png" if self.format == "PNG" else "jpg"


def fit_within(width: int, height: int, box: int) -> tuple[int, int]:
    """The size of ``width`` x ``height`` scaled to fit a ``box`` square, never enlarged."""
    scale = min(box / width, box / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def make_thumbnails(
    data: bytes,
    *,
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    quality: int = DEFAULT_QUALITY,
    limits: Limits | None = None,
) -> list[Thumbnail]:
    """Thumbnails for each box size, smallest first. Raises ImageRejected for unusable input."""
    limits = limits or Limits()
    header = read_header(data)
    metadata = metadata_from_header(header, file_size=len(data))
    validate_image(metadata, limits)

    largest = fit_within(header.width, header.height, max(sizes))
    image = _decode(data, header, largest, limits.max_pixels)
    image = _normalise_mode(image)
    stored, orientation = _decoded_geometry(image, header, metadata.orientation)

    thumbnails: list[Thumbnail] = []
    source = image
    for size in sorted(sizes, reverse=True):
        target = fit_within(*stored, size)
        if source.size != target:
            source = resample(source, target)
        if (
            not thumbnails
            and source.mode == "RGBA"
            and source.getchannel("A").getextrema()[0] == 255
        ):
            source = source.convert("RGB")  # alpha that is opaque everywhere is no reason for PNG
        thumbnails.append(_finish(source, size, header, orientation, quality))
    return thumbnails[::-1]


# From this much larger than the target down, a Hamming window (one lobe) resamples at a third of
# Lanczos' cost (three lobes) for a difference nobody sees: a 12 MP JPEG's 1024 px thumbnail is
# 49 dB PSNR from a full-resolution Lanczos reference, against 52 dB with Lanczos and 39 dB for
# libvips' thumbnail, and the job takes 27 ms less (docs/performance.md). Closer to the target,
# where every output pixel comes from few input pixels, Lanczos keeps its sharpness.
HAMMING_FROM = 1.5


def resample(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """``image`` at ``target``: Hamming for big reductions, Lanczos otherwise (see above);
    whole factors of two go through a box reduction first (``reducing_gap=1.0``)."""
    if image.width >= HAMMING_FROM * target[0] and image.height >= HAMMING_FROM * target[1]:
        return image.resize(target, Image.Resampling.HAMMING, reducing_gap=1.0)
    return image.resize(target, Image.Resampling.LANCZOS, reducing_gap=1.0)


def upright_derivative(data: bytes, *, box: int, limits: Limits | None = None) -> Image.Image:
    """The photo as people see it (upright, sRGB, RGB) fitting a ``box`` square: what recognition
    looks at. Transparent areas are laid on white, as the gallery shows them."""
    limits = limits or Limits()
    header = read_header(data)
    metadata = metadata_from_header(header, file_size=len(data))
    validate_image(metadata, limits)
    target = fit_within(header.width, header.height, box)
    eighths = jpeg_scaled.eighths_for(header, target)
    if eighths is not None:  # the decoder gives the size itself: no resampling
        image = _decode_scaled(data, header, eighths)
    else:
        image = _normalise_mode(_decode(data, header, target, limits.max_pixels))
    stored, orientation = _decoded_geometry(image, header, metadata.orientation)
    target = fit_within(*stored, box)
    if image.size != target and eighths is None:
        image = resample(image, target)
    shown = _upright_srgb(image, header, orientation)
    if shown.mode == "RGBA":
        flat = Image.new("RGB", shown.size, "white")
        flat.paste(shown, mask=shown.getchannel("A"))
        return flat
    return as_rgb(shown)


def _decode_scaled(data: bytes, header: ImageHeader, eighths: int) -> Image.Image:
    try:
        return jpeg_scaled.decode_scaled(data, header, eighths)
    except ValueError as error:
        raise _decoder_refusal(error) from error


def _decoded_geometry(
    image: Image.Image, header: ImageHeader, orientation: int | None
) -> tuple[tuple[int, int], int | None]:
    """The decoded picture's size and the orientation still to apply to it. libheif has turned a
    HEIC already (and cropped it to its clean aperture, if any): its pixels are as shown."""
    if header.format == "HEIC":
        return image.size, None
    return (header.width, header.height), orientation


def _decode(
    data: bytes, header: ImageHeader, target: tuple[int, int], max_pixels: int
) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            # Pillow parses EXIF on open (to spot MPO files) and warns about damaged tags; we read
            # EXIF ourselves, so those warnings say nothing here.
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if header.format == "PNG":
                from processing import png_strips

                if png_strips.wants_strips(header):
                    return png_strips.decode_reduced(data, header, target)
            if _libspng_handles(header):
                return _decode_png_with_libspng(data, header)
            if header.format == "JPEG" and header.interlaced:
                from processing import jpeg_dc

                if jpeg_dc.wants_dc_only(data):
                    return jpeg_dc.decode_dc(data)
            if header.format == "HEIC":
                return _decode_heic(data)
            image = Image.open(io.BytesIO(data), formats=[header.format])
            if header.format == "JPEG":
                image.draft(None, target)  # decode at 1/2, 1/4 or 1/8 scale where that suffices
            image.load()
            return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected.too_many_pixels(max_pixels) from None
    except ValueError as error:
        if "Decompressed data too large" in str(error):  # a PNG text-chunk decompression bomb
            raise ImageRejected.too_many_pixels(max_pixels) from error
        raise _decoder_refusal(error) from error
    except (OSError, SyntaxError, EOFError, RuntimeError, struct.error, IndexError) as error:
        raise _decoder_refusal(error) from error


def _decode_heic(data: bytes) -> Image.Image:
    """The primary picture, 8 bits per channel, turned by its boxes. pi-heif (not pillow-heif,
    whose wheels carry a GPL encoder) is libheif and libde265 for decoding only."""
    import pi_heif

    image = pi_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True).to_pillow()
    image.info = {}  # the colour profile comes from our header walk, EXIF is ours to read
    return image


def _libspng_handles(header: ImageHeader) -> bool:
    if header.format != "PNG" or header.bit_depth != 8:
        return False
    # Colour types 0 and 2 only without tRNS: libspng's automatic format would drop it.
    return header.png_color_type == 6 or (
        header.png_color_type in (0, 2) and not header.has_transparency
    )


def _decode_png_with_libspng(data: bytes, header: ImageHeader) -> Image.Image:
    import pyspng

    pixels = pyspng.load(data)
    mode = {0: "L", 2: "RGB", 6: "RGBA"}[header.png_color_type or 0]
    return Image.fromarray(pixels, mode)


def _normalise_mode(image: Image.Image) -> Image.Image:
    """L, RGB, RGBA or CMYK, with any transparency as a real alpha channel."""
    if image.mode in _SIXTEEN_BIT_MODES:
        return _sixteen_bit_grey_to_eight(image)
    if image.mode in ("L", "RGB", "RGBA", "CMYK") and "transparency" not in image.info:
        return image
    if image.mode in ("P", "PA", "LA", "La", "RGBa") or "transparency" in image.info:
        has_alpha = image.mode in ("PA", "LA", "La", "RGBa") or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    return image.convert("L" if image.mode == "1" else "RGB")


def _sixteen_bit_grey_to_eight(image: Image.Image) -> Image.Image:
    # Pillow's own conversion clips 16-bit values at 255 (a white picture); scale them instead.
    import numpy as np

    values = np.asarray(image)
    grey = Image.fromarray((values >> 8).astype(np.uint8), "L")
    transparent = image.info.get("transparency")
    if isinstance(transparent, int):
        grey.putalpha(Image.fromarray(np.where(values == transparent, 0, 255).astype(np.uint8)))
        return grey.convert("RGBA")
    return grey


def _finish(
    image: Image.Image, size: int, header: ImageHeader, orientation: int | None, quality: int
) -> Thumbnail:
    shown = _upright_srgb(image, header, orientation)
    shown.info = {}  # nothing from the original (EXIF, ICC, text) may reach the output
    out = io.BytesIO()
    if shown.mode == "RGBA":
        shown.save(out, "PNG", compress_level=6)
        kind = "PNG"
    else:
        shown.save(out, "JPEG", quality=quality)
        kind = "JPEG"
    return Thumbnail(size, shown.width, shown.height, kind, out.getvalue())


def _upright_srgb(image: Image.Image, header: ImageHeader, orientation: int | None) -> Image.Image:
    upright = image.transpose(_TRANSPOSE[orientation]) if orientation in _TRANSPOSE else image
    return to_srgb(upright, header.icc_profile)


# Decoders say why in their own words ("image file is truncated (8 bytes not processed)",
# "pyspng: could not decode image: reached chunk/cache limits"); these fragments sort them into
# the fixed reasons a person is shown. Anything else is damaged image data.
_ENDS_EARLY = ("truncated", "end of stream", "unexpected end", "premature end")
_LIMITS = ("chunk/cache limits",)


def _decoder_refusal(error: BaseException) -> ImageRejected:
    """The rejection for a decoder's error, in fixed plain words; its own text goes to the log."""
    text = str(error).lower()
    _log.info("decoder refused the image: %s: %s", type(error).__name__, error)
    if isinstance(error, EOFError) or any(fragment in text for fragment in _ENDS_EARLY):
        return ImageRejected.corrupt(Damage.ENDS_EARLY)
    if any(fragment in text for fragment in _LIMITS):
        return ImageRejected.too_complex()
    return ImageRejected.corrupt(Damage.IMAGE_DATA)
