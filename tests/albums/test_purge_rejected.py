"""manage.py purge_rejected: the originals of photos rejected more than
PHOTOSHARE_REJECTED_RETENTION_DAYS ago are deleted; the photos and their reasons stay."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from albums import services
from albums.models import Album, Photo
from processing.runtime import config
from tests.albums.photo_helpers import run_worker_until_idle, upload
from tests.processing.images import jpeg

pytestmark = pytest.mark.django_db


def finished(client: Client, album: Album, data: bytes, *, days_ago: float) -> Photo:
    photo_id = upload(client, album, data)
    run_worker_until_idle()
    client.get(reverse("albums:photo", args=[photo_id]))  # the page brings the result in
    photo = Photo.objects.select_related("album").get(pk=photo_id)
    photo.finished_at = timezone.now() - timedelta(days=days_ago)
    photo.save(update_fields=["finished_at"])
    return photo


def stored(photo: Photo) -> bool:
    return config().blob_store().size(photo.original_key) is not None


def test_only_rejected_originals_older_than_the_retention_are_purged(
    alice_client: Client, alices_album: Album, settings: Settings
) -> None:
    settings.PHOTOSHARE_REJECTED_RETENTION_DAYS = 7
    old_rejected = finished(alice_client, alices_album, b"not a picture", days_ago=8)
    young_rejected = finished(alice_client, alices_album, b"not one either", days_ago=6)
    old_accepted = finished(alice_client, alices_album, jpeg(), days_ago=30)
    assert old_rejected.status == young_rejected.status == Photo.Status.REJECTED
    assert old_accepted.status == Photo.Status.SUCCEEDED

    call_command("purge_rejected")

    assert not stored(old_rejected)
    assert stored(young_rejected)
    assert stored(old_accepted)
    purged = Photo.objects.get(pk=old_rejected.pk)
    assert purged.original_purged_at is not None
    assert purged.status == Photo.Status.REJECTED
    assert purged.status_message == "Not a JPEG, PNG, WebP, HEIC or AVIF image"
    assert Photo.objects.get(pk=young_rejected.pk).original_purged_at is None

    page = alice_client.get(reverse("albums:photo", args=[purged.pk])).content.decode()
    assert "Not a JPEG, PNG, WebP, HEIC or AVIF image" in page
    assert "rejected files are kept 7 days" in page
    album_page = alice_client.get(reverse("albums:detail", args=[alices_album.pk])).content
    assert b"The file was removed." in album_page


def test_the_days_option_overrides_the_setting_and_a_second_run_finds_nothing(
    alice_client: Client, alices_album: Album, capsys: pytest.CaptureFixture[str]
) -> None:
    rejected = finished(alice_client, alices_album, b"not a picture", days_ago=2)

    call_command("purge_rejected", days=1)
    call_command("purge_rejected", days=1)

    assert not stored(rejected)
    assert capsys.readouterr().out.splitlines() == [
        "Purged the originals of 1 rejected photo(s) older than 1 day(s).",
        "Purged the originals of 0 rejected photo(s) older than 1 day(s).",
    ]


def test_thousands_are_purged_in_batches_of_bounded_size(
    alices_album: Album, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "PURGE_BATCH", 50)
    long_ago = timezone.now() - timedelta(days=30)
    Photo.objects.bulk_create(
        Photo(album=alices_album, status=Photo.Status.REJECTED, finished_at=long_ago)
        for _ in range(1234)
    )
    sizes: list[int] = []
    batches = services._rejected_batches

    def counted(older_than: object) -> object:
        for batch in batches(older_than):  # type: ignore[arg-type]
            sizes.append(len(batch))
            yield batch

    monkeypatch.setattr(services, "_rejected_batches", counted)

    assert services.purge_rejected(older_than=timezone.now()) == 1234
    assert max(sizes) == 50
    assert sum(sizes) == 1234
    assert not Photo.objects.filter(original_purged_at__isnull=True).exists()
