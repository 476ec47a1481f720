"""Recognize: labels for the photo, from the local models or Rekognition (runtime decides).

It runs after Thumbnails and works from the stored thumbnail that suits the recognizer (the
1024 px one), so the original is decoded once per photo, by Thumbnails; Rekognition is pointed at
that thumbnail in S3 rather than sent its bytes. See processing.recognition.photo.
"""

from __future__ import annotations

from typing import Any

from processing.handlers._events import logged_step, photo_ref
from processing.recognition.photo import recognize_stored_photo
from processing.results import StoredThumbnail
from processing.runtime import config


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo = photo_ref(event)
    settings = config()
    with logged_step("Recognize", photo.photo_id):
        thumbnails = [StoredThumbnail.from_item(item) for item in event.get("thumbnails", [])]
        labels = recognize_stored_photo(
            photo.bucket,
            str(photo.key),
            thumbnails,
            settings.blob_store(),
            settings.recognizer(),
            limits=settings.limits,
        )
        return {"labels": [label.to_item() for label in labels]}
