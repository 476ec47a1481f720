"""The real state machine definition, run locally from an S3 notification to a results item."""

import json
import threading
import uuid
from pathlib import Path

import pytest

from processing.handlers import record_result
from processing.keys import UploadKey
from processing.local.bucket import KeyAlreadyStored
from processing.local.pipeline import DEFINITION, load_definition, run_execution
from processing.local.worker import work_once
from processing.recognition.labels import Label
from processing.results import ResultItem, Status
from processing.runtime import PipelineConfig
from tests.conftest import UsePipeline
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import exif_block, jpeg, orientation_card, stored_for


def upload(pipeline: PipelineConfig, data: bytes, extension: str = "jpg") -> UploadKey:
    key = UploadKey("7", "3", str(uuid.uuid4()), extension)
    pipeline.local_bucket().put_object(str(key), data, content_type="image/jpeg")
    return key


def drain(pipeline: PipelineConfig) -> None:
    queue = pipeline.local_queue()
    while work_once(queue, pipeline):
        pass


def result(pipeline: PipelineConfig, key: UploadKey) -> ResultItem:
    return pipeline.result_store().get_many([key.photo_id])[key.photo_id]


def test_a_photo_goes_from_notification_to_a_succeeded_item(pipeline: PipelineConfig) -> None:
    photo = jpeg(
        stored_for(orientation_card(1200, 800), 6),
        exif=exif_block(orientation=6, make="Canon", gps=LISBON_GPS),
    )
    key = upload(pipeline, photo)
    drain(pipeline)

    item = result(pipeline, key)
    assert item.status is Status.SUCCEEDED
    assert item.metadata is not None
    assert (item.metadata.display_width, item.metadata.display_height) == (1200, 800)
    assert item.metadata.camera_make == "Canon"
    assert [(t.size, t.width, t.height) for t in item.thumbnails] == [
        (250, 250, 167),
        (1024, 1024, 683),
    ]
    for thumbnail in item.thumbnails:
        assert pipeline.blob_store().get(thumbnail.key)[:3] == b"\xff\xd8\xff"

    execution = pipeline.local_executions().get(item.execution_arn or "")
    assert execution is not None
    assert execution.status == "SUCCEEDED"
    assert [(e["state"], e["status"], e["branch"]) for e in execution.history] == [
        ("ExtractImageMetadata", "SUCCEEDED", ""),
        ("ImageTypeCheck", "SUCCEEDED", ""),
        ("StoreImageMetadata", "SUCCEEDED", ""),
        ("Thumbnails", "SUCCEEDED", ""),
        ("Recognize", "SUCCEEDED", ""),
        ("RecordSuccess", "SUCCEEDED", ""),
    ]
    recognize = next(e for e in execution.history if e["state"] == "Recognize")
    assert recognize["input"]["processed"]["thumbnails"] == [t.to_item() for t in item.thumbnails]


def test_a_rejection_is_recorded_with_its_reason_and_never_retried(
    pipeline: PipelineConfig,
) -> None:
    key = upload(pipeline, b"person\nbicycle\ncar\n")
    drain(pipeline)

    item = result(pipeline, key)
    assert item.status is Status.REJECTED
    assert item.rejection_reason == "unsupported-format"
    assert item.message == "Not a JPEG, PNG, WebP, HEIC or AVIF image"
    execution = pipeline.local_executions().get(item.execution_arn or "")
    assert execution is not None
    assert (execution.status, execution.error) == ("FAILED", "ImageRejected")
    first = execution.history[0]
    assert (first["state"], first["status"], first["attempts"]) == (
        "ExtractImageMetadata",
        "CAUGHT",
        1,
    )
    assert [e["state"] for e in execution.history][-2:] == ["RecordRejection", "Rejected"]


def test_an_unexpected_failure_is_recorded_as_failed_never_left_running(
    pipeline: PipelineConfig,
) -> None:
    key = upload(pipeline, jpeg())
    queue = pipeline.local_queue()
    assert work_once(queue, pipeline)  # the notification: the execution is started
    pipeline.blob_store().delete(str(key))  # the original vanishes before processing
    drain(pipeline)

    item = result(pipeline, key)
    assert item.status is Status.FAILED
    assert item.error == "BlobNotFound"
    assert item.message == "Something went wrong while processing this photo"


def test_a_repeated_notification_starts_nothing_new(pipeline: PipelineConfig) -> None:
    data = jpeg()
    key = upload(pipeline, data)
    drain(pipeline)
    pipeline.local_bucket().announce(str(key), size=len(data))
    drain(pipeline)

    database = pipeline.local_database().read()
    assert database.execute("SELECT COUNT(*) FROM executions").fetchone()[0] == 1
    assert result(pipeline, key).status is Status.SUCCEEDED  # not turned back into RUNNING


def test_keys_outside_the_upload_layout_start_nothing(pipeline: PipelineConfig) -> None:
    pipeline.local_bucket().announce("private/7/resized/abc/250.jpg", size=1)
    drain(pipeline)
    assert (
        pipeline.local_database().read().execute("SELECT COUNT(*) FROM executions").fetchone()[0]
        == 0
    )


def test_editing_the_definition_changes_what_runs(pipeline: PipelineConfig, tmp_path: Path) -> None:
    definition = json.loads(DEFINITION.read_text())
    # Skip thumbnails and recognition: metadata goes straight to RecordSuccess, with no
    # thumbnails or labels to record.
    definition["States"]["StoreImageMetadata"]["Next"] = "RecordSuccess"
    definition["States"]["RecordSuccess"]["Parameters"].pop("thumbnails.$")
    definition["States"]["RecordSuccess"]["Parameters"].pop("labels.$")
    edited = tmp_path / "edited.asl.json"
    edited.write_text(json.dumps(definition))

    key = UploadKey("7", "3", str(uuid.uuid4()), "jpg")
    pipeline.blob_store().put(str(key), jpeg(), content_type="image/jpeg")
    pipeline.result_store().record_start(key.photo_id)  # as the S3Trigger does first
    executions = pipeline.local_executions()
    executions.start(
        name=key.photo_id,
        execution_input={"s3Bucket": pipeline.bucket, "s3Key": str(key), "objectID": key.photo_id},
    )
    execution = run_execution(executions, key.photo_id, definition=load_definition(edited))

    assert execution.status == "SUCCEEDED"
    assert "Thumbnails" not in {event.state for event in execution.history}
    assert result(pipeline, key).thumbnails == ()


def test_recognition_that_cannot_run_fails_the_photo_with_the_reason(
    pipeline: PipelineConfig, tmp_path: Path, use_pipeline: UsePipeline
) -> None:
    without_models = use_pipeline(PHOTOSHARE_MODELS_DIR=str(tmp_path / "no-models"))
    key = upload(without_models, jpeg())
    drain(without_models)

    item = result(without_models, key)
    assert item.status is Status.FAILED
    assert item.error == "ModelsUnavailable"
    assert "make models" in (item.cause or "")


def test_record_success_writes_the_labels_with_the_final_state(pipeline: PipelineConfig) -> None:
    key = upload(pipeline, jpeg())
    pipeline.result_store().record_start(key.photo_id, "arn:local:test")
    dog = Label("Dog", 88.0, "local", "nanodet-g/test", parents=("Pet", "Mammal", "Animal"))
    recorded = record_result.handler(
        {"outcome": "SUCCEEDED", "objectID": key.photo_id, "labels": [dog.to_item()]}
    )
    assert recorded == {"status": "SUCCEEDED", "labelCount": 1}
    item = result(pipeline, key)
    assert (item.status, list(item.labels)) == (Status.SUCCEEDED, [dog])


def test_of_two_concurrent_puts_of_one_key_exactly_one_stores_and_announces(
    pipeline: PipelineConfig,
) -> None:
    key = str(UploadKey("7", "3", str(uuid.uuid4()), "jpg"))
    start = threading.Barrier(2, timeout=60)  # a thread that fails early must not strand the other
    outcomes: list[str] = []

    def put(data: bytes) -> None:
        bucket = pipeline.local_bucket()
        start.wait()
        try:
            bucket.put_object(key, data, content_type="image/jpeg")
        except KeyAlreadyStored:
            outcomes.append("refused")
        else:
            outcomes.append(data.decode())

    threads = [
        threading.Thread(target=put, args=(data,), daemon=True) for data in (b"first", b"second")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    (winner,) = [outcome for outcome in outcomes if outcome != "refused"]
    assert sorted(outcomes) == sorted([winner, "refused"])
    assert pipeline.blob_store().get(key) == winner.encode()
    assert pipeline.local_queue().pending() == 1


def test_a_key_stays_used_after_its_object_is_deleted(pipeline: PipelineConfig) -> None:
    key = upload(pipeline, jpeg())
    pipeline.blob_store().delete(str(key))
    with pytest.raises(KeyAlreadyStored):
        pipeline.local_bucket().put_object(str(key), jpeg(), content_type="image/jpeg")
    assert pipeline.blob_store().size(str(key)) is None
