"""Recognize: labels for the photo, from the local models or Rekognition (runtime decides).

It looks at the upright 1024 px derivative, made here from the original rather than read from
the Thumbnails branch, which runs at the same time and may not have written it yet.
"""

from __future__ import annotations

from typing import Any

from processing.handlers._events import logged_step, photo_ref
from processing.runtime import config
from processing.thumbnails import upright_derivative

DERIVATIVE_SIZE = 1024


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo = photo_ref(event)
    settings = config()
    with logged_step("Recognize", photo.photo_id):
        original = settings.blob_store().get(str(photo.key))
        image = upright_derivative(original, box=DERIVATIVE_SIZE, limits=settings.limits)
        labels = settings.recognizer().recognize(image)
        return {"labels": [label.to_item() for label in labels]}
