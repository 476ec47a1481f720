"""ExtractImageMetadata: the original's metadata, from its headers (see processing.metadata)."""

from __future__ import annotations

from typing import Any

from processing.handlers._events import logged_step, photo_ref
from processing.metadata import extract_metadata
from processing.runtime import config


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo = photo_ref(event)
    with logged_step("ExtractImageMetadata", photo.photo_id):
        data = config().blob_store().get(str(photo.key))
        return extract_metadata(data).to_dict()
