"""Done photos with a given capture time and upload time, made the way the app makes them: a
real JPEG (with EXIF DateTimeOriginal when dated) read by the pipeline's metadata step, its
result recorded in the results store and copied into the photo by albums.outcomes."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

from albums.models import Album, Photo
from albums.outcomes import refresh_photos
from processing.metadata import extract_metadata
from processing.results import ResultItem, Status
from processing.runtime import config
from tests.processing.images import exif_block, jpeg, orientation_card

_sizes = count(16)


def dated_photo(
    album: Album,
    filename: str,
    *,
    taken: str | None = None,
    uploaded: datetime | None = None,
    status: Status = Status.SUCCEEDED,
    width: int | None = None,
) -> Photo:
    """``taken`` as a camera writes it ("2023:07:14 10:00:00"), or None for a file without a
    date; ``uploaded`` is the photo's created_at. ``width`` varies the file's size."""
    exif = exif_block(taken_at=taken) if taken else None
    data = jpeg(orientation_card(width or next(_sizes) * 4, 48), exif=exif)
    photo = Photo.objects.create(album=album, original_filename=filename, upload_size=len(data))
    if uploaded is not None:
        Photo.objects.filter(pk=photo.pk).update(created_at=uploaded)
        photo.refresh_from_db()
    store = config().result_store()
    store.record_start(str(photo.id), f"arn:local:{photo.id}")
    store.record_metadata(str(photo.id), extract_metadata(data))
    message = None if status is Status.SUCCEEDED else "The image is damaged or incomplete"
    store.record_final(ResultItem(str(photo.id), status, message=message))
    refresh_photos([photo])
    photo.refresh_from_db()
    return photo


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def bulk_done_photos(album: Album, times: list[datetime], prefix: str = "IMG") -> list[Photo]:
    """Many done photos at once, for tests of size and paging: the columns albums.outcomes fills
    for a done photo (its timeline place included) written directly, as bench/ does."""
    photos = [
        Photo(
            album=album,
            original_filename=f"{prefix}_{number:05d}.jpg",
            status=Photo.Status.SUCCEEDED,
            taken_at=moment,
            timeline_owner_id=album.owner_id,
            timeline_at=moment,
            thumbnails=[{"size": 250, "key": f"k/{number}/250.jpg", "width": 250, "height": 250}],
        )
        for number, moment in enumerate(times)
    ]
    return Photo.objects.bulk_create(photos, batch_size=1000)
