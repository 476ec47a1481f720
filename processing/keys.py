"""The object key layout shared by S3 and the local file store (see docs/architecture.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UPLOAD_KEY = re.compile(
    r"^private/(?P<user_id>[^/]+)/uploads/(?P<album_id>[^/]+)/(?P<photo_id>[^/.]+)\.(?P<ext>[A-Za-z0-9]+)$"
)
_THUMBNAIL_KEY = re.compile(r"^private/[^/]+/resized/[^/.]+/\d+\.[A-Za-z0-9]+$")
# What is stored under a thumbnail key never changes: every upload gets a new photo id, and a
# deleted photo's id is never used again. So browsers may keep a thumbnail for a year without
# asking again (private: it is one person's photo, for no shared cache).
THUMBNAIL_CACHE_CONTROL = "private, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class UploadKey:
    user_id: str
    album_id: str
    photo_id: str
    extension: str

    def __str__(self) -> str:
        return f"private/{self.user_id}/uploads/{self.album_id}/{self.photo_id}.{self.extension}"

    def thumbnail_key(self, size: int, extension: str) -> str:
        return f"{self.thumbnail_prefix}{size}.{extension}"

    @property
    def thumbnail_prefix(self) -> str:
        """The folder of every thumbnail of the photo, whatever sizes were configured then."""
        return f"private/{self.user_id}/resized/{self.photo_id}/"


def is_thumbnail_key(key: str) -> bool:
    return _THUMBNAIL_KEY.match(key) is not None


def parse_upload_key(key: str) -> UploadKey:
    """An original's key, split into its parts; ValueError for anything outside the layout."""
    match = _UPLOAD_KEY.match(key)
    if match is None:
        raise ValueError(f"not an upload key: {key!r}")
    return UploadKey(match["user_id"], match["album_id"], match["photo_id"], match["ext"])
