"""The web app's one door into the pipeline: adapters built from Django settings, and the few
pipeline types the app reads (labels, results items, keys, the formats it takes).

Nothing else in albums/ imports processing (tests/test_boundaries.py checks it), so the runtime
(local or aws) is chosen in one place and the pipeline's surface seen by Django is this page.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings

from processing.adapters.aws_s3 import S3UploadSigner, bucket_origin, s3_client
from processing.adapters.local_uploads import (
    DISPOSITION_PARAMETER,
    LocalUploadSigner,
    UploadRefused,
)
from processing.formats import SUPPORTED_IN_WORDS
from processing.handlers import s3_trigger
from processing.keys import UploadKey
from processing.local.bucket import KeyAlreadyStored
from processing.local.s3_events import object_created
from processing.ports import BlobNotFound
from processing.recognition.labels import Label
from processing.redaction import LocationNotRemovable, redact_gps
from processing.results import ResultItem, Status
from processing.runtime import PipelineConfig
from processing.validation import Limits

__all__ = [
    "DISPOSITION_PARAMETER",
    "SUPPORTED_IN_WORDS",
    "BlobNotFound",
    "KeyAlreadyStored",
    "Label",
    "LocationNotRemovable",
    "ResultItem",
    "Status",
    "UploadKey",
    "UploadRefused",
    "announce_upload",
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
    # Built on each call (it is cheap) so tests that change settings see their own var/ folder.
    return PipelineConfig(
        backend=settings.PHOTOSHARE_BACKEND,
        var_dir=settings.VAR_DIR,
        limits=Limits(
            max_pixels=settings.PHOTOSHARE_MAX_UPLOAD_PIXELS,
            max_bytes=settings.PHOTOSHARE_MAX_UPLOAD_BYTES,
        ),
        bucket=settings.PHOTOSHARE_BUCKET,
        aws_region=settings.PHOTOSHARE_AWS_REGION,
        results_table=settings.PHOTOSHARE_RESULTS_TABLE,
        state_machine_arn=settings.PHOTOSHARE_STATE_MACHINE_ARN,
        aws_endpoint_url=settings.PHOTOSHARE_AWS_ENDPOINT_URL,
    )


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
    """Presigned POST tickets and GET URLs: S3's own in aws mode, their local twins otherwise."""
    if settings.PHOTOSHARE_BACKEND == "aws":
        client = s3_client(settings.PHOTOSHARE_AWS_REGION, settings.PHOTOSHARE_AWS_ENDPOINT_URL)
        return S3UploadSigner(client, settings.PHOTOSHARE_BUCKET)
    return local_upload_signer()


def storage_origin() -> str | None:
    """Where the browser sends uploads and loads thumbnails from, when that is not this site:
    the bucket's origin in aws mode; None locally, where /local-s3/ is the site itself."""
    if settings.PHOTOSHARE_BACKEND != "aws":
        return None
    return bucket_origin(
        settings.PHOTOSHARE_BUCKET,
        settings.PHOTOSHARE_AWS_REGION,
        settings.PHOTOSHARE_AWS_ENDPOINT_URL,
    )


def local_upload_signer() -> LocalUploadSigner:
    prefix = f"{settings.PHOTOSHARE_LOCAL_S3_PREFIX}{settings.PHOTOSHARE_BUCKET}/"
    return LocalUploadSigner(
        # A key of its own, derived from the secret key, so tickets cannot be forged elsewhere.
        secret=f"photoshare-local-s3:{settings.SECRET_KEY}",
        bucket=settings.PHOTOSHARE_BUCKET,
        upload_url=prefix,
        download_url=prefix,
    )
