"""A BlobStore on the local disk, laid out exactly like the S3 bucket (key = relative path)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import BinaryIO

from processing.files import write_atomically
from processing.ports import BlobNotFound


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not parts or key.startswith("/") or any(p in ("..", ".", "") for p in parts):
            raise ValueError(f"unsafe object key: {key!r}")
        return self.root.joinpath(*parts)

    def get(self, key: str) -> bytes:
        try:
            return self.path_for(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def open(self, key: str) -> BinaryIO:
        try:
            return self.path_for(key).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def size(self, key: str) -> int | None:
        try:
            return self.path_for(key).stat().st_size
        except FileNotFoundError:
            return None

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        write_atomically(self.path_for(key), data)

    def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)
