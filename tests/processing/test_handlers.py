"""Each Lambda handler fed its recorded sample event from infra/events/, against local files."""

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from processing.handlers import (
    extract_metadata,
    recognize,
    record_result,
    s3_trigger,
    store_image_metadata,
    thumbnails,
)
from processing.recognition.labels import Label
from processing.rejections import ImageRejected
from processing.runtime import config
from tests.conftest import UsePipeline
from tests.processing.images import exif_block, jpeg, orientation_card

EVENTS = Path(__file__).resolve().parents[2] / "infra" / "events"


def sample_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


@pytest.fixture
def media(tmp_path: Path, use_pipeline: UsePipeline) -> Path:
    use_pipeline(PHOTOSHARE_BACKEND="local", PHOTOSHARE_VAR_DIR=str(tmp_path))
    return tmp_path / "media"


def upload(media: Path, event: dict[str, Any], data: bytes) -> None:
    store(media, event["s3Key"], data)


def store(media: Path, key: str, data: bytes) -> None:
    path = media / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def started(photo_id: str) -> None:
    """The RUNNING item the S3Trigger writes before the execution's steps run."""
    config().result_store().record_start(photo_id, f"arn:local:{photo_id}")


def test_extract_metadata_returns_json_ready_metadata(media: Path) -> None:
    event = sample_event("extract_metadata")
    upload(media, event, jpeg(orientation_card(640, 480), exif=exif_block(orientation=6)))

    result = extract_metadata.handler(event, None)

    assert json.loads(json.dumps(result)) == result
    assert result["format"] == "JPEG"
    assert (result["display_width"], result["display_height"]) == (480, 640)


def test_extract_metadata_refuses_photos_over_the_limits_before_decoding_them(
    media: Path, use_pipeline: UsePipeline
) -> None:
    event = sample_event("extract_metadata")
    upload(media, event, jpeg(orientation_card(640, 480)))
    use_pipeline(PHOTOSHARE_MAX_UPLOAD_PIXELS="300000")  # 640 x 480 is 307,200
    with pytest.raises(ImageRejected) as refused:
        extract_metadata.handler(event, None)
    assert json.loads(str(refused.value))["reason"] == "too-large-pixels"

    use_pipeline(PHOTOSHARE_MAX_UPLOAD_PIXELS="400000", PHOTOSHARE_MAX_UPLOAD_BYTES="100")
    with pytest.raises(ImageRejected) as refused:
        extract_metadata.handler(event, None)
    assert json.loads(str(refused.value))["reason"] == "too-large-bytes"


def test_thumbnails_are_stored_beside_the_original(media: Path) -> None:
    event = sample_event("thumbnails")
    upload(media, event, jpeg(orientation_card(2000, 1500)))
    started(event["objectID"])

    result = thumbnails.handler(event, None)

    photo_id = event["objectID"]
    assert [t["key"] for t in result["thumbnails"]] == [
        f"private/7/resized/{photo_id}/250.jpg",
        f"private/7/resized/{photo_id}/1024.jpg",
    ]
    stored = Image.open(media / result["thumbnails"][1]["key"])
    assert stored.size == (1024, 768)


def test_a_broken_upload_is_a_rejection_not_a_crash(media: Path) -> None:
    event = sample_event("thumbnails")
    upload(media, event, b"definitely not an image")
    started(event["objectID"])
    with pytest.raises(ImageRejected):
        thumbnails.handler(event, None)
    assert not (media / "private/7/resized").exists()


def test_an_event_outside_the_upload_layout_is_refused(media: Path) -> None:
    event = {**sample_event("extract_metadata"), "s3Key": "public/../../etc/passwd"}
    with pytest.raises(ValueError, match="not an upload key"):
        extract_metadata.handler(event, None)


def test_s3_trigger_starts_one_execution_per_upload_and_skips_other_keys(media: Path) -> None:
    event = sample_event("s3_trigger")
    store(media, event["Records"][0]["s3"]["object"]["key"], jpeg())
    first = s3_trigger.handler(event, None)
    again = s3_trigger.handler(event, None)  # S3 delivers at least once

    photo_id = "0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90"
    assert [s["objectID"] for s in first["started"]] == [photo_id]
    assert first["skipped"] == ["private/7/resized/0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90/250.jpg"]
    assert again["started"] == first["started"]
    database = config().local_database().read()
    assert database.execute("SELECT COUNT(*) FROM executions").fetchone()[0] == 1
    item = config().result_store().get_many([photo_id])[photo_id]
    assert (item.status.value, item.execution_arn) == (
        "RUNNING",
        first["started"][0]["executionArn"],
    )


def test_s3_trigger_decodes_url_encoded_keys(media: Path) -> None:
    event = sample_event("s3_trigger")
    record = event["Records"][0]
    record["s3"]["object"]["key"] = "private/7/uploads/3%2B4/abc.jpg"  # album "3+4"
    store(media, "private/7/uploads/3+4/abc.jpg", jpeg())
    result = s3_trigger.handler({"Records": [record]}, None)
    assert result["started"][0]["objectID"] == "abc"


def test_record_result_keeps_a_rejection_the_definition_shaped(media: Path) -> None:
    """The ImageTypeCheck Choice's Default: the cause is the rejection itself, not Lambda's."""
    photo_id = "0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90"
    started(photo_id)
    cause = json.dumps(
        {"reason": "unsupported-format", "message": "Not a JPEG image (its format is TGA)"}
    )
    event = {
        "outcome": "REJECTED",
        "objectID": photo_id,
        "error": {"Error": "ImageRejected", "Cause": cause},
    }
    record_result.handler(event, None)
    rejected = config().result_store().get_many([photo_id])[photo_id]
    assert (rejected.rejection_reason, rejected.message) == (
        "unsupported-format",
        "Not a JPEG image (its format is TGA)",
    )


def test_record_result_keeps_the_rejection_reason_in_plain_words(media: Path) -> None:
    started("0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90")
    assert record_result.handler(sample_event("record_result"), None) == {"status": "REJECTED"}
    item = config().result_store().get_many(["0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90"])
    rejected = item["0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90"]
    assert rejected.rejection_reason == "unsupported-format"
    assert rejected.message == "Not a JPEG, PNG, WebP, HEIC or AVIF image (it is a GIF file)"


def test_store_metadata_writes_what_extract_metadata_returned_as_the_item_holds_it(
    media: Path,
) -> None:
    photo_id = sample_event("store_image_metadata")["objectID"]
    started(photo_id)
    assert store_image_metadata.handler(sample_event("store_image_metadata"), None) == {
        "stored": True
    }
    item = config().result_store().get_many([photo_id])[photo_id]
    assert item.status.value == "RUNNING"
    assert item.metadata is not None
    assert (item.metadata.display_width, item.metadata.camera_model) == (3024, "iPhone 15")
    assert item.to_item()["geo"] == {"latitude": 38.7139, "longitude": -9.1394, "altitude": 12.5}


def test_recognize_reads_the_stored_thumbnail_and_record_success_keeps_them(
    media: Path,
) -> None:
    event = sample_event("recognize")
    started(event["objectID"])
    thumbnail = next(t for t in event["thumbnails"] if t["size"] == 1024)
    path = media / thumbnail["key"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jpeg(orientation_card(768, 1024)))  # no original: recognition never reads it
    result = recognize.handler(event, None)  # the real local models
    assert json.loads(json.dumps(result)) == result
    assert all(Label.from_item(label).recognizer == "local" for label in result["labels"])

    stored = record_result.handler(sample_event("record_result_success"), None)
    assert stored == {"status": "SUCCEEDED", "labelCount": 1}
    item = config().result_store().get_many([event["objectID"]])[event["objectID"]]
    assert item.status.value == "SUCCEEDED"
    assert [label.name for label in item.labels] == ["Dog"]
    assert [t.size for t in item.thumbnails] == [250, 1024]
