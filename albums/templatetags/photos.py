"""Template helpers for photos: presigned image URLs and metadata in the words people use."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.conf import settings
from django.urls import reverse

from albums.downloads import attachment_disposition
from albums.models import Photo
from albums.pipeline import Label, UploadSigner, pipeline_config, upload_signer

register = template.Library()


@register.simple_tag(name="photo_image_url")
def photo_image_url_tag(photo: Photo, size: int | None = None) -> str:
    return photo_image_url(photo, size)


def photo_image_url(
    photo: Photo, size: int | None = None, *, signer: UploadSigner | None = None
) -> str:
    """A short-lived presigned URL for a thumbnail (or the original, as an attachment under its
    file name, when size is None); "" for what is not there (a size never made, a purged
    original). The signer is the process's own (one S3 client in aws mode), and it hands out
    the same URL for a key for most of the URL's life, so browsers keep thumbnails cached."""
    signer, expires_in = signer or upload_signer(), settings.PHOTOSHARE_URL_SECONDS
    if size is None:
        if not photo.has_original:
            return ""
        # The original downloads under its own name, not the random id it is stored as;
        # thumbnails stay inline.
        disposition = attachment_disposition(photo.original_filename)
        return signer.presigned_get(
            photo.original_key, expires_in=expires_in, content_disposition=disposition
        )
    thumbnail = photo.thumbnail(size)
    if thumbnail is None:
        return ""
    return signer.presigned_get(str(thumbnail["key"]), expires_in=expires_in)


@register.simple_tag
def album_cover_url(album: object) -> str:
    """The 250 px thumbnail of the album's newest finished photo (see with_photo_stats)."""
    thumbnails = getattr(album, "cover_thumbnails", None) or []
    key = next((t["key"] for t in thumbnails if t.get("size") == 250), None)
    if key is None:
        return ""
    return upload_signer().presigned_get(key, expires_in=settings.PHOTOSHARE_URL_SECONDS)


@register.simple_tag
def execution_url(photo: Photo) -> str:
    """Where a photo's pipeline execution is shown: the Step Functions console in aws mode, the
    project's own execution page locally."""
    if not photo.execution_arn:
        return ""
    pipeline = pipeline_config()
    if pipeline.backend == "aws":
        region = pipeline.aws_region
        return (
            f"https://{region}.console.aws.amazon.com/states/home?region={region}"
            f"#/v2/executions/details/{photo.execution_arn}"
        )
    return reverse("albums:execution", args=[photo.id])


@register.filter
def camera_time(taken_at_local: str, style: str = "short") -> str:
    """The capture time as the camera's clock showed it (not converted to the server's zone),
    with its UTC offset when the camera recorded one."""
    try:
        moment = datetime.fromisoformat(taken_at_local)
    except (TypeError, ValueError):
        return ""
    pattern = "%-d %b %Y, %H:%M" if style == "short" else "%-d %B %Y, %H:%M:%S"
    text = moment.strftime(pattern)
    if moment.tzinfo is not None and style != "short":
        text += f" (UTC{moment.strftime('%z')[:3]}:{moment.strftime('%z')[3:]})"
    return text


@register.filter
def exposure(seconds: float | None) -> str:
    if not seconds:
        return ""
    if seconds >= 1:
        return f"{seconds:g} s"
    return f"1/{round(1 / seconds)} s"


@register.filter
def aperture(f_number: float | None) -> str:
    return f"ƒ/{f_number:g}" if f_number else ""


@register.filter
def megabytes(size: int | None) -> str:
    if not size:
        return ""
    if size < 1_000_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f} MB"


@register.filter
def coordinate(value: float | None) -> str:
    return f"{value:.5f}" if value is not None else ""


@register.filter
def camera(photo: Photo) -> str:
    """'Canon EOS R6', not 'Canon Canon EOS R6': makers often repeat themselves in the model."""
    make, model = photo.camera_make.strip(), photo.camera_model.strip()
    if make and model.lower().startswith(make.split()[0].lower()):
        return model
    return " ".join(part for part in (make, model) if part)


@register.filter
def photo_thumbnail(photo: Photo, size: int) -> dict[str, object]:
    return photo.thumbnail(int(size)) or {}


@register.filter
def headline(message: str) -> str:
    """The first clause of a reason ('The image is damaged or incomplete'), for small cards."""
    return message.split(": ", 1)[0]


@register.filter
def exposure_summary(photo: Photo) -> str:
    """'ƒ/2.8 · 1/250 s · ISO 400 · 35 mm', leaving out what the camera did not record."""
    parts = [
        aperture(photo.f_number),
        exposure(photo.exposure_time),
        f"ISO {photo.iso}" if photo.iso else "",
        f"{photo.focal_length:g} mm" if photo.focal_length else "",
    ]
    return " · ".join(part for part in parts if part)


@register.filter
def hue_classes(hue: int) -> str:
    """An album cover's hue (0-359) as two classes, its tens and its units of degrees, which the
    stylesheet adds up: the page may not set a style attribute (Content-Security-Policy), and
    46 classes cover every hue exactly."""
    return f"hue-t{hue // 10} hue-u{hue % 10}"


@register.filter
def label_boxes(labels: list[Label]) -> list[dict[str, object]]:
    """Where each instance of these labels is, in percent of the upright picture, for outlining
    it over the preview (the labels that stand: see albums.corrections.labels_of)."""
    return [
        {
            "name": label.name,
            "left": round(100 * instance.box.left, 2),
            "top": round(100 * instance.box.top, 2),
            "width": round(100 * instance.box.width, 2),
            "height": round(100 * instance.box.height, 2),
            "confidence": round(instance.confidence),
        }
        for label in labels
        for instance in label.instances
    ]
