"""Redrive: moves the upload dead-letter queue's messages back to the upload queue, so that the
photos whose events landed there start. The one command, once what sent them there is fixed:

    python -m processing.redrive <DeadLetterQueueArn> <UploadQueueArn>

(the stack's RedriveCommand output spells it out). SQS's own StartMessageMoveTask does the same
server-side, but moto, which the tests run against, does not implement it (5.2.5); this
client-side move is the one that is tested. Ten messages at a time, so memory stays bounded
whatever the backlog; a message leaves the DLQ only once the upload queue has accepted it, so a
crash midway can duplicate an event (the trigger ignores a repeat), never lose one.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3

BATCH = 10  # ReceiveMessage's and SendMessageBatch's limit


def queue_url(client: Any, arn: str) -> str:
    """arn:aws:sqs:REGION:ACCOUNT:NAME -> the queue's URL."""
    account, name = arn.split(":")[4:6]
    return str(client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])


def move_messages(
    client: Any, source_url: str, destination_url: str, *, wait_seconds: int = 5
) -> int:
    """Moves every message from ``source_url`` to ``destination_url``; returns how many. Stops
    at the first receive that finds nothing within ``wait_seconds`` (long polling asks every SQS
    server, so an empty answer means the queue is empty)."""
    moved = 0
    while True:
        received = client.receive_message(
            QueueUrl=source_url, MaxNumberOfMessages=BATCH, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        if not received:
            return moved
        sent = client.send_message_batch(
            QueueUrl=destination_url,
            Entries=[{"Id": str(i), "MessageBody": m["Body"]} for i, m in enumerate(received)],
        )
        accepted = {entry["Id"] for entry in sent.get("Successful", [])}
        done = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(received)
            if str(i) in accepted
        ]
        if done:
            client.delete_message_batch(QueueUrl=source_url, Entries=done)
        moved += len(done)
        if len(done) < len(received):
            # Left in the DLQ, visible again after its visibility timeout: run the command again.
            failed = [entry.get("Message", entry["Id"]) for entry in sent.get("Failed", [])]
            raise RuntimeError(f"the upload queue refused {len(failed)} message(s): {failed}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m processing.redrive",
        description="Move the upload dead-letter queue's messages back to the upload queue.",
    )
    parser.add_argument("dead_letter_queue_arn", help="the stack's DeadLetterQueueArn output")
    parser.add_argument("upload_queue_arn", help="the stack's UploadQueueArn output")
    parser.add_argument(
        "--wait-seconds", type=int, default=5, help="how long an empty receive waits (long poll)"
    )
    args = parser.parse_args(argv)
    region = args.dead_letter_queue_arn.split(":")[3]
    client = boto3.client("sqs", region_name=region)
    moved = move_messages(
        client,
        queue_url(client, args.dead_letter_queue_arn),
        queue_url(client, args.upload_queue_arn),
        wait_seconds=args.wait_seconds,
    )
    print(f"Moved {moved} message(s) back to the upload queue.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
