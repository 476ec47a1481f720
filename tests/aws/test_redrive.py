"""No event lost: an upload whose pipeline cannot start goes round the queue five times, lands in
the dead-letter queue, and after the fault is fixed, the one redrive command sends it back and
the same photo completes.

Against moto in server mode, with the queues, rule, bucket and table built from
infra/template.yaml's own properties: S3 (EventBridge notifications on) -> the upload rule's
pattern -> the upload queue (its redrive policy) -> the S3Trigger handler, called as Lambda's
event source mapping calls it (a batch of received messages; the ones named in
batchItemFailures stay, the others are deleted). The visibility timeout is not waited out: a
failed message is made visible again at once, as if it had passed. moto cannot run Lambda code,
so the local runner plays Step Functions, as in test_end_to_end.py.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from processing.handlers import s3_trigger
from processing.local.pipeline import current_definition, resources
from processing.redrive import main as redrive
from processing.results import ResultItem, Status
from processing.runtime import config
from processing.statemachine.runner import Runner
from tests.aws.conftest import aws_mode
from tests.conftest import UsePipeline
from tests.infra.cfn import properties, substitute
from tests.processing.images import jpeg

pytestmark = pytest.mark.aws
REGION = "eu-west-1"
ACCOUNT = "123456789012"
BUCKET = "photoshare-redrive"
TABLE = "ImageMetadata"
MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:PhotoPipeline"
PHOTO_ID = "0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90"
KEY = f"private/7/uploads/3/{PHOTO_ID}.jpg"
RECEIVES_BEFORE_DLQ = properties("UploadQueue")["RedrivePolicy"]["maxReceiveCount"]


@pytest.fixture
def endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch, use_pipeline: UsePipeline) -> str:
    # Where the redrive command's plain boto3 client goes.
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    aws_mode(
        use_pipeline,
        moto_server,
        bucket=BUCKET,
        table=TABLE,
        state_machine_arn=MACHINE_ARN,
        region=REGION,
    )
    return moto_server


class Stack:
    """The part of infra/template.yaml an upload goes through, created in moto."""

    def __init__(self, endpoint: str) -> None:
        def client(service: str) -> Any:
            return boto3.client(service, region_name=REGION, endpoint_url=endpoint)

        self.s3, self.sqs = client("s3"), client("sqs")
        self.events, self.states = client("events"), client("stepfunctions")
        self.s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        bucket = properties("PhotoBucket")
        self.s3.put_bucket_versioning(
            Bucket=BUCKET, VersioningConfiguration=bucket["VersioningConfiguration"]
        )
        assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"]
        self.s3.put_bucket_notification_configuration(
            Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        table = properties("ResultsTable")
        client("dynamodb").create_table(
            TableName=TABLE,
            **{
                name: table[name]
                for name in (
                    "AttributeDefinitions",
                    "KeySchema",
                    "GlobalSecondaryIndexes",
                    "BillingMode",
                )
            },
        )

        dlq = properties("UploadDeadLetterQueue")
        self.dlq_url = self.sqs.create_queue(
            QueueName="UploadDeadLetterQueue",
            Attributes={"MessageRetentionPeriod": str(dlq["MessageRetentionPeriod"])},
        )["QueueUrl"]
        self.dlq_arn = self.arn_of(self.dlq_url)
        queue = substitute(properties("UploadQueue"), {"UploadDeadLetterQueue.Arn": self.dlq_arn})
        self.queue_url = self.sqs.create_queue(
            QueueName="UploadQueue",
            Attributes={
                "VisibilityTimeout": str(queue["VisibilityTimeout"]),
                "RedrivePolicy": json.dumps(queue["RedrivePolicy"]),
            },
        )["QueueUrl"]
        self.queue_arn = self.arn_of(self.queue_url)

        rule = substitute(properties("UploadRule")["EventPattern"], {"PhotoBucket": BUCKET})
        self.events.put_rule(Name="UploadRule", EventPattern=json.dumps(rule))
        self.events.put_targets(
            Rule="UploadRule", Targets=[{"Id": "UploadQueue", "Arn": self.queue_arn}]
        )

    def arn_of(self, url: str) -> str:
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(attributes["Attributes"]["QueueArn"])

    def deploy_state_machine(self) -> None:
        created = self.states.create_state_machine(
            name="PhotoPipeline",
            definition=json.dumps(current_definition()),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/photoshare",
        )
        assert created["stateMachineArn"] == MACHINE_ARN

    def deliver(self) -> list[tuple[str, dict[str, Any]]]:
        """One poll of Lambda's event source mapping: receive a batch, invoke the trigger with
        it, delete what it did not report. Returns each received message's receive count with
        the trigger's response; nothing when the queue gave nothing."""
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not received:
            return []
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m["Attributes"],
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn,
                    "awsRegion": REGION,
                }
                for m in received
            ]
        }
        response = s3_trigger.handler(event, None)
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        for m in received:
            if m["MessageId"] in failed:  # its visibility timeout passes
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return [(m["Attributes"]["ApproximateReceiveCount"], response) for m in received]

    def waiting(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(count) for count in attributes.values())


def test_an_upload_that_cannot_start_is_dead_lettered_then_redriven_and_completes(
    endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = Stack(endpoint)
    stack.s3.put_object(Bucket=BUCKET, Key=KEY, Body=jpeg(), ContentType="image/jpeg")
    # Step Functions refuses every start: the state machine is not there (a half-done deploy).

    deliveries = []
    for _ in range(RECEIVES_BEFORE_DLQ + 2):  # bounded: one more poll than it can take
        polled = stack.deliver()
        if not polled:
            break
        deliveries += polled
    assert [count for count, _ in deliveries] == ["1", "2", "3", "4", "5"]
    assert all(len(response["batchItemFailures"]) == 1 for _, response in deliveries)
    assert (stack.waiting(stack.queue_url), stack.waiting(stack.dlq_url)) == (0, 1)
    waiting = config().result_store().get(PHOTO_ID)
    assert isinstance(waiting, ResultItem)
    assert (waiting.status, waiting.execution_arn) == (Status.RUNNING, None)

    stack.deploy_state_machine()  # the fault fixed
    assert redrive([stack.dlq_arn, stack.queue_arn, "--wait-seconds", "0"]) == 0
    assert capsys.readouterr().out == "Moved 1 message(s) back to the upload queue.\n"
    assert stack.waiting(stack.dlq_url) == 0

    ((_, response),) = stack.deliver()
    assert response == {"batchItemFailures": []}
    (execution,) = stack.states.list_executions(stateMachineArn=MACHINE_ARN)["executions"]
    assert execution["name"] == PHOTO_ID
    execution_input = json.loads(
        stack.states.describe_execution(executionArn=execution["executionArn"])["input"]
    )
    ran = Runner(current_definition(), resources()).run(
        execution_input, context={"Execution": {"Id": execution["executionArn"]}}
    )

    assert ran.status == "SUCCEEDED"
    done = config().result_store().get(PHOTO_ID)
    assert isinstance(done, ResultItem)
    assert (done.status, done.execution_arn) == (Status.SUCCEEDED, execution["executionArn"])
    # The thumbnails it stored under resized/ sent nothing to the queue: zero invocations.
    assert stack.s3.list_objects_v2(Bucket=BUCKET, Prefix="private/7/resized/")["KeyCount"] > 0
    assert stack.waiting(stack.queue_url) == 0


def test_only_originals_under_uploads_reach_the_queue(endpoint: str) -> None:
    stack = Stack(endpoint)
    for key in (
        KEY,
        f"private/7/resized/{PHOTO_ID}/250.jpg",
        f"private/7/{PHOTO_ID}.jpg",
        f"public/7/uploads/3/{PHOTO_ID}.jpg",
    ):
        stack.s3.put_object(Bucket=BUCKET, Key=key, Body=b"bytes")

    received = stack.sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10)
    bodies = [json.loads(m["Body"]) for m in received.get("Messages", [])]
    assert [body["detail"]["object"]["key"] for body in bodies] == [KEY]
    assert bodies[0]["detail-type"] == "Object Created"
