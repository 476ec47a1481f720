"""The Rekognition recognizer under moto: what it sends (the stored thumbnail as an S3 object, or
JPEG bytes) and how it reads the answer."""

from __future__ import annotations

import io
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from PIL import Image

from processing.adapters.aws_rekognition import MAX_BYTES, RekognitionRecognizer
from processing.adapters.aws_s3 import S3BlobStore
from processing.ports import TransientError
from processing.recognition.photo import recognize_stored_photo
from processing.results import StoredThumbnail
from tests.processing.aws.conftest import BUCKET, REGION
from tests.processing.images import jpeg, orientation_card, png


@pytest.fixture
def rekognition(aws: None) -> Any:
    return boto3.client("rekognition", region_name=REGION)


def _capture(client: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.rekognition.DetectLabels", lambda params, **_: sent.append(params)
    )
    return sent


def test_it_sends_the_derivative_as_jpeg_bytes_with_the_reference_defaults(
    rekognition: Any,
) -> None:
    sent = _capture(rekognition)
    labels = RekognitionRecognizer(rekognition).recognize(Image.new("RGB", (1024, 683), "white"))

    (params,) = sent
    assert params["MaxLabels"] == 10
    assert params["MinConfidence"] == 60
    data = params["Image"]["Bytes"]
    assert data[:3] == b"\xff\xd8\xff"
    assert len(data) <= MAX_BYTES
    assert "S3Object" not in params["Image"]
    assert labels, "moto answers with labels"
    first = labels[0]
    assert first.recognizer == "rekognition"
    assert first.model_version == "3.0"
    assert 0 <= first.confidence <= 100
    assert first.to_item()["Name"] == first.name


def test_max_labels_and_min_confidence_are_configurable(rekognition: Any) -> None:
    sent = _capture(rekognition)
    recognizer = RekognitionRecognizer(rekognition, max_labels=3, min_confidence=85)
    recognizer.recognize(Image.new("RGB", (64, 64)))
    assert (sent[0]["MaxLabels"], sent[0]["MinConfidence"]) == (3, 85)


def test_labels_keep_instances_and_parents(rekognition: Any) -> None:
    answer = {
        "LabelModelVersion": "3.0",
        "Labels": [
            {
                "Name": "German Shepherd",
                "Confidence": 91.5,
                "Instances": [],
                "Parents": [{"Name": "Dog"}, {"Name": "Animal"}],
            },
            {
                "Name": "Person",
                "Confidence": 99.1,
                "Instances": [
                    {
                        "BoundingBox": {"Width": 0.2, "Height": 0.5, "Left": 0.1, "Top": 0.3},
                        "Confidence": 99.1,
                    }
                ],
                "Parents": [],
            },
        ],
    }
    with Stubber(rekognition) as stub:
        stub.add_response("detect_labels", answer)
        shepherd, person = RekognitionRecognizer(rekognition).recognize(Image.new("RGB", (8, 8)))
    assert shepherd.parents == ("Dog", "Animal")
    assert person.instances[0].box.left == pytest.approx(0.1)


def test_throttling_is_a_transient_error_the_state_machine_retries(rekognition: Any) -> None:
    # moto never throttles; botocore's own Stubber produces the error Rekognition would send.
    with Stubber(rekognition) as stub:
        stub.add_client_error("detect_labels", service_error_code="ThrottlingException")
        with pytest.raises(TransientError, match="ThrottlingException"):
            RekognitionRecognizer(rekognition).recognize(Image.new("RGB", (8, 8)))


def test_an_invalid_image_is_not_retried(rekognition: Any) -> None:
    with Stubber(rekognition) as stub:
        stub.add_client_error("detect_labels", service_error_code="InvalidImageFormatException")
        with pytest.raises(Exception, match="InvalidImageFormatException") as raised:
            RekognitionRecognizer(rekognition).recognize(Image.new("RGB", (8, 8)))
    assert not isinstance(raised.value, TransientError)


def test_a_stored_jpeg_thumbnail_is_read_by_rekognition_from_s3(s3: Any, rekognition: Any) -> None:
    sent = _capture(rekognition)
    store = S3BlobStore(s3, BUCKET)
    thumbnail = StoredThumbnail(1024, "private/7/resized/p/1024.jpg", 1024, 768, "image/jpeg")
    store.put(thumbnail.key, jpeg(orientation_card(1024, 768)), content_type="image/jpeg")

    labels = recognize_stored_photo(
        BUCKET, "private/7/uploads/3/p.jpg", [thumbnail], store, RekognitionRecognizer(rekognition)
    )

    assert sent[0]["Image"] == {"S3Object": {"Bucket": BUCKET, "Name": thumbnail.key}}
    assert labels, "moto answers with labels"


def test_a_transparent_thumbnail_is_sent_laid_on_white(s3: Any, rekognition: Any) -> None:
    sent = _capture(rekognition)
    store = S3BlobStore(s3, BUCKET)
    thumbnail = StoredThumbnail(1024, "private/7/resized/p/1024.png", 1024, 683, "image/png")
    clear = Image.new("RGBA", (1024, 683), (200, 0, 0, 0))
    store.put(thumbnail.key, png(clear), content_type="image/png")

    recognize_stored_photo(
        BUCKET, "private/7/uploads/3/p.png", [thumbnail], store, RekognitionRecognizer(rekognition)
    )

    with Image.open(io.BytesIO(sent[0]["Image"]["Bytes"])) as image:
        assert image.format == "JPEG"
        assert image.convert("RGB").getpixel((10, 10)) == (255, 255, 255)
