"""ExtractImageMetadata: the original's metadata, from its headers (see processing.metadata), and
the configured size and pixel limits checked on it before anything decodes the pixels (a
decompression bomb is refused by its declared size). The format check that follows is a Choice
state in the definition, not a function."""

from __future__ import annotations

from typing import Any

from processing.handlers._events import logged_step, photo_ref
from processing.metadata import extract_metadata
from processing.runtime import config
from processing.validation import validate_image


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo = photo_ref(event)
    settings = config()
    with logged_step("ExtractImageMetadata", photo.photo_id):
        metadata = extract_metadata(settings.blob_store().get(str(photo.key)))
        validate_image(metadata, settings.limits)
        return metadata.to_dict()
