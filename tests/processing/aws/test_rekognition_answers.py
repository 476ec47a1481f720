"""Rekognition's answers through the pipeline in aws mode: a recorded DetectLabels response goes
through the real RekognitionRecognizer (botocore's Stubber stands in for the service), the
Recognize handler and RecordSuccess, and what lands in the results table (moto's DynamoDB) is
checked against issue 13's rules: nothing under MinConfidence, one label per name, parents as
Rekognition gives them, at most MaxLabels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from processing.handlers import recognize, record_result
from processing.recognition.labels import Label
from processing.runtime import PipelineConfig
from tests.conftest import UsePipeline
from tests.processing.aws.conftest import REGION, TABLE

RESPONSES = Path(__file__).parent / "rekognition_responses"
BUCKET = "photoshare-answers"
PHOTO = "0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90"
THUMBNAIL = {
    "size": 1024,
    "key": f"private/7/resized/{PHOTO}/1024.jpg",
    "width": 1024,
    "height": 683,
    "contentType": "image/jpeg",
}


def recorded(name: str) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads((RESPONSES / f"{name}.json").read_text())
    return answer


@pytest.fixture
def aws_mode(dynamodb: Any, use_pipeline: UsePipeline) -> UsePipeline:
    def use(**variables: str) -> PipelineConfig:
        return use_pipeline(
            PHOTOSHARE_BACKEND="aws",
            PHOTOSHARE_BUCKET=BUCKET,
            PHOTOSHARE_AWS_REGION=REGION,
            PHOTOSHARE_RESULTS_TABLE=TABLE,
            PHOTOSHARE_STATE_MACHINE_ARN="arn:aws:states:eu-west-1:123456789012:stateMachine:p",
            **variables,
        )

    return use


def stored_labels(config: PipelineConfig, answer: dict[str, Any]) -> list[Label]:
    """What the results table holds after Recognize got ``answer`` and RecordSuccess wrote it."""
    store = config.result_store()
    store.record_start(PHOTO, f"arn:aws:states:{REGION}:123456789012:execution:p:{PHOTO}")
    event = {"s3Bucket": BUCKET, "s3Key": f"private/7/uploads/3/{PHOTO}.jpg", "objectID": PHOTO}
    recognizer = config.recognizer()
    with Stubber(recognizer.client) as stub:  # type: ignore[attr-defined]
        stub.add_response(
            "detect_labels",
            answer,
            expected_params={
                "Image": {"S3Object": {"Bucket": BUCKET, "Name": THUMBNAIL["key"]}},
                "MaxLabels": config.max_labels,
                "MinConfidence": config.min_confidence,
            },
        )
        recognition = recognize.handler({**event, "thumbnails": [THUMBNAIL]}, None)
        stub.assert_no_pending_responses()
    record_result.handler(
        {
            "outcome": "SUCCEEDED",
            "objectID": PHOTO,
            "thumbnails": [THUMBNAIL],
            "labels": recognition["labels"],
        },
        None,
    )
    return list(store.get_many([PHOTO])[PHOTO].labels)


# Each answer with the MinConfidence it was given for (the Stubber checks that it is sent).
@pytest.mark.parametrize(
    ("name", "min_confidence"),
    [
        ("dog_and_owner_in_park", "60"),
        ("horses_in_field", "60"),
        ("kites_on_beach", "60"),
        ("desk_with_phone", "75"),
    ],
)
def test_a_recorded_answer_is_stored_as_rekognition_gave_it(
    aws_mode: UsePipeline, name: str, min_confidence: str
) -> None:
    config = aws_mode(PHOTOSHARE_RECOGNITION_MIN_CONFIDENCE=min_confidence)
    answer = recorded(name)
    labels = stored_labels(config, answer)

    given = answer["Labels"]
    assert [label.name for label in labels] == [raw["Name"] for raw in given]
    assert len({label.name for label in labels}) == len(labels)  # one label per name
    assert len(labels) <= config.max_labels
    assert min(label.confidence for label in labels) >= config.min_confidence
    for label, raw in zip(labels, given, strict=True):
        assert label.confidence == round(raw["Confidence"], 2)
        assert label.parents == tuple(parent["Name"] for parent in raw["Parents"])
        assert len(label.instances) == len(raw["Instances"])
        assert all(i.confidence >= config.min_confidence for i in label.instances)
        assert (label.recognizer, label.model_version) == ("rekognition", "3.0")


def test_nothing_under_the_default_min_confidence_of_60_is_asked_for_or_stored(
    aws_mode: UsePipeline,
) -> None:
    config = aws_mode()
    labels = stored_labels(config, recorded("horses_in_field"))
    assert config.min_confidence == 60  # sent as MinConfidence (the Stubber checks it)
    assert min(label.confidence for label in labels) == pytest.approx(64.39)


def test_instances_stay_one_box_per_object_under_one_label(aws_mode: UsePipeline) -> None:
    labels = {label.name: label for label in stored_labels(aws_mode(), recorded("kites_on_beach"))}
    assert [round(i.confidence, 2) for i in labels["Kite"].instances] == [99.2, 97.36, 88.19]
    assert len(labels["Person"].instances) == 2
    box = labels["Kite"].instances[0].box
    assert (box.left, box.top, box.width, box.height) == (0.1204, 0.0871, 0.0932, 0.1118)
    # An alias is another name for the same label, not a label of its own.
    assert "Ocean" not in labels


def test_each_parent_rekognition_lists_on_its_own_is_kept_at_its_childs_confidence(
    aws_mode: UsePipeline,
) -> None:
    labels = {label.name: label for label in stored_labels(aws_mode(), recorded("horses_in_field"))}
    assert labels["Foal"].parents == ("Animal", "Horse", "Mammal")
    assert labels["Horse"].parents == ("Animal", "Mammal")
    # Rekognition returns every ancestor as a label too, at the confidence of its most confident
    # descendant: a parent is never a lower-confidence label beside its child.
    assert labels["Mammal"].confidence == labels["Animal"].confidence == labels["Horse"].confidence


def test_a_configured_max_labels_is_asked_for_and_the_answer_kept_whole(
    aws_mode: UsePipeline,
) -> None:
    config = aws_mode(PHOTOSHARE_RECOGNITION_MAX_LABELS="5")
    answer = recorded("dog_and_owner_in_park")
    answer["Labels"] = answer["Labels"][:5]  # the service's five most confident
    labels = stored_labels(config, answer)
    assert [label.name for label in labels] == ["Dog", "Animal", "Canine", "Mammal", "Pet"]
