"""The web app's composition root for the pipeline: adapters built from Django settings, once.

Views and services reach storage, the results store and the executions only through here, so the
runtime (local or aws) is chosen in one place.
"""

from __future__ import annotations

from django.conf import settings

from processing.adapters.local_uploads import LocalUploadSigner
from processing.runtime import PipelineConfig
from processing.validation import Limits


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
    )


def upload_signer() -> LocalUploadSigner:
    prefix = f"{settings.PHOTOSHARE_LOCAL_S3_PREFIX}{settings.PHOTOSHARE_BUCKET}/"
    return LocalUploadSigner(
        # A key of its own, derived from the secret key, so tickets cannot be forged elsewhere.
        secret=f"photoshare-local-s3:{settings.SECRET_KEY}",
        bucket=settings.PHOTOSHARE_BUCKET,
        upload_url=prefix,
        download_url=prefix,
    )
