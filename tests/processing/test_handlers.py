"""Each Lambda handler fed its recorded sample event from infra/events/, against local files."""

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from processing.handlers import extract_metadata, image_type_check, thumbnails
from processing.rejections import ImageRejected
from tests.processing.images import exif_block, jpeg, orientation_card

EVENTS = Path(__file__).resolve().parents[2] / "infra" / "events"


def sample_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


@pytest.fixture
def media(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PHOTOSHARE_BACKEND", "local")
    monkeypatch.setenv("PHOTOSHARE_VAR_DIR", str(tmp_path))
    return tmp_path / "media"


def upload(media: Path, event: dict[str, Any], data: bytes) -> None:
    path = media / event["s3Key"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_extract_metadata_returns_json_ready_metadata(media: Path) -> None:
    event = sample_event("extract_metadata")
    upload(media, event, jpeg(orientation_card(640, 480), exif=exif_block(orientation=6)))

    result = extract_metadata.handler(event, None)

    assert json.loads(json.dumps(result)) == result
    assert result["format"] == "JPEG"
    assert (result["display_width"], result["display_height"]) == (480, 640)


def test_image_type_check_accepts_the_sample_and_refuses_over_the_limits(
    media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = sample_event("image_type_check")
    assert image_type_check.handler(event, None) == {"accepted": True, "format": "JPEG"}

    monkeypatch.setenv("PHOTOSHARE_MAX_UPLOAD_PIXELS", "10000000")
    with pytest.raises(ImageRejected) as refused:
        image_type_check.handler(event, None)
    assert json.loads(str(refused.value))["reason"] == "too-large-pixels"


def test_thumbnails_are_stored_beside_the_original(media: Path) -> None:
    event = sample_event("thumbnails")
    upload(media, event, jpeg(orientation_card(2000, 1500)))

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
    with pytest.raises(ImageRejected):
        thumbnails.handler(event, None)
    assert not (media / "private/7/resized").exists()


def test_an_event_outside_the_upload_layout_is_refused(media: Path) -> None:
    event = {**sample_event("extract_metadata"), "s3Key": "public/../../etc/passwd"}
    with pytest.raises(ValueError, match="not an upload key"):
        extract_metadata.handler(event, None)
