"""The results item: one record per photo, the same shape in DynamoDB and in the local store.

This module owns the schema. The pipeline's recording steps write items through it and Django
reads them through it; nothing else spells an attribute name. Keys are camelCase, as DynamoDB
items conventionally are.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from processing.metadata import ImageMetadata
from processing.recognition.labels import Label

# What every item carries besides the photo's metadata: the steps that store metadata write
# everything but these.
BOOKKEEPING_ATTRIBUTES = frozenset(
    {
        "photoId",
        "status",
        "thumbnails",
        "labels",
        "originalETag",
        "originalVersionId",
        "originalKey",
    }
)
# A tombstone's status. Deleting a photo replaces its item with a tombstone (photoId, this status,
# updatedAt and expiresAt, DynamoDB's TTL attribute in epoch seconds), so that no pipeline write
# and no late S3 notification can bring the photo back. It is not a result: the stores' reads
# leave tombstones out, and Status has no member for it.
DELETED = "DELETED"
EXPIRES_AT = "expiresAt"
# The sparse index of items still RUNNING, by startedAt, which the sweeper reads: DynamoDB's GSI
# `Running` (HASH running, RANGE startedAt). `running` holds "1" while the item is RUNNING and is
# removed by every final write (a tombstone, which replaces the item, has none), so the index
# holds only the photos in flight, never the whole table.
RUNNING_INDEX = "Running"
RUNNING_FLAG = "running"


def now_iso() -> str:
    """A timestamp as items store them: ISO 8601 UTC to the millisecond, with a Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Status(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"

    @property
    def is_final(self) -> bool:
        return self is not Status.RUNNING


@dataclass(frozen=True, slots=True)
class StoredThumbnail:
    size: int
    key: str
    width: int
    height: int
    content_type: str

    def to_item(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "key": self.key,
            "width": self.width,
            "height": self.height,
            "contentType": self.content_type,
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> StoredThumbnail:
        return cls(
            size=int(item["size"]),
            key=item["key"],
            width=int(item["width"]),
            height=int(item["height"]),
            content_type=item["contentType"],
        )


@dataclass(frozen=True, slots=True)
class StoredOriginal:
    """Which object an execution was started for, from its S3 notification: the ETag, and the
    version id when the bucket is versioned. A later notification naming another object under the
    same key is a replacement (see processing.handlers.s3_trigger)."""

    etag: str | None = None
    version_id: str | None = None
    # Its key, so that the sweeper can start an execution the trigger recorded but never started
    # (processing.sweeper): the item alone must be enough to rebuild the execution's input.
    key: str | None = None

    def differs_from(self, other: StoredOriginal) -> bool:
        """True only when both name an object and the names differ."""
        if self.version_id and other.version_id:
            return self.version_id != other.version_id
        return bool(self.etag and other.etag and self.etag != other.etag)


@dataclass(frozen=True, slots=True)
class Tombstone:
    """What is left of a deleted photo's item until ``expires_at`` (epoch seconds)."""

    photo_id: str
    deleted_at: str
    expires_at: int

    def to_item(self) -> dict[str, Any]:
        return {
            "photoId": self.photo_id,
            "status": DELETED,
            "updatedAt": self.deleted_at,
            EXPIRES_AT: self.expires_at,
        }


@dataclass(frozen=True, slots=True)
class RunningItem:
    """What the sweeper reads of an item still RUNNING (the `Running` index's view of it): enough
    to find its execution and, when none was started, to rebuild the execution's input."""

    photo_id: str
    started_at: str  # ISO 8601 UTC, as record_start wrote it
    execution_arn: str | None = None
    original_key: str | None = None


def tombstone(photo_id: str, *, keep_seconds: int) -> Tombstone:
    expires = int(datetime.now(UTC).timestamp()) + keep_seconds
    return Tombstone(photo_id, now_iso(), expires)


def parse_item(item: dict[str, Any]) -> ResultItem | Tombstone:
    """An item as either store holds it: a photo's result, or the tombstone of a deleted one."""
    if item.get("status") == DELETED:
        return Tombstone(item["photoId"], item.get("updatedAt", ""), int(item.get(EXPIRES_AT, 0)))
    return ResultItem.from_item(item)


@dataclass(frozen=True, slots=True)
class ResultItem:
    photo_id: str
    status: Status
    execution_arn: str | None = None
    started_at: str | None = None  # ISO 8601 UTC
    updated_at: str | None = None
    metadata: ImageMetadata | None = None
    thumbnails: tuple[StoredThumbnail, ...] = field(default_factory=tuple)
    labels: tuple[Label, ...] = field(default_factory=tuple)
    rejection_reason: str | None = None  # processing.rejections.RejectionReason value
    message: str | None = None  # plain words for the person who uploaded
    error: str | None = None  # the Step Functions error name, for FAILED and REJECTED
    cause: str | None = None
    original: StoredOriginal | None = None  # recorded when the execution started

    def with_changes(self, **changes: Any) -> ResultItem:
        return replace(self, **changes)

    def metadata_attributes(self) -> dict[str, Any]:
        """The item's attributes without its bookkeeping: what storing the metadata writes."""
        return {k: v for k, v in self.to_item().items() if k not in BOOKKEEPING_ATTRIBUTES}

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "photoId": self.photo_id,
            "status": self.status.value,
            "executionArn": self.execution_arn,
            "startedAt": self.started_at,
            "updatedAt": self.updated_at,
            "thumbnails": [t.to_item() for t in self.thumbnails],
            "labels": [label.to_item() for label in self.labels],
            "rejectionReason": self.rejection_reason,
            "message": self.message,
            "error": self.error,
            "cause": self.cause,
        }
        if self.original is not None:
            item["originalETag"] = self.original.etag
            item["originalVersionId"] = self.original.version_id
            item["originalKey"] = self.original.key
        if self.metadata is not None:
            m = self.metadata
            item |= {
                "format": m.format,
                "formatDetail": m.format_detail,
                "width": m.width,
                "height": m.height,
                "orientation": m.orientation,
                "displayWidth": m.display_width,
                "displayHeight": m.display_height,
                "fileSize": m.file_size,
                "hasIccProfile": m.has_icc_profile,
                "hasAlpha": m.has_alpha,
                "takenAt": m.taken_at,
                "cameraMake": m.camera_make,
                "cameraModel": m.camera_model,
                "lens": m.lens,
                "fNumber": m.f_number,
                "exposureTime": m.exposure_time,
                "iso": m.iso,
                "focalLength": m.focal_length,
                "geo": (
                    {
                        "latitude": m.gps.latitude,
                        "longitude": m.gps.longitude,
                        "altitude": m.gps.altitude,
                    }
                    if m.gps
                    else None
                ),
            }
        # DynamoDB stores no nulls worth keeping; leaving them out keeps both stores' items equal.
        return {key: value for key, value in item.items() if value is not None}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> ResultItem:
        metadata = None
        if "format" in item:
            geo = item.get("geo")
            metadata = ImageMetadata.from_dict(
                {
                    "format": item["format"],
                    "format_detail": item.get("formatDetail", item["format"]),
                    "width": int(item["width"]),
                    "height": int(item["height"]),
                    "orientation": _optional_int(item.get("orientation")),
                    "display_width": int(item["displayWidth"]),
                    "display_height": int(item["displayHeight"]),
                    "file_size": int(item["fileSize"]),
                    "has_icc_profile": bool(item.get("hasIccProfile", False)),
                    "has_alpha": bool(item.get("hasAlpha", False)),
                    "taken_at": item.get("takenAt"),
                    "camera_make": item.get("cameraMake"),
                    "camera_model": item.get("cameraModel"),
                    "lens": item.get("lens"),
                    "f_number": _optional_float(item.get("fNumber")),
                    "exposure_time": _optional_float(item.get("exposureTime")),
                    "iso": _optional_int(item.get("iso")),
                    "focal_length": _optional_float(item.get("focalLength")),
                    "gps": (
                        {
                            "latitude": float(geo["latitude"]),
                            "longitude": float(geo["longitude"]),
                            "altitude": _optional_float(geo.get("altitude")),
                        }
                        if geo
                        else None
                    ),
                }
            )
        return cls(
            photo_id=item["photoId"],
            status=Status(item["status"]),
            execution_arn=item.get("executionArn"),
            started_at=item.get("startedAt"),
            updated_at=item.get("updatedAt"),
            metadata=metadata,
            thumbnails=tuple(StoredThumbnail.from_item(t) for t in item.get("thumbnails", [])),
            labels=tuple(Label.from_item(label) for label in item.get("labels", [])),
            rejection_reason=item.get("rejectionReason"),
            message=item.get("message"),
            error=item.get("error"),
            cause=item.get("cause"),
            original=(
                StoredOriginal(
                    item.get("originalETag"), item.get("originalVersionId"), item.get("originalKey")
                )
                if {"originalETag", "originalVersionId", "originalKey"} & item.keys()
                else None
            ),
        )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
