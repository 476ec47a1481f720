"""Recognizer on Amazon Rekognition DetectLabels.

The reference architecture points Rekognition at the original in S3, so photos over 15 MB (or
over 10,000 px a side) are never tagged. Here Rekognition reads the 1024 px JPEG thumbnail that
the Thumbnails step stored (upright, sRGB, far under every limit), so its boxes line up with what
people see and the Recognize function downloads and decodes nothing; a derivative made in memory
(a transparent thumbnail laid on white, or an original when no thumbnail is big enough) goes as
JPEG bytes, under the 5 MB limit for bytes.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from processing import defaults
from processing.ports import TransientError
from processing.recognition.labels import Label, at_least

if TYPE_CHECKING:  # only an in-memory derivative needs Pillow; a stored thumbnail does not
    from PIL import Image

RECOGNIZER = "rekognition"
DEFAULT_MAX_LABELS = defaults.RECOGNITION_MAX_LABELS
DEFAULT_MIN_CONFIDENCE = defaults.RECOGNITION_MIN_CONFIDENCE
MAX_BYTES = 5 * 1024 * 1024  # Rekognition's limit for an image passed as bytes
_TRANSIENT = {
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "InternalServerError",
    "LimitExceededException",
}


class RekognitionRecognizer:
    image_size = 1024

    def __init__(
        self,
        client: Any,
        *,
        max_labels: int = DEFAULT_MAX_LABELS,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    ) -> None:
        self.client = client
        self.max_labels = max_labels
        self.min_confidence = min_confidence

    def recognize(self, image: Image.Image) -> list[Label]:
        return self._detect_labels({"Bytes": jpeg_bytes(image)})

    def recognize_stored(self, bucket: str, key: str) -> list[Label]:
        """Labels for a JPEG already in S3 (a thumbnail): Rekognition reads it with the
        caller's permissions."""
        return self._detect_labels({"S3Object": {"Bucket": bucket, "Name": key}})

    def _detect_labels(self, image: dict[str, Any]) -> list[Label]:
        try:
            response = self.client.detect_labels(
                Image=image, MaxLabels=self.max_labels, MinConfidence=self.min_confidence
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _TRANSIENT:
                raise TransientError(f"Rekognition {code}") from error
            raise
        version = str(response.get("LabelModelVersion", ""))
        labels = [_label(raw, version) for raw in response.get("Labels", [])]
        return at_least(labels, self.min_confidence)


def jpeg_bytes(image: Image.Image) -> bytes:
    """The derivative as JPEG, stepping quality down in the (theoretical) case it is too big."""
    for quality in (90, 75, 60):
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=quality)
        if out.tell() <= MAX_BYTES:
            return out.getvalue()
    raise ValueError("the image does not fit Rekognition's 5 MB limit for bytes")


def _label(raw: dict[str, Any], model_version: str) -> Label:
    return Label.from_item(
        {
            "Name": raw["Name"],
            "Confidence": raw["Confidence"],
            "Instances": [i for i in raw.get("Instances", []) if "BoundingBox" in i],
            "Parents": raw.get("Parents", []),
            "Recognizer": RECOGNIZER,
            "ModelVersion": model_version,
        }
    )
