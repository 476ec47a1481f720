"""The web app's one door into the pipeline: adapters built from Django settings, and the few
pipeline types the app reads (labels, results items, keys, the formats it takes).

Nothing else in albums/ imports processing (tests/test_boundaries.py checks it), so the runtime
(local or aws) is chosen in one place and the pipeline's surface seen by Django is this page.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

from django.conf import settings

from processing.adapters.aws_s3 import bucket_origin
from processing.adapters.local_uploads import (
    DISPOSITION_PARAMETER,
    LocalUploadSigner,
    UploadRefused,
)
from processing.formats import SUPPORTED_IN_WORDS
from processing.handlers import s3_trigger
from processing.keys import THUMBNAIL_CACHE_CONTROL, UploadKey, is_thumbnail_key
from processing.local.bucket import KeyAlreadyStored
from processing.local.s3_events import object_created
from processing.ports import BlobNotFound
from processing.recognition.labels import Label, at_least
from processing.redaction import LocationNotRemovable, redact_gps
from processing.results import ResultItem, Status
from processing.runtime import PipelineConfig

__all__ = [
    "DISPOSITION_PARAMETER",
    "SUPPORTED_IN_WORDS",
    "THUMBNAIL_CACHE_CONTROL",
    "BlobNotFound",
    "KeyAlreadyStored",
    "Label",
    "LocationNotRemovable",
    "ResultItem",
    "Status",
    "UploadKey",
    "UploadRefused",
    "announce_upload",
    "at_least",
    "is_thumbnail_key",
    "local_upload_signer",
    "pipeline_config",
    "redact_gps",
    "storage_origin",
    "upload_signer",
]


class UploadSigner(Protocol):
    def presigned_post(
        self, *, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> dict[str, object]: ...

    def presigned_get(
        self, key: str, *, expires_in: int, content_disposition: str | None = None
    ) -> str: ...


def pipeline_config() -> PipelineConfig:
    """The pipeline's configuration, read from the environment once, by the pipeline's own
    reader, when the settings load (``settings.PHOTOSHARE_PIPELINE``). Tests change it in one
    place: the ``use_pipeline`` fixture (tests/conftest.py) replaces that setting and the
    handlers' configuration together."""
    config: PipelineConfig = settings.PHOTOSHARE_PIPELINE
    return config


def announce_upload(key: str, size: int) -> None:
    """Sends the S3 notification of an original already in storage again, down the path an
    upload takes: the durable queue locally, the S3Trigger's code in aws mode. The execution is
    named after the photo, so this never starts a second one."""
    config = pipeline_config()
    if config.backend == "local":
        config.local_bucket().announce(key, size=size)
        return
    event = object_created(config.bucket, key, size=size)
    s3_trigger.start_executions(
        event, config.execution_starter(), config.result_store(), config.blob_store()
    )


def upload_signer() -> UploadSigner:
    """Presigned POST tickets and GET URLs: S3's own in aws mode, their local twins otherwise.
    One per process and configuration (in aws mode one S3 client), so a page of thumbnails
    makes no client and gets the URLs it got last time (see S3UploadSigner)."""
    config = pipeline_config()
    if config.backend == "aws":
        return config.s3_upload_signer()
    return local_upload_signer()


def storage_origin() -> str | None:
    """Where the browser sends uploads and loads thumbnails from, when that is not this site:
    the bucket's origin in aws mode; None locally, where /local-s3/ is the site itself."""
    config = pipeline_config()
    if config.backend != "aws":
        return None
    return bucket_origin(config.bucket, config.aws_region, config.aws_endpoint_url)


def local_upload_signer() -> LocalUploadSigner:
    config = pipeline_config()
    prefix = f"{settings.PHOTOSHARE_LOCAL_S3_PREFIX}{config.bucket}/"
    # A key of its own, derived from the secret key, so tickets cannot be forged elsewhere.
    return _local_upload_signer(f"photoshare-local-s3:{settings.SECRET_KEY}", config.bucket, prefix)


@cache
def _local_upload_signer(secret: str, bucket: str, prefix: str) -> LocalUploadSigner:
    return LocalUploadSigner(secret=secret, bucket=bucket, upload_url=prefix, download_url=prefix)
