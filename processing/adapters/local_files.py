"""A BlobStore on the local disk, laid out exactly like the S3 bucket (key = relative path)."""

from __future__ import annotations

from collections.abc import Iterable
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

    def put(
        self, key: str, data: bytes, *, content_type: str, cache_control: str | None = None
    ) -> None:
        write_atomically(self.path_for(key), data)

    def delete(self, key: str, *, version_id: str | None = None) -> None:
        # A local object has one version (the bucket's ledger stores a key once): deleting a
        # version of it is deleting it.
        self.path_for(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        folder = prefix.rpartition("/")[0]
        directory = self.path_for(folder) if folder else self.root
        if not directory.is_dir():
            return 0
        matching = [
            path
            for path in directory.rglob("*")
            if path.relative_to(self.root).as_posix().startswith(prefix)
        ]
        files = [path for path in matching if path.is_file()]
        for path in files:
            path.unlink(missing_ok=True)
        # S3 has no folders: those the deleted files leave empty go too.
        for path in sorted((p for p in matching if p.is_dir()), reverse=True):
            if not any(path.iterdir()):
                path.rmdir()
        if prefix.endswith("/") and directory != self.root and not any(directory.iterdir()):
            directory.rmdir()
        return len(files)

    def delete_many(self, keys: Iterable[str]) -> None:
        # Files have no batch delete: one unlink each is already the cheapest call there is.
        for key in keys:
            self.delete(key)

    def delete_prefixes(self, prefixes: Iterable[str]) -> None:
        # Each photo's thumbnails are a small folder of their own: no listing of anything larger.
        for prefix in prefixes:
            self.delete_prefix(prefix)
