"""Checks the pipeline's steps against a corpus of real files and their expected results.

    python -m processing.conformance DIR

reads DIR/manifest.json (one object per file: format, sizes, orientation, EXIF time, camera, GPS and
the expected outcome, as exiftool and independent decoders saw them), runs every file through
extract, validate and thumbnail, prints one line per mismatch and ends with ``N passed, N failed``.

A file of a format the pipeline supports is held to its ``expected_when_supported`` outcome where
the manifest gives one (files that were refused only for their format before WebP, HEIC and AVIF
support), to ``expected`` otherwise. Thumbnails are checked too: within their box, the displayed
aspect ratio, no metadata left in the bytes, and upright: each is compared with a reference made
independently (a full decode turned by the manifest's orientation), so a thumbnail turned the wrong
way fails.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pi_heif
from PIL import Image

from processing.formats import SUPPORTED_FORMATS, sniff_format
from processing.metadata import ImageMetadata, extract_metadata
from processing.rejections import ImageRejected
from processing.thumbnails import Thumbnail, make_thumbnails
from processing.validation import Limits, validate_image

GPS_TOLERANCE = 1e-5
# Correlation between our thumbnail and the independent reference, in grey. The same picture,
# resampled or colour-managed differently, correlates above 0.99 on the corpus; turned or mirrored,
# below 0.5. Pictures too flat to correlate fall back to the mean difference in levels (0-255).
UPRIGHT_MIN_CORRELATION = 0.9
FLAT_MAX_DIFFERENCE = 12.0
_ORACLE_TRANSPOSE = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.ROTATE_90, Image.Transpose.FLIP_TOP_BOTTOM],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.ROTATE_270, Image.Transpose.FLIP_TOP_BOTTOM],
    8: [Image.Transpose.ROTATE_90],
}


def check_file(path: Path, expected: dict[str, Any], limits: Limits) -> Iterator[str]:
    """Yields one message per way the pipeline's result differs from the manifest's."""
    data = path.read_bytes()
    outcome = expected_outcome(expected)
    try:
        metadata = extract_metadata(data)
        validate_image(metadata, limits)
        thumbnails = make_thumbnails(data, limits=limits)
    except ImageRejected as rejection:
        acceptable = outcome.get("acceptable_reasons") or [outcome.get("reason")]
        if outcome["outcome"] != "reject":
            yield f"rejected ({rejection.reason}: {rejection.message}) but should be accepted"
        elif rejection.reason.value not in acceptable:
            yield f"reason {rejection.reason.value!r}, expected one of {acceptable}"
        return
    if outcome["outcome"] == "reject":
        yield f"accepted but should be rejected as {outcome.get('reason')!r}"
        return
    yield from _compare_metadata(metadata, expected)
    for thumbnail in thumbnails:
        yield from _check_thumbnail(thumbnail, metadata, data, expected.get("orientation"))


def expected_outcome(entry: dict[str, Any]) -> dict[str, Any]:
    """The outcome the manifest expects of this pipeline, which decodes SUPPORTED_FORMATS."""
    when_supported = entry.get("expected_when_supported")
    if when_supported and entry.get("format") in SUPPORTED_FORMATS:
        return dict(when_supported)
    return dict(entry["expected"])


def _compare_metadata(metadata: ImageMetadata, expected: dict[str, Any]) -> Iterator[str]:
    taken_at = expected.get("datetime_original")
    expected_iso = (
        f"{taken_at[:10].replace(':', '-')}T{taken_at[11:19]}"
        if isinstance(taken_at, str)
        else None
    )
    pairs = {
        "format": (metadata.format, expected["format"]),
        "width": (metadata.width, expected["width"]),
        "height": (metadata.height, expected["height"]),
        "orientation": (metadata.orientation, expected["orientation"]),
        "display_width": (metadata.display_width, expected["display_width"]),
        "display_height": (metadata.display_height, expected["display_height"]),
        "file_size": (metadata.file_size, expected["file_size_bytes"]),
        "taken_at": ((metadata.taken_at or "")[:19] or None, expected_iso),
        "make": (metadata.camera_make, expected["make"]),
        "model": (metadata.camera_model, expected["model"]),
    }
    for field, (ours, theirs) in pairs.items():
        if ours != theirs:
            yield f"{field} is {ours!r}, expected {theirs!r}"
    latitude, longitude = expected.get("gps_latitude"), expected.get("gps_longitude")
    if latitude is None or longitude is None:
        if metadata.gps is not None:
            yield f"GPS {metadata.gps.latitude},{metadata.gps.longitude}, expected none"
    elif metadata.gps is None:
        yield f"no GPS, expected {latitude},{longitude}"
    elif (
        abs(metadata.gps.latitude - latitude) > GPS_TOLERANCE
        or abs(metadata.gps.longitude - longitude) > GPS_TOLERANCE
    ):
        found = f"{metadata.gps.latitude},{metadata.gps.longitude}"
        yield f"GPS {found}, expected {latitude},{longitude}"


def _check_thumbnail(
    thumbnail: Thumbnail, metadata: ImageMetadata, original: bytes, orientation: int | None
) -> Iterator[str]:
    label = f"thumbnail {thumbnail.size}"
    if max(thumbnail.width, thumbnail.height) > thumbnail.size:
        yield f"{label} is {thumbnail.width}x{thumbnail.height}, larger than its box"
    # Same aspect as displayed, allowing the one pixel that rounding may cost either side.
    drift = abs(
        thumbnail.width * metadata.display_height - thumbnail.height * metadata.display_width
    )
    if drift > max(metadata.display_width, metadata.display_height):
        yield (
            f"{label} is {thumbnail.width}x{thumbnail.height}, not the displayed shape "
            f"{metadata.display_width}x{metadata.display_height}"
        )
    image = Image.open(io.BytesIO(thumbnail.data))
    leftovers = sorted(
        key for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp") if key in image.info
    )
    if leftovers or len(image.getexif()) or b"Exif\x00" in thumbnail.data:
        yield f"{label} still carries metadata: {leftovers or ['EXIF']}"
    ours = _grey(image)
    reference = _reference(original, orientation, image.size)
    if ours.std() > 4 and reference.std() > 4:
        correlation = float(np.corrcoef(ours.ravel(), reference.ravel())[0, 1])
        if correlation < UPRIGHT_MIN_CORRELATION:
            yield f"{label} is not upright (correlation with the reference {correlation:.2f})"
    elif (difference := float(np.abs(ours - reference).mean())) > FLAT_MAX_DIFFERENCE:
        yield f"{label} differs from the reference by {difference:.1f} levels"


def _grey(image: Image.Image) -> np.ndarray:
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):  # Pillow would clip these at 255
        return np.asarray(image, dtype=np.float64) / 257
    return np.asarray(image.convert("RGBA").convert("L"), dtype=np.float64)


def _reference(original: bytes, orientation: int | None, size: tuple[int, int]) -> np.ndarray:
    """A full decode, turned by the manifest's orientation (not ours), scaled to ``size``.
    HEIC through pi-heif's own Pillow plugin, which libheif turns by the container's boxes
    already: only its EXIF orientation, which the plugin resets, would be applied twice."""
    if sniff_format(original) == "HEIC":
        decoded = pi_heif.open_heif(io.BytesIO(original)).to_pillow()
        orientation = None
    else:
        decoded = Image.open(io.BytesIO(original))
    grey = Image.fromarray(_grey(decoded).astype(np.float32), "F")
    for step in _ORACLE_TRANSPOSE.get(orientation or 1, []):
        grey = grey.transpose(step)
    return np.asarray(grey.resize(size, Image.Resampling.BICUBIC), dtype=np.float64)


def run(directory: Path, limits: Limits, out: Any = sys.stdout) -> tuple[int, int]:
    manifest = json.loads((directory / "manifest.json").read_text())
    passed = failed = 0
    for entry in manifest:
        problems = list(check_file(directory / entry["file"], entry, limits))
        for problem in problems:
            print(f"FAIL {entry['file']}: {problem}", file=out)
        if problems:
            failed += 1
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed", file=out)
    return passed, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m processing.conformance", description=__doc__)
    parser.add_argument("directory", type=Path, help="a folder holding manifest.json and its files")
    args = parser.parse_args(argv)
    _, failed = run(args.directory, Limits())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
