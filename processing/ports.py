"""The ports through which pipeline steps reach the outside world; adapters live in
processing.adapters and are chosen in processing.runtime."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from processing.metadata import ImageMetadata
from processing.recognition.labels import Label
from processing.results import ResultItem, RunningItem, Status, StoredOriginal, Tombstone

if TYPE_CHECKING:  # Pillow is for the image steps; the ports are imported by every handler
    from PIL import Image


class BlobNotFound(KeyError):
    """No object under that key."""


class PhotoDeleted(Exception):
    """The photo's results item is gone or a tombstone: the photo was deleted while its pipeline
    ran. The state machine catches it into a quiet end (the PhotoDeleted state), never a result."""


class TransientError(Exception):
    """A failure worth retrying (a busy store, a throttled service). The state machine's Retry
    names it, so adapters raise it for exactly the conditions that pass by themselves."""


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class BlobStore(Protocol):
    """Objects by key, with S3's semantics: whole-object reads and writes, keys as opaque paths."""

    def get(self, key: str) -> bytes: ...

    def open(self, key: str) -> Readable:
        """The object as a stream, for serving it without holding it in memory."""
        ...

    def size(self, key: str) -> int | None:
        """The stored object's size in bytes, or None when there is no object under ``key``."""
        ...

    def put(
        self, key: str, data: bytes, *, content_type: str, cache_control: str | None = None
    ) -> None:
        """Stores the object; ``cache_control`` is the Cache-Control it is served with (S3 keeps
        it with the object; the local store's server decides by the key's layout)."""
        ...

    def delete(self, key: str, *, version_id: str | None = None) -> None:
        """Removes the object (nothing happens when there is none). With ``version_id``, only that
        version of it, as S3's DeleteObject does on a versioned bucket; a local object has one."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Removes every object whose key starts with ``prefix`` (end it with "/" for a folder);
        returns how many."""
        ...

    def delete_many(self, keys: Iterable[str]) -> None:
        """Removes these objects (missing ones are no error), in as few calls as the store
        allows: S3's DeleteObjects takes 1,000 keys."""
        ...

    def delete_prefixes(self, prefixes: Iterable[str]) -> None:
        """``delete_prefix`` for each of many folders, without a listing per folder where the
        store would need one (bulk deletion of thousands of photos' thumbnails)."""
        ...


class ResultStore(Protocol):
    """One ResultItem per photo (processing.results owns its shape). Writes are conditional: a
    late or repeated event never turns a final state back into RUNNING, and nothing is written
    for a deleted photo (its item is a tombstone, or gone): those writes raise PhotoDeleted."""

    def record_start(
        self,
        photo_id: str,
        execution_arn: str | None = None,
        *,
        original: StoredOriginal | None = None,
    ) -> None:
        """Creates the RUNNING item or updates it while it is RUNNING (a final item stands); the
        original is recorded once, the first time one is given."""
        ...

    def record_metadata(self, photo_id: str, metadata: ImageMetadata) -> None:
        """Only while the item is RUNNING (a final item stands)."""
        ...

    def record_labels(self, photo_id: str, labels: list[Label]) -> None:
        """Only while the item is RUNNING (a final item stands)."""
        ...

    def record_final(self, item: ResultItem, *, overwrite: bool = False) -> None:
        """Only while the item is RUNNING: the first final state stands, unless ``overwrite``
        (the S3Trigger failing a photo whose original was replaced)."""
        ...

    def get(self, photo_id: str) -> ResultItem | Tombstone | None:
        """One item, tombstones included, read consistently: is the photo still there?"""
        ...

    def get_many(self, photo_ids: Iterable[str]) -> dict[str, ResultItem]:
        """The results among these ids (never a tombstone)."""
        ...

    def get_statuses(self, photo_ids: Iterable[str]) -> dict[str, Status]:
        """Only the status of each result that exists: a cheap look for what changed."""
        ...

    def delete(self, photo_id: str, *, keep_seconds: int) -> None:
        """Replaces the item with a tombstone that expires after ``keep_seconds``."""
        ...

    def delete_many(self, photo_ids: Iterable[str], *, keep_seconds: int) -> None:
        """``delete`` for many photos, batched (one transaction locally, BatchWriteItem's 25
        items a call on DynamoDB)."""
        ...

    def running_before(
        self, deadline: str, *, limit: int, after: RunningItem | None = None
    ) -> list[RunningItem]:
        """Up to ``limit`` items RUNNING since before ``deadline`` (ISO 8601 UTC), oldest first,
        starting after ``after`` (the last item of the previous page). An index of the items in
        flight answers it, never a scan of the table."""
        ...

    def record_execution(self, photo_id: str, execution_arn: str) -> None:
        """The execution now running the photo; only while the item is RUNNING."""
        ...


class ExecutionStarter(Protocol):
    """Starts the state machine. Names are deterministic: starting a name that exists starts
    nothing and returns the existing execution's ARN."""

    def start(self, *, name: str, execution_input: dict[str, Any]) -> str: ...


@dataclass(frozen=True, slots=True)
class ExecutionState:
    """An execution as Step Functions describes it: RUNNING, SUCCEEDED, FAILED, TIMED_OUT or
    ABORTED, with the error and cause it failed with."""

    status: str
    error: str | None = None
    cause: str | None = None
    # Locally, a RUNNING execution whose job is still queued or leased to a live worker: the
    # queue and the worker's supervision answer for it (a backlog of thousands may wait an hour),
    # so no hard limit applies. Step Functions runs every execution at once: never set there.
    queued: bool = False


class ExecutionControl(Protocol):
    """Looks up and stops the state machine's executions, which are named by photo id."""

    def describe(self, name: str) -> ExecutionState | None:
        """None when no execution of that name was ever started."""
        ...

    def stop(self, name: str, *, error: str, cause: str) -> None:
        """Stops it (ABORTED) if it is still running."""
        ...


class Recognizer(Protocol):
    """Names what is in a photo. It is given the upright RGB derivative, never the original:
    Rekognition limits raw bytes to 5 MB, and the local models look at 416 and 224 px."""

    image_size: int  # the box, in pixels, the derivative it wants fits in

    def recognize(self, image: Image.Image) -> list[Label]: ...


@runtime_checkable
class StoredImageRecognizer(Recognizer, Protocol):
    """A recognizer that can read a stored JPEG itself (Rekognition's S3Object): given the
    thumbnail's key, the step neither downloads nor decodes anything."""

    def recognize_stored(self, bucket: str, key: str) -> list[Label]: ...
