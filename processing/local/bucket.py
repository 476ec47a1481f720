"""The local bucket: storing an object and announcing it, as S3 does with its event notification.

In AWS, an object landing in the bucket makes S3 send an ``ObjectCreated`` notification to the
S3Trigger function. Locally the notification is a job on the durable queue, committed before the
caller hears success, so an upload that was answered 204 is never lost. This is the one place
that pairs the two; nothing else spells the job kind.

Unlike S3, the local bucket stores a key once: a ledger of stored keys (``stored_keys``, in the
same database and the same transaction as the notification) refuses a second object under a key
that was ever stored, deleted or not. Every upload ticket pins one key, so a ticket is good for
one upload: a replayed POST stores and announces nothing. (In aws mode a presigned POST cannot be
made one-time; the S3Trigger handles a replaced original instead.)
"""

from __future__ import annotations

import sqlite3
import time

from processing.adapters.local_queue import LocalQueue
from processing.local.s3_events import object_created
from processing.ports import BlobStore

S3_EVENT = "s3-event"  # the queue job that carries an S3 notification to the S3Trigger handler


class KeyAlreadyStored(Exception):
    """The key was stored before (its ticket was used): nothing was stored now."""


class LocalBucket:
    def __init__(self, name: str, store: BlobStore, queue: LocalQueue) -> None:
        self.name = name
        self.store = store
        self.queue = queue

    def put_object(self, key: str, data: bytes, *, content_type: str) -> None:
        """Claims the key in the ledger, stores the object and queues its notification (S3's
        ``ObjectCreated:Post``), all in one transaction: of two concurrent puts of one key,
        exactly one stores anything; the other raises KeyAlreadyStored. Should this process die
        before the commit, the key is not claimed and the same ticket may be used again."""
        with self.queue.database.write() as connection:
            try:
                connection.execute(
                    "INSERT INTO stored_keys (key, stored_at) VALUES (?, ?)", (key, time.time())
                )
            except sqlite3.IntegrityError:
                raise KeyAlreadyStored(key) from None
            self.store.put(key, data, content_type=content_type)
            event = object_created(self.name, key, size=len(data))
            self.queue.put_within(connection, S3_EVENT, event)
        self.queue.wake()

    def announce(self, key: str, *, size: int, event_name: str = "Post") -> None:
        """Queues the notification for an object already stored (a resubmission sends it again;
        the execution name makes the repeat start nothing new)."""
        self.queue.put(S3_EVENT, object_created(self.name, key, size=size, event_name=event_name))
