"""The ports through which pipeline steps reach storage; adapters live in processing.adapters."""

from __future__ import annotations

from typing import Protocol


class BlobNotFound(KeyError):
    """No object under that key."""


class BlobStore(Protocol):
    """Objects by key, with S3's semantics: whole-object reads and writes, keys as opaque paths."""

    def get(self, key: str) -> bytes: ...

    def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    def delete(self, key: str) -> None: ...
