"""Recognizing a stored photo: what the Recognize step does, also used by the accuracy command
and the benchmark so that they measure exactly the pipeline's work."""

from __future__ import annotations

from processing.ports import Recognizer
from processing.recognition.labels import Label
from processing.thumbnails import upright_derivative
from processing.validation import Limits


def recognize_photo(
    original: bytes, recognizer: Recognizer, *, limits: Limits | None = None
) -> list[Label]:
    """Labels for the photo as people see it, from the upright derivative in the size the
    recognizer asks for (never the original: see processing.ports.Recognizer)."""
    image = upright_derivative(original, box=recognizer.image_size, limits=limits)
    return recognizer.recognize(image)
