"""The ports through which pipeline steps reach the outside world; adapters live in
processing.adapters and are chosen in processing.runtime."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from PIL import Image

from processing.metadata import ImageMetadata
from processing.recognition.labels import Label
from processing.results import ResultItem, Status


class BlobNotFound(KeyError):
    """No object under that key."""


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

    def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    def delete(self, key: str) -> None: ...


class ResultStore(Protocol):
    """One ResultItem per photo (processing.results owns its shape). Writes are conditional: a
    late or repeated event never turns a final state back into RUNNING."""

    def record_start(self, photo_id: str, execution_arn: str) -> None: ...

    def record_metadata(self, photo_id: str, metadata: ImageMetadata) -> None: ...

    def record_labels(self, photo_id: str, labels: list[Label]) -> None: ...

    def record_final(self, item: ResultItem) -> None: ...

    def get_many(self, photo_ids: Iterable[str]) -> dict[str, ResultItem]: ...

    def get_statuses(self, photo_ids: Iterable[str]) -> dict[str, Status]:
        """Only the status of each item that exists: a cheap look for what changed."""
        ...

    def delete(self, photo_id: str) -> None: ...


class ExecutionStarter(Protocol):
    """Starts the state machine. Names are deterministic: starting a name that exists starts
    nothing and returns the existing execution's ARN."""

    def start(self, *, name: str, execution_input: dict[str, Any]) -> str: ...


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
