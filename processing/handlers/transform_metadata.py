"""TransformMetadata: the extracted metadata, checked and shaped as the results item stores it."""

from __future__ import annotations

from typing import Any

from processing.handlers._events import logged_step
from processing.metadata import ImageMetadata
from processing.results import ResultItem, Status


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo_id = str(event["objectID"])
    with logged_step("TransformMetadata", photo_id):
        metadata = ImageMetadata.from_dict(event["extractedMetadata"])
        return ResultItem(photo_id, Status.RUNNING, metadata=metadata).metadata_attributes()
