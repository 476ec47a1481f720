"""StoreImageMetadata: the extracted metadata, shaped as the results item holds it, stored while
the photo is still RUNNING (what TransformMetadata and StoreImageMetadata did as two functions)."""

from __future__ import annotations

from typing import Any

from processing.handlers._events import logged_step
from processing.metadata import ImageMetadata
from processing.runtime import config


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo_id = str(event["objectID"])
    with logged_step("StoreImageMetadata", photo_id):
        try:
            metadata = ImageMetadata.from_dict(event["extractedMetadata"])
        except (KeyError, TypeError) as error:
            raise ValueError(f"the task input has no usable extractedMetadata: {error}") from None
        if not metadata.format:
            raise ValueError("extractedMetadata holds no image format")
        config().result_store().record_metadata(photo_id, metadata)
        return {"stored": True}
