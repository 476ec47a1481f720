"""Recognize: labels for the photo, from the local models or Rekognition (runtime decides).

The recognizer gets an upright derivative of the size it asks for (1024 px for Rekognition,
640 for the local models), made here from the original rather than read from the Thumbnails
branch, which runs at the same time and may not have written its thumbnails yet.
"""

from __future__ import annotations

from typing import Any

from processing.handlers._events import logged_step, photo_ref
from processing.recognition.photo import recognize_photo
from processing.runtime import config


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo = photo_ref(event)
    settings = config()
    with logged_step("Recognize", photo.photo_id):
        original = settings.blob_store().get(str(photo.key))
        labels = recognize_photo(original, settings.recognizer(), limits=settings.limits)
        return {"labels": [label.to_item() for label in labels]}
