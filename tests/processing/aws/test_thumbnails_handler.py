"""The Thumbnails step in aws mode stores each thumbnail with a year-long, immutable
Cache-Control, which S3 then serves with every presigned GET of it."""

from __future__ import annotations

from typing import Any

from processing.handlers import thumbnails
from processing.runtime import config
from tests.conftest import UsePipeline
from tests.processing.aws.conftest import BUCKET, REGION, TABLE
from tests.processing.images import jpeg, orientation_card

PHOTO_ID = "0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90"
KEY = f"private/7/uploads/3/{PHOTO_ID}.jpg"


def test_thumbnails_are_stored_with_an_immutable_cache_control(
    s3: Any, dynamodb: Any, use_pipeline: UsePipeline
) -> None:
    use_pipeline(
        PHOTOSHARE_BACKEND="aws",
        PHOTOSHARE_AWS_REGION=REGION,
        PHOTOSHARE_BUCKET=BUCKET,
        PHOTOSHARE_RESULTS_TABLE=TABLE,
    )
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=jpeg(orientation_card(1600, 1200)))
    config().result_store().record_start(PHOTO_ID, f"arn:aws:states:::execution:P:{PHOTO_ID}")

    result = thumbnails.handler({"s3Bucket": BUCKET, "s3Key": KEY, "objectID": PHOTO_ID})

    keys = [item["key"] for item in result["thumbnails"]]
    assert len(keys) == 2
    for key in keys:
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert head["CacheControl"] == "private, max-age=31536000, immutable"
    # The original keeps S3's default: it may be replaced, purged or deleted.
    assert "CacheControl" not in s3.head_object(Bucket=BUCKET, Key=KEY)
