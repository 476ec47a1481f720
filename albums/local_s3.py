"""The local runtime's stand-in for the S3 bucket's HTTP API: a presigned POST endpoint and
presigned GETs. Only used when PHOTOSHARE_BACKEND=local; in aws mode the browser talks to S3.

Like S3 it knows no session: the signed policy or URL is the only authority, so these views are
exempt from login and CSRF. Like S3 it answers 204 to a good upload, 403 to a bad ticket (storing
nothing), 400 to a form without exactly one file, and emits the ObjectCreated notification the
S3Trigger function receives. Unlike S3, a ticket is good for one upload: its key can be stored
once (processing.local.bucket), so a replayed POST is 403 and changes nothing.
"""

from __future__ import annotations

import mimetypes

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from albums.pipeline import (
    DISPOSITION_PARAMETER,
    THUMBNAIL_CACHE_CONTROL,
    BlobNotFound,
    KeyAlreadyStored,
    UploadRefused,
    is_thumbnail_key,
    local_upload_signer,
    pipeline_config,
)
from albums.uploads import ACCEPTED_TYPES

_FORM_OVERHEAD = 64 * 1024


def _s3_error(status: int, code: str, message: str) -> HttpResponse:
    body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return HttpResponse(body, status=status, content_type="application/xml")


def _local_only(bucket: str) -> None:
    pipeline = pipeline_config()
    if pipeline.backend != "local" or bucket != pipeline.bucket:
        raise Http404("No such bucket")


@csrf_exempt
@login_not_required
@require_http_methods(["POST"])
def upload(request: HttpRequest, bucket: str) -> HttpResponse:
    _local_only(bucket)
    # Like S3, refuse a body no ticket could allow before reading it (the form's other fields
    # take a few kB at most).
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > pipeline_config().limits.max_bytes + _FORM_OVERHEAD:
        return _s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum size.")
    # S3 takes one file, in the field named "file": a second file, or a file under another name,
    # is refused whole.
    files = [part for name in request.FILES for part in request.FILES.getlist(name)]
    upload_file = request.FILES.get("file")
    if upload_file is None or len(files) != 1:
        return _s3_error(
            400, "InvalidArgument", "POST requires exactly one file upload per request."
        )
    fields = {name: request.POST[name] for name in request.POST}
    try:
        accepted = local_upload_signer().verify_post(bucket, fields, upload_file.size or 0)
    except UploadRefused as refused:
        status = 400 if refused.code in ("EntityTooLarge", "EntityTooSmall") else 403
        return _s3_error(status, refused.code, refused.message)
    # The notification is committed to the durable queue before the 204: once the browser hears
    # success, the photo will be processed even if this server dies the next instant.
    data = upload_file.read()
    try:
        pipeline_config().local_bucket().put_object(
            accepted.key, data, content_type=accepted.content_type
        )
    except KeyAlreadyStored:
        return _s3_error(403, "AccessDenied", "Invalid according to Policy: ticket already used.")
    return HttpResponse(status=204)


# The types of what this bucket stores, by the extension tickets pin: the machine's own table
# (mimetypes reads /etc/mime.types when there is one) may not know .heic or .avif, and S3 would
# serve what the upload declared. image/heif and image/heic keep their own extensions.
_TYPES_BY_EXTENSION = {extension: kind for kind, extension in ACCEPTED_TYPES.items()}


def _content_type(key: str) -> str:
    extension = key.rpartition(".")[2].lower()
    known = _TYPES_BY_EXTENSION.get(extension) or mimetypes.guess_type(key)[0]
    return known or "application/octet-stream"


@login_not_required
@require_http_methods(["GET", "HEAD"])
def download(request: HttpRequest, bucket: str, key: str) -> HttpResponseBase:
    _local_only(bucket)
    signer = local_upload_signer()
    # Like S3's response-content-disposition: the header comes from the signed URL (this
    # endpoint knows no Photo), and the signature covers it, so it cannot be altered.
    disposition = request.GET.get(DISPOSITION_PARAMETER, "")
    if not signer.verify_get(
        key,
        request.GET.get("expires", ""),
        request.GET.get("signature", ""),
        content_disposition=disposition,
    ):
        return _s3_error(403, "AccessDenied", "Request has expired or the signature is wrong.")
    try:
        handle = pipeline_config().blob_store().open(key)
    except (BlobNotFound, ValueError):
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
    content_type = _content_type(key)
    response = FileResponse(handle, content_type=content_type)
    # A thumbnail's key is never reused (S3 serves the same header, stored with the object by
    # the Thumbnails step); anything else may be replaced or purged.
    response["Cache-Control"] = (
        THUMBNAIL_CACHE_CONTROL if is_thumbnail_key(key) else "private, max-age=3600"
    )
    response["X-Content-Type-Options"] = "nosniff"
    if disposition:
        response["Content-Disposition"] = disposition
    return response
