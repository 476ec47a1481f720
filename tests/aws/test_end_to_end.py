"""aws mode end to end, without an AWS account: Django against moto in server mode.

The browser's part is played by an HTTP client that POSTs the presigned form to moto's S3; the
S3 notification S3 would send goes to the S3Trigger handler, which starts the execution in (moto's)
Step Functions; moto cannot run Lambda code without Docker, so the local runner stands in for Step
Functions, executing the same definition with every task on the AWS adapters (S3 and DynamoDB in
moto); and the gallery shows the result read from DynamoDB. `make test-aws` runs this alone.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from typing import Any

import boto3
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from albums.models import Album, Photo
from processing.handlers import s3_trigger
from processing.local.pipeline import current_definition, resources
from processing.local.s3_events import object_created
from processing.statemachine.runner import ExecutionFailed, Runner
from tests.albums.photo_helpers import changes
from tests.albums.photo_helpers import ticket as request_ticket
from tests.aws.conftest import aws_mode
from tests.conftest import UsePipeline
from tests.infra.cfn import create_photo_bucket, create_results_table, state_machine_definition
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import exif_block, jpeg, orientation_card, stored_for

pytestmark = [pytest.mark.aws, pytest.mark.django_db]
REGION = "eu-west-1"
BUCKET = "photoshare-e2e"
TABLE = "ImageMetadata"


@pytest.fixture
def stack(moto_server: str, use_pipeline: UsePipeline) -> dict[str, str]:
    """What `sam deploy` would create, created in moto; both halves configured for aws mode."""
    # Built from infra/template.yaml's own properties (keys, indexes, versioning), not copies.
    create_photo_bucket(
        boto3.client("s3", region_name=REGION, endpoint_url=moto_server), BUCKET, REGION
    )
    create_results_table(
        boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_server), TABLE
    )
    machine = boto3.client("stepfunctions", region_name=REGION, endpoint_url=moto_server)
    arn = machine.create_state_machine(
        name="PhotoPipeline",
        definition=state_machine_definition(),
        roleArn="arn:aws:iam::123456789012:role/photoshare",
    )["stateMachineArn"]
    aws_mode(
        use_pipeline, moto_server, bucket=BUCKET, table=TABLE, state_machine_arn=arn, region=REGION
    )
    return {"endpoint": moto_server, "state_machine": arn}


def post_form(url: str, fields: dict[str, str], data: bytes, content_type: str) -> int:
    """A multipart POST as a browser sends it: the fields, then the file, last."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, value in fields.items():
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    body += (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def run_pipeline(
    execution_input: dict[str, Any], arn: str, tasks: dict[str, Any] | None = None
) -> str:
    """What Step Functions would do with the execution: the same definition, the same tasks
    (retry waits recorded, not slept)."""
    runner = Runner(current_definition(), tasks or resources(), sleep=lambda seconds: None)
    execution = runner.run(execution_input, context={"Execution": {"Id": arn}})
    return execution.status


def test_upload_to_s3_pipeline_to_dynamodb_and_the_gallery(
    stack: dict[str, str], alice_client: Client, alices_album: Album
) -> None:
    photo_bytes = jpeg(
        stored_for(orientation_card(1200, 800), 6),
        exif=exif_block(orientation=6, make="Canon", model="Canon EOS R6", gps=LISBON_GPS),
    )
    ticket = request_ticket(alice_client, alices_album, filename="tram.jpg", size=len(photo_bytes))
    ticket = ticket.json()
    upload = ticket["upload"]
    assert upload["url"].startswith(stack["endpoint"])  # straight to S3, never through Django
    assert post_form(upload["url"], upload["fields"], photo_bytes, "image/jpeg") == 204

    key = upload["fields"]["key"]
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=stack["endpoint"])
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == photo_bytes

    event = object_created(BUCKET, key, size=len(photo_bytes))
    started = s3_trigger.handler(event, None)["started"]
    assert [s["objectID"] for s in started] == [ticket["photoId"]]
    machine = boto3.client("stepfunctions", region_name=REGION, endpoint_url=stack["endpoint"])
    executions = machine.list_executions(stateMachineArn=stack["state_machine"])["executions"]
    assert [e["name"] for e in executions] == [ticket["photoId"]]
    execution_input = json.loads(
        machine.describe_execution(executionArn=started[0]["executionArn"])["input"]
    )

    assert run_pipeline(execution_input, started[0]["executionArn"]) == "SUCCEEDED"

    feed = changes(alice_client, alices_album)
    assert [(p["id"], p["status"]) for p in feed["photos"]] == [(ticket["photoId"], "SUCCEEDED")]
    photo = Photo.objects.get(pk=ticket["photoId"])
    assert (photo.display_width, photo.display_height, photo.camera_model) == (
        1200,
        800,
        "Canon EOS R6",
    )
    assert photo.latitude == pytest.approx(38.7139, abs=1e-4)
    # Rekognition (moto's, which names every picture a phone) through DynamoDB into the gallery.
    (label,) = photo.labels
    assert (label["Name"], label["Recognizer"], label["ModelVersion"]) == (
        "Mobile Phone",
        "rekognition",
        "3.0",
    )
    assert [p.pk for p in Photo.objects.labelled("phone", owner=alices_album.owner)] == [photo.pk]

    gallery = alice_client.get(reverse("albums:detail", args=[alices_album.pk])).content.decode()
    thumbnail_url = re.search(r'<img class="photo-card__image" src="([^"]+)"', gallery).group(1)
    thumbnail_url = thumbnail_url.replace("&amp;", "&")
    assert thumbnail_url.startswith(f"{stack['endpoint']}/{BUCKET}/private/")
    with urllib.request.urlopen(thumbnail_url) as response:
        assert response.read()[:3] == b"\xff\xd8\xff"

    page = alice_client.get(reverse("albums:photo", args=[photo.pk])).content.decode()
    console = (
        f"https://{REGION}.console.aws.amazon.com/states/home?region={REGION}"
        f"#/v2/executions/details/{started[0]['executionArn']}"
    )
    assert console in page.replace("&amp;", "&")
    # The viewer's 1024 px preview at once and, for zooming, the original: both from S3.
    preview_url = re.search(r'<img class="viewer__image" src="([^"]+)"', page).group(1)
    original_url = re.search(r'data-original="([^"]+)"', page).group(1)
    for url in (preview_url, original_url):
        with urllib.request.urlopen(url.replace("&amp;", "&")) as response:
            assert response.read()[:3] == b"\xff\xd8\xff"


def test_a_rejected_upload_is_recorded_in_dynamodb_with_its_reason(
    stack: dict[str, str], alice_client: Client, alices_album: Album
) -> None:
    text = b"person\nbicycle\n"
    ticket = request_ticket(alice_client, alices_album, filename="notes.jpg", size=len(text)).json()
    upload = ticket["upload"]
    assert post_form(upload["url"], upload["fields"], text, "image/jpeg") == 204
    event = object_created(BUCKET, upload["fields"]["key"], size=len(text))
    started = s3_trigger.handler(event, None)
    execution = started["started"][0]
    photo_input = {
        "s3Bucket": BUCKET,
        "s3Key": upload["fields"]["key"],
        "objectID": ticket["photoId"],
    }
    assert run_pipeline(photo_input, execution["executionArn"]) == "FAILED"

    (card,) = changes(alice_client, alices_album)["photos"]
    assert card["status"] == "REJECTED"
    assert "Not a JPEG, PNG, WebP, HEIC or AVIF image" in card["html"]


def test_a_stored_upload_whose_event_was_lost_is_replayed_through_the_trigger(
    stack: dict[str, str], alice_client: Client, alices_album: Album, settings: Settings
) -> None:
    photo_bytes = jpeg()
    stored = request_ticket(alice_client, alices_album, size=len(photo_bytes)).json()
    never_sent = request_ticket(alice_client, alices_album, filename="lost.jpg").json()
    upload = stored["upload"]
    assert post_form(upload["url"], upload["fields"], photo_bytes, "image/jpeg") == 204
    # S3's notification never reached the trigger (no queue, no retry left), and the tickets
    # have expired: storage, not the clock, tells the two photos apart.
    expired = timezone.now() - timedelta(seconds=settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS + 61)
    Photo.objects.update(ticket_issued_at=expired)

    feed = {p["id"]: p["status"] for p in changes(alice_client, alices_album)["photos"]}
    assert feed == {stored["photoId"]: "PROCESSING", never_sent["photoId"]: "INTERRUPTED"}
    machine = boto3.client("stepfunctions", region_name=REGION, endpoint_url=stack["endpoint"])
    (execution,) = machine.list_executions(stateMachineArn=stack["state_machine"])["executions"]
    assert execution["name"] == stored["photoId"]

    execution_input = json.loads(
        machine.describe_execution(executionArn=execution["executionArn"])["input"]
    )
    assert run_pipeline(execution_input, execution["executionArn"]) == "SUCCEEDED"
    assert changes(alice_client, alices_album, 0)["counts"]["done"] == 1


def test_a_photo_lambda_cannot_record_is_marked_failed_by_the_direct_dynamodb_update(
    stack: dict[str, str], alice_client: Client, alices_album: Album
) -> None:
    photo_bytes = jpeg()
    ticket = request_ticket(alice_client, alices_album, size=len(photo_bytes)).json()
    upload = ticket["upload"]
    assert post_form(upload["url"], upload["fields"], photo_bytes, "image/jpeg") == 204
    event = object_created(BUCKET, upload["fields"]["key"], size=len(photo_bytes))
    (execution,) = s3_trigger.handler(event, None)["started"]
    photo_input = {
        "s3Bucket": BUCKET,
        "s3Key": upload["fields"]["key"],
        "objectID": ticket["photoId"],
    }

    def out_of_capacity(event: Any) -> Any:
        raise ExecutionFailed("Lambda.TooManyRequestsException", "Rate Exceeded.")

    # RecordSuccess, RecordRejection and RecordFailure are one function, out of capacity throughout.
    record = current_definition()["States"]["RecordFailure"]["Resource"]
    tasks = {**resources(), record: out_of_capacity}
    assert run_pipeline(photo_input, execution["executionArn"], tasks) == "FAILED"

    # MarkFailedInTable's own parameters went to (moto's) DynamoDB; the web app reads the item.
    (card,) = changes(alice_client, alices_album)["photos"]
    assert card["status"] == "FAILED"
    assert "Something went wrong while processing this photo" in card["html"]
