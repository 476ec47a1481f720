"""S3 event notifications as S3 itself writes them, so the S3Trigger handler reads the same
records locally as in AWS (keys URL-encoded with '+' for spaces)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus


def object_created(
    bucket: str,
    key: str,
    *,
    size: int,
    event_name: str = "Post",
    etag: str | None = None,
    version_id: str | None = None,
) -> dict[str, Any]:
    """One ObjectCreated record. ``etag`` and ``version_id`` are what S3 puts in ``eTag`` and
    ``versionId`` (the latter on versioned buckets only); a replayed event goes without."""
    stored: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "sequencer": f"{time.time_ns():016X}",
    }
    if etag is not None:
        stored["eTag"] = etag
    if version_id is not None:
        stored["versionId"] = version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "local",
                "eventTime": datetime.now(UTC)
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
                "eventName": f"ObjectCreated:{event_name}",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "photoshare-uploads",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": stored,
                },
            }
        ]
    }
