"""The local bucket: storing an object and announcing it, as S3 does with its event notification.

In AWS, an object landing in the bucket makes S3 send an ``ObjectCreated`` notification to the
S3Trigger function. Locally the notification is a job on the durable queue, committed before the
caller hears success, so an upload that was answered 204 is never lost. This is the one place
that pairs the two; nothing else spells the job kind.
"""

from __future__ import annotations

from processing.adapters.local_queue import LocalQueue
from processing.local.s3_events import object_created
from processing.ports import BlobStore

S3_EVENT = "s3-event"  # the queue job that carries an S3 notification to the S3Trigger handler


class LocalBucket:
    def __init__(self, name: str, store: BlobStore, queue: LocalQueue) -> None:
        self.name = name
        self.store = store
        self.queue = queue

    def put_object(self, key: str, data: bytes, *, content_type: str) -> None:
        """Stores the object, then commits its notification (S3's ``ObjectCreated:Post``)."""
        self.store.put(key, data, content_type=content_type)
        self.announce(key, size=len(data))

    def announce(self, key: str, *, size: int, event_name: str = "Post") -> None:
        """Queues the notification for an object already stored (a resubmission sends it again;
        the execution name makes the repeat start nothing new)."""
        self.queue.put(S3_EVENT, object_created(self.name, key, size=size, event_name=event_name))
