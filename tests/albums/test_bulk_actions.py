"""Bulk actions on a selection of an album's photos: delete, move to another album, download as
a streamed zip. alice owns the albums; bob is someone else, whose album and photos must never be
touched, and whose requests for alice's album are 404s."""

from __future__ import annotations

import hashlib
import io
import random
import time
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from moto import mock_aws
from PIL import Image

from accounts.models import User
from albums.changes import changes_since, stamp_changes
from albums.models import Album, Photo, PhotoLabel
from albums.outcomes import refresh_album
from albums.pipeline import pipeline_config
from albums.services import purge_rejected
from albums.zips import CHUNK
from processing.adapters.aws_s3 import s3_client
from processing.adapters.local_results import LocalResultStore
from processing.results import ResultItem, Status, Tombstone
from tests.albums.photo_helpers import changes, finished_photo, run_worker_until_idle, upload
from tests.conftest import UsePipeline
from tests.processing.aws.conftest import BUCKET, REGION, TABLE
from tests.processing.images import jpeg, orientation_card

pytestmark = pytest.mark.django_db

SELECT_ALL = 2_000


def stored_photo(album: Album, filename: str, data: bytes | None = None) -> Photo:
    """A finished photo whose original is in storage, as the pipeline leaves one (without
    running it: these tests are about what happens to photos afterwards)."""
    data = data if data is not None else jpeg()
    photo = Photo.objects.create(
        album=album,
        original_filename=filename,
        status=Photo.Status.SUCCEEDED,
        sha256=hashlib.sha256(data).hexdigest(),
        upload_size=len(data),
    )
    photo = Photo.objects.select_related("album").get(pk=photo.pk)
    pipeline_config().blob_store().put(photo.original_key, data, content_type="image/jpeg")
    return photo


def stored_files() -> list[str]:
    media = pipeline_config().var_dir / "media"
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def post(client: Client, action: str, album: Album, **form: Any) -> Any:
    return client.post(reverse(f"albums:bulk-{action}", args=[album.pk]), form)


def many_photos(album: Album, count: int) -> list[Photo]:
    photos = [
        Photo(album=album, original_filename=f"IMG_{i:04}.JPG", sha256=f"{i:064x}")
        for i in range(count)
    ]
    stamp_changes(album.pk, photos)
    return Photo.objects.bulk_create(photos)


@pytest.fixture
def bobs_album(bob: User) -> Album:
    return Album.objects.create(owner=bob, name="Bob's")


@pytest.fixture
def alices_other_album(alice: User) -> Album:
    return Album.objects.create(owner=alice, name="Porto")


# Delete ------------------------------------------------------------------------------------------


def test_deleting_selected_photos_removes_their_files_results_and_rows_and_nothing_else(
    alice_client: Client, alices_album: Album
) -> None:
    ids = [upload(alice_client, alices_album, jpeg(), filename=f"{n}.jpg") for n in "abc"]
    run_worker_until_idle()
    kept = Photo.objects.select_related("album").get(pk=ids[2])
    kept_files = [f for f in stored_files() if ids[2] in f]
    assert len(kept_files) == 3  # the original and two thumbnails

    response = post(alice_client, "delete", alices_album, photo=ids[:2])

    assert response.status_code == 302
    assert response["Location"] == reverse("albums:detail", args=[alices_album.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Deleted 2 photos."]
    assert list(alices_album.photos.values_list("pk", flat=True)) == [kept.pk]
    assert stored_files() == kept_files
    results = pipeline_config().result_store()
    assert all(isinstance(results.get(photo_id), Tombstone) for photo_id in ids[:2])
    assert set(results.get_many(ids)) == {ids[2]}


def test_a_photo_deleted_in_bulk_while_processing_leaves_nothing_once_its_pipeline_ends(
    alice_client: Client, alices_album: Album
) -> None:
    photo_id = upload(alice_client, alices_album, jpeg(orientation_card(1600, 1200)))
    # The upload's notification is queued but no worker has run: the photo is mid-pipeline.

    post(alice_client, "delete", alices_album, photo=[photo_id])
    run_worker_until_idle()

    assert stored_files() == []
    assert not Photo.objects.filter(pk=photo_id).exists()
    assert pipeline_config().result_store().get_many([photo_id]) == {}


def test_select_all_deletes_every_photo_of_the_album_but_the_excepted_ones(
    alice_client: Client, alices_album: Album, alices_other_album: Album
) -> None:
    photos = [stored_photo(alices_album, f"{n}.jpg", jpeg(quality=50 + n)) for n in range(5)]
    elsewhere = stored_photo(alices_other_album, "other.jpg")

    post(alice_client, "delete", alices_album, all="1", **{"except": [str(photos[0].pk)]})

    assert list(alices_album.photos.all()) == [photos[0]]
    assert Photo.objects.filter(pk=elsewhere.pk).exists()
    assert stored_files() == sorted([photos[0].original_key, elsewhere.original_key])


def test_select_all_deletes_two_thousand_photos_in_a_bounded_number_of_queries(
    alice_client: Client, alices_album: Album, django_assert_max_num_queries: Any
) -> None:
    many_photos(alices_album, SELECT_ALL)
    labelled = finished_photo(alices_album, "dog.jpg", [])
    PhotoLabel.objects.create(
        photo=labelled, owner_id=alices_album.owner_id, term="Dog", term_key="dog", confidence=90
    )

    # Five batches (4 x 500 and one): about nine queries each (Django deletes rows 100 to a
    # statement; label terms and label corrections each go by their photos' ids), whatever the
    # photos hold: not one query per photo.
    with django_assert_max_num_queries(50):
        response = post(alice_client, "delete", alices_album, all="1")

    assert response.status_code == 302
    assert not alices_album.photos.exists()
    assert not PhotoLabel.objects.exists()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Deleted {SELECT_ALL + 1} photos."
    ]


def counted(calls: list[str], name: str, real: Any) -> Any:
    """``real`` (a method), noting each call's name in ``calls`` before making it."""

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return real(self, *args, **kwargs)

    return method


def test_deleting_an_album_of_two_thousand_photos_goes_a_batch_at_a_time(
    alice_client: Client,
    alices_album: Album,
    alices_other_album: Album,
    django_assert_max_num_queries: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    many_photos(alices_album, SELECT_ALL)
    kept = stored_photo(alices_album, "kept.jpg")
    elsewhere = stored_photo(alices_other_album, "other.jpg")
    # Count the results store's calls (the real store, counted on the way through): a tombstone
    # written photo by photo would be 2,001 calls, each its own transaction (on DynamoDB, its
    # own request).
    calls: list[str] = []
    for name in ("delete", "delete_many"):
        monkeypatch.setattr(
            LocalResultStore, name, counted(calls, name, getattr(LocalResultStore, name))
        )

    # The same batches as deleting a selection, and the album's own row: not a query per photo.
    with django_assert_max_num_queries(50):
        response = alice_client.post(reverse("albums:delete", args=[alices_album.pk]))
    assert calls == ["delete_many"] * 5  # 2,001 photos, 500 a batch

    assert response.status_code == 302
    assert not Album.objects.filter(pk=alices_album.pk).exists()
    assert not Photo.objects.filter(album_id=alices_album.pk).exists()
    assert stored_files() == [elsewhere.original_key]  # kept.jpg's original went with its album
    assert pipeline_config().result_store().get_many([str(kept.pk)]) == {}


def test_ids_of_bobs_photos_sent_with_alices_album_are_ignored(
    alice_client: Client, alices_album: Album, bobs_album: Album
) -> None:
    bobs = stored_photo(bobs_album, "bob.jpg")
    alices = stored_photo(alices_album, "alice.jpg")

    post(alice_client, "delete", alices_album, photo=[str(bobs.pk), str(alices.pk)])

    assert Photo.objects.filter(pk=bobs.pk).exists()
    assert stored_files() == [bobs.original_key]


@pytest.mark.parametrize("action", ["delete", "move", "download"])
def test_bob_cannot_act_on_alices_album(
    bob_client: Client, alices_album: Album, bobs_album: Album, action: str
) -> None:
    photo = stored_photo(alices_album, "alice.jpg")

    response = post(bob_client, action, alices_album, all="1", target=bobs_album.pk)

    assert response.status_code == 404
    assert Photo.objects.get(pk=photo.pk).album_id == alices_album.pk
    assert stored_files() == [photo.original_key]


@pytest.mark.parametrize("action", ["delete", "move", "download"])
def test_bulk_actions_are_posts_only(
    alice_client: Client, alices_album: Album, action: str
) -> None:
    response = alice_client.get(reverse(f"albums:bulk-{action}", args=[alices_album.pk]))
    assert response.status_code == 405


def test_a_bulk_post_without_a_csrf_token_is_refused(alice: User, alices_album: Album) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    photo = stored_photo(alices_album, "alice.jpg")

    response = post(client, "delete", alices_album, photo=[str(photo.pk)])

    assert response.status_code == 403
    assert Photo.objects.filter(pk=photo.pk).exists()


def test_a_selection_of_nothing_or_of_bad_ids_is_a_400(
    alice_client: Client, alices_album: Album
) -> None:
    assert post(alice_client, "delete", alices_album).status_code == 400
    assert post(alice_client, "delete", alices_album, photo=["../etc"]).status_code == 400


# Move --------------------------------------------------------------------------------------------


def test_moved_photos_are_in_the_target_album_with_their_files_where_they_were(
    alice_client: Client, alices_album: Album, alices_other_album: Album
) -> None:
    ids = [upload(alice_client, alices_album, jpeg(quality=60 + n)) for n in range(3)]
    run_worker_until_idle()
    files_before = stored_files()
    target_cursor = alices_other_album.change_seq

    response = post(alice_client, "move", alices_album, photo=ids[:2], target=alices_other_album.pk)

    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Moved 2 photos to “Porto”."]
    assert set(alices_other_album.photos.values_list("pk", flat=True)) == {
        Photo.objects.get(pk=i).pk for i in ids[:2]
    }
    assert stored_files() == files_before  # storage does not move
    moved = Photo.objects.select_related("album").get(pk=ids[0])
    assert moved.upload_album_id == alices_album.pk
    assert pipeline_config().blob_store().size(moved.original_key) is not None
    # The target's change feed carries them, so a page open on it hears of them.
    found = changes_since(alices_other_album, target_cursor)
    assert {str(p.pk) for p in found.photos} == set(ids[:2])
    # The target album's page shows them, their originals download from their stored keys.
    page = alice_client.get(reverse("albums:detail", args=[alices_other_album.pk]))
    assert ids[0] in page.content.decode()
    zipped = post(alice_client, "download", alices_other_album, all="1")
    assert len(zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content))).namelist()) == 2


def test_a_photo_moved_while_processing_gets_its_outcome_in_the_target_album(
    alice_client: Client, alices_album: Album, alices_other_album: Album
) -> None:
    photo_id = upload(alice_client, alices_album, jpeg(orientation_card(800, 600)))

    post(alice_client, "move", alices_album, photo=[photo_id], target=alices_other_album.pk)
    run_worker_until_idle()
    refresh_album(alices_other_album)

    photo = Photo.objects.get(pk=photo_id)
    assert photo.album_id == alices_other_album.pk
    assert photo.status == Photo.Status.SUCCEEDED
    assert photo.thumbnails


def test_a_photo_the_target_already_has_stays_where_it_is_and_is_named(
    alice_client: Client, alices_album: Album, alices_other_album: Album
) -> None:
    same = jpeg(quality=70)
    there = stored_photo(alices_other_album, "already.jpg", same)
    duplicate = stored_photo(alices_album, "copy.jpg", same)
    other = stored_photo(alices_album, "new.jpg", jpeg(quality=71))

    response = post(alice_client, "move", alices_album, all="1", target=alices_other_album.pk)

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Moved 1 photo to “Porto”. 1 photo was already there and stayed here."
    ]
    assert Photo.objects.get(pk=duplicate.pk).album_id == alices_album.pk
    assert Photo.objects.get(pk=other.pk).album_id == alices_other_album.pk
    assert Photo.objects.get(pk=there.pk).album_id == alices_other_album.pk


def test_photos_cannot_be_moved_into_bobs_album(
    alice_client: Client, alices_album: Album, bobs_album: Album
) -> None:
    photo = stored_photo(alices_album, "alice.jpg")

    response = post(alice_client, "move", alices_album, all="1", target=bobs_album.pk)

    assert response.status_code == 404
    assert Photo.objects.get(pk=photo.pk).album_id == alices_album.pk
    assert not bobs_album.photos.exists()


def test_moving_into_the_same_album_changes_nothing_and_says_so(
    alice_client: Client, alices_album: Album
) -> None:
    photo = stored_photo(alices_album, "alice.jpg")
    seq = Photo.objects.get(pk=photo.pk).change_seq

    response = post(alice_client, "move", alices_album, all="1", target=alices_album.pk)

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The photos are already in this album"
    ]
    assert Photo.objects.get(pk=photo.pk).change_seq == seq


def test_select_all_moves_two_thousand_photos_in_a_bounded_number_of_queries(
    alice_client: Client,
    alices_album: Album,
    alices_other_album: Album,
    django_assert_max_num_queries: Any,
) -> None:
    many_photos(alices_album, SELECT_ALL)

    # Four batches of 500: about a dozen queries each (savepoints included; Django splits the
    # change numbers' UPDATE to stay within SQLite's parameters), not one per photo.
    with django_assert_max_num_queries(60):
        post(alice_client, "move", alices_album, all="1", target=alices_other_album.pk)

    assert alices_other_album.photos.count() == SELECT_ALL
    assert not alices_album.photos.exists()
    seqs = list(alices_other_album.photos.values_list("change_seq", flat=True))
    assert len(set(seqs)) == SELECT_ALL  # each its own change number: the feed pages them all
    assert Album.objects.get(pk=alices_other_album.pk).change_seq == max(seqs)


def test_deleting_a_moved_photo_deletes_its_original_under_its_stored_key(
    alice_client: Client, alices_album: Album, alices_other_album: Album
) -> None:
    photo = stored_photo(alices_album, "alice.jpg")
    post(alice_client, "move", alices_album, all="1", target=alices_other_album.pk)

    post(alice_client, "delete", alices_other_album, all="1")

    assert stored_files() == []
    assert not Photo.objects.filter(pk=photo.pk).exists()


# Download ----------------------------------------------------------------------------------------


def unzip(response: Any) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_zip_holds_the_originals_byte_for_byte_under_safe_unique_names(
    alice_client: Client, alices_album: Album
) -> None:
    names = ["IMG_1.jpg", "IMG_1.jpg", "img_1.JPG", "../../etc/passwd", "a\\b\\c.jpg", "..", "x"]
    photos = [
        stored_photo(alices_album, name, jpeg(quality=50 + n)) for n, name in enumerate(names)
    ]

    response = post(alice_client, "download", alices_album, all="1")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Lisbon 2026.zip\"; filename*=UTF-8''Lisbon%202026.zip"
    )
    files = unzip(response)
    named = ["IMG_1.jpg", "IMG_1 (2).jpg", "img_1 (3).JPG", "passwd", "c.jpg", "photo", "x"]
    assert list(files) == named  # in upload order
    store = pipeline_config().blob_store()
    assert [files[name] for name in named] == [store.get(p.original_key) for p in photos]


def test_the_zip_of_many_photos_is_streamed_in_bounded_pieces(
    alice_client: Client, alices_album: Album
) -> None:
    originals = {f"IMG_{n:03}.jpg": jpeg(quality=40 + n) for n in range(40)}
    noise = random.Random(14).randbytes(2000 * 1400 * 3)  # noise barely compresses
    big = jpeg(Image.frombytes("RGB", (2000, 1400), noise), quality=95)  # several chunks long
    originals["big.jpg"] = big
    for name, data in originals.items():
        stored_photo(alices_album, name, data)

    response = post(alice_client, "download", alices_album, all="1")

    assert response.streaming
    assert isinstance(response.streaming_content, Iterator)
    pieces = list(response.streaming_content)
    assert len(big) > 2 * CHUNK
    # Memory holds a chunk of one original at a time, never the zip or a whole file.
    assert max(len(piece) for piece in pieces) < CHUNK + 4096
    with zipfile.ZipFile(io.BytesIO(b"".join(pieces))) as archive:
        assert {name: archive.read(name) for name in archive.namelist()} == originals
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}


def test_the_zip_leaves_out_photos_whose_original_is_gone(
    alice_client: Client, alices_album: Album
) -> None:
    kept = stored_photo(alices_album, "kept.jpg")
    purged = stored_photo(alices_album, "purged.jpg", jpeg(quality=30))
    pipeline_config().blob_store().delete(purged.original_key)
    Photo.objects.filter(pk=purged.pk).update(
        status=Photo.Status.REJECTED, original_purged_at=timezone.now()
    )
    Photo.objects.create(album=alices_album, original_filename="never-arrived.jpg")

    files = unzip(post(alice_client, "download", alices_album, all="1"))

    assert list(files) == ["kept.jpg"]
    assert files["kept.jpg"] == pipeline_config().blob_store().get(kept.original_key)


def test_the_zip_has_only_the_chosen_photos_and_never_bobs(
    alice_client: Client, alices_album: Album, bobs_album: Album
) -> None:
    chosen = stored_photo(alices_album, "chosen.jpg")
    stored_photo(alices_album, "not-chosen.jpg", jpeg(quality=31))
    bobs = stored_photo(bobs_album, "bob.jpg", jpeg(quality=32))

    files = unzip(
        post(alice_client, "download", alices_album, photo=[str(chosen.pk), str(bobs.pk)])
    )

    assert list(files) == ["chosen.jpg"]


def test_labels_of_a_finished_photo_follow_it_when_it_moves(
    alice_client: Client, alices_album: Album, alices_other_album: Album
) -> None:
    photo = finished_photo(alices_album, "dog.jpg", [])
    store = pipeline_config().result_store()
    assert store.get_many([str(photo.pk)])[str(photo.pk)].status == Status.SUCCEEDED

    post(alice_client, "move", alices_album, photo=[str(photo.pk)], target=alices_other_album.pk)

    moved = Photo.objects.get(pk=photo.pk)
    assert moved.album_id == alices_other_album.pk
    assert moved.status == Photo.Status.SUCCEEDED
    assert isinstance(store.get(str(photo.pk)), ResultItem)


# aws mode ----------------------------------------------------------------------------------------


@pytest.fixture
def aws_mode(use_pipeline: UsePipeline, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The web app in aws mode against moto's S3 and DynamoDB; yields the S3 client."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("PHOTOSHARE_AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        use_pipeline(
            PHOTOSHARE_BACKEND="aws",
            PHOTOSHARE_AWS_REGION=REGION,
            PHOTOSHARE_BUCKET=BUCKET,
            PHOTOSHARE_RESULTS_TABLE=TABLE,
        )
        s3 = s3_client(REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "photoId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "photoId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield s3


def test_in_aws_mode_the_zip_streams_the_originals_from_s3(
    aws_mode: Any, alice_client: Client, alices_album: Album
) -> None:
    first, second = jpeg(quality=60), jpeg(quality=61)
    stored_photo(alices_album, "IMG_1.jpg", first)
    stored_photo(alices_album, "IMG_1.jpg", second)

    files = unzip(post(alice_client, "download", alices_album, all="1"))

    assert files == {"IMG_1.jpg": first, "IMG_1 (2).jpg": second}


def test_in_aws_mode_bulk_deletion_empties_s3_and_tombstones_dynamodb(
    aws_mode: Any, alice_client: Client, alices_album: Album
) -> None:
    photos = [stored_photo(alices_album, f"{n}.jpg", jpeg(quality=40 + n)) for n in range(30)]
    for photo in photos:  # thumbnails as the pipeline writes them
        aws_mode.put_object(
            Bucket=BUCKET, Key=f"{photo.upload_key.thumbnail_prefix}250.jpg", Body=b"t"
        )
    results = pipeline_config().result_store()
    for photo in photos:
        results.record_start(str(photo.pk), f"arn:{photo.pk}")

    post(alice_client, "delete", alices_album, all="1")

    assert "Contents" not in aws_mode.list_objects_v2(Bucket=BUCKET)
    assert all(isinstance(results.get(str(photo.pk)), Tombstone) for photo in photos)
    assert not alices_album.photos.exists()


def test_a_page_waiting_on_the_source_album_hears_at_once_that_photos_left(
    alice_client: Client, alices_album: Album, alices_other_album: Album
) -> None:
    photos = [stored_photo(alices_album, f"{n}.jpg", jpeg(quality=50 + n)) for n in range(3)]
    stamp_changes(alices_album.pk, photos)
    Photo.objects.bulk_update(photos, ["change_seq"])
    cursor = changes(alice_client, alices_album)["cursor"]
    post(
        alice_client, "move", alices_album, photo=[str(photos[0].pk)], target=alices_other_album.pk
    )

    began = time.monotonic()
    body = changes(alice_client, alices_album, since=cursor, wait=10)

    assert time.monotonic() - began < 5  # not held until the wait ran out
    assert body["photos"] == []
    assert body["cursor"] > cursor
    assert body["counts"]["photos"] == 2
    # Asked again from there, nothing is new: the page waits as usual.
    assert changes(alice_client, alices_album, since=body["cursor"])["cursor"] == body["cursor"]


def test_purging_a_moved_rejected_photo_deletes_its_original_under_its_stored_key(
    alice_client: Client, alices_album: Album, alices_other_album: Album
) -> None:
    photo = stored_photo(alices_album, "too-big.jpg")
    long_ago = timezone.now() - timedelta(days=30)
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.REJECTED, finished_at=long_ago)
    post(alice_client, "move", alices_album, all="1", target=alices_other_album.pk)

    assert purge_rejected(older_than=timezone.now()) == 1

    assert stored_files() == []
    assert Photo.objects.get(pk=photo.pk).original_purged_at is not None
