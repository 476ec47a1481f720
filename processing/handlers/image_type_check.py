"""ImageTypeCheck: refuses images over the configured limits before anything decodes them."""

from __future__ import annotations

from typing import Any

from processing.handlers._events import logged_step, photo_ref
from processing.metadata import ImageMetadata
from processing.runtime import config
from processing.validation import validate_image


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo = photo_ref(event)
    with logged_step("ImageTypeCheck", photo.photo_id):
        try:
            metadata = ImageMetadata.from_dict(event["extractedMetadata"])
        except (KeyError, TypeError) as error:
            raise ValueError(f"the task input has no usable extractedMetadata: {error}") from None
        validate_image(metadata, config().limits)
        return {"accepted": True, "format": metadata.format}
