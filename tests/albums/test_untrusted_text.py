"""Text from files and from people fits its column on every database: PostgreSQL refuses a string
longer than its varchar and a NUL anywhere (text or jsonb) where SQLite keeps both, and a refused
save would be retried by every page that brings the photo up to date."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from albums.models import Album, Photo, PhotoLabel
from albums.outcomes import refresh_photos
from processing.metadata import ImageMetadata
from processing.recognition.labels import Label
from processing.results import ResultItem, Status
from processing.runtime import config
from tests.albums.photo_helpers import changes, run_worker_until_idle, ticket, tickets, upload
from tests.processing.images import exif_block, jpeg

pytestmark = pytest.mark.django_db

LONG = 5_000
TAG_LENS_MODEL = 0xA434
LONG_ARN = f"arn:\x00{'e' * LONG}"


def photo_pages_answer(client: Client, album: Album, photo: Photo) -> None:
    """The album, photo, execution and status pages: each brings the photo up to date."""
    pages = ["albums:list", "albums:detail", "albums:photo"]
    if photo.execution_arn:
        pages.append("albums:execution")
    for name in pages:
        url = reverse(
            name,
            args=[]
            if name == "albums:list"
            else [photo.album_id if name == "albums:detail" else photo.pk],
        )
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    assert changes(client, album)["photos"]


def test_a_camera_make_model_and_lens_of_5000_characters_are_cut_to_their_columns(
    alice_client: Client, alices_album: Album
) -> None:
    exif = exif_block(make="M" * LONG, model="m" * LONG, extra_exif={TAG_LENS_MODEL: "L" * LONG})
    photo_id = upload(alice_client, alices_album, jpeg(exif=exif))
    run_worker_until_idle()

    photo_pages_answer(alice_client, alices_album, Photo.objects.get(pk=photo_id))
    photo = Photo.objects.get(pk=photo_id)
    assert photo.status == Photo.Status.SUCCEEDED
    assert photo.camera_make == "M" * Photo._meta.get_field("camera_make").max_length
    assert photo.camera_model == "m" * Photo._meta.get_field("camera_model").max_length
    assert photo.lens == "L" * Photo._meta.get_field("lens").max_length


def nul_riddled_item(photo: Photo) -> ResultItem:
    """A final item whose every text carries NULs and is far too long, as a results store
    could hold it (DynamoDB keeps any string)."""
    metadata = ImageMetadata(
        format="JPEG\x00" * 10,
        format_detail="JPEG",
        width=10,
        height=10,
        orientation=None,
        display_width=10,
        display_height=10,
        file_size=100,
        has_icc_profile=False,
        has_alpha=False,
        taken_at="2026-05-01T09:30:12\x00" * 10,
        camera_make="Can\x00on" * LONG,
        camera_model="EOS\x00",
        lens="\x00" * LONG,
        iso=4_000_000_000,  # an EXIF LONG: beyond PostgreSQL's integer
    )
    label = Label(
        "D\x00og",
        90.0,
        "rekognition\x00",
        "v\x00",
        parents=("Ani\x00mal", "x" * LONG),
    )
    return ResultItem(
        str(photo.pk),
        Status.SUCCEEDED,
        execution_arn=LONG_ARN,
        metadata=metadata,
        labels=(label,),
        rejection_reason="corrupt\x00" * 10,
        message="Done\x00" * LONG,
    )


def test_a_results_item_full_of_nuls_and_long_text_is_stored_without_them(
    alice_client: Client, alices_album: Album
) -> None:
    photo = Photo.objects.create(album=alices_album, original_filename="odd.jpg")
    store = config().result_store()
    store.record_start(str(photo.pk), LONG_ARN)
    store.record_final(nul_riddled_item(photo))

    assert refresh_photos([photo]) == [photo]
    photo.refresh_from_db()
    assert photo.status == Photo.Status.SUCCEEDED
    assert photo.camera_make.startswith("CanonCanon")
    assert len(photo.camera_make) == Photo._meta.get_field("camera_make").max_length
    assert (photo.camera_model, photo.lens, photo.iso) == ("EOS", "", None)
    assert photo.format == "JPEGJPEG"
    assert photo.taken_at_local.startswith("2026-05-01T09:30:12")
    assert len(photo.execution_arn) == Photo._meta.get_field("execution_arn").max_length
    assert "\x00" not in json.dumps(photo.labels) + photo.status_message + photo.rejection_reason
    assert photo.labels[0]["Name"] == "Dog"
    terms = set(PhotoLabel.objects.filter(photo=photo).values_list("term", flat=True))
    assert terms == {"Dog", "Animal", "x" * PhotoLabel._meta.get_field("term").max_length}

    alice_client.get(reverse("albums:detail", args=[alices_album.pk]))  # nothing left to apply
    page = alice_client.get(reverse("albums:search"), {"q": "animal"})
    assert [p.pk for p in page.context["page"].object_list] == [photo.pk]


@pytest.mark.parametrize("batch", [False, True], ids=["one file", "a batch"])
def test_a_nul_in_a_file_name_is_removed_at_the_ticket_api(
    alice_client: Client, alices_album: Album, batch: bool
) -> None:
    name = "holi\x00day.jpg"
    if batch:
        response = tickets(
            alice_client, alices_album, [{"filename": name, "contentType": "image/jpeg", "size": 9}]
        )
        assert response.status_code == 200, response.content
        photo_id = response.json()["tickets"][0]["photoId"]
    else:
        response = ticket(alice_client, alices_album, filename=name, size=9)
        assert response.status_code == 201, response.content
        photo_id = response.json()["photoId"]
    photo = Photo.objects.get(pk=photo_id)
    assert photo.original_filename == "holiday.jpg"
    photo_pages_answer(alice_client, alices_album, photo)


def offer(**entry: Any) -> dict[str, Any]:
    return {"filename": "a.jpg", "contentType": "image/jpeg", "size": 9, **entry}


@pytest.mark.parametrize(
    "entry",
    [
        offer(filename="n" * LONG + ".jpg"),
        offer(filename="\x00" * 10),
        offer(filename="\ud800.jpg"),  # a lone surrogate: valid JSON, no valid UTF-8
        offer(contentType="image/jpeg\x00"),
        offer(contentType="x" * LONG),
        offer(sha256="a" * 64 + "\n"),
        offer(sha256="a" * 63 + "\x00"),
    ],
    ids=["long name", "only nuls", "surrogate", "nul type", "long type", "sha newline", "sha nul"],
)
def test_odd_offers_get_a_ticket_or_a_refusal_never_an_error(
    alice_client: Client, alices_album: Album, entry: dict[str, Any]
) -> None:
    response = tickets(alice_client, alices_album, [entry])
    assert response.status_code in (200, 400), response.content
    for photo in Photo.objects.in_album(alices_album):
        assert len(photo.original_filename) <= 255
        assert "\x00" not in photo.original_filename + photo.content_type + photo.sha256
    assert alice_client.get(reverse("albums:detail", args=[alices_album.pk])).status_code == 200


@pytest.mark.parametrize("query", ["do\x00g", "\x00", "dog" * LONG])
def test_a_search_query_with_a_nul_or_of_any_length_is_no_error(
    alice_client: Client, query: str
) -> None:
    response = alice_client.get(reverse("albums:search"), {"q": query})
    assert response.status_code == 200
    assert "\x00" not in response.context["query"]


@pytest.mark.parametrize(
    ("since", "status"), [("9" * 40, 200), ("1\x00", 400), ("-5", 200), ("x", 400)]
)
def test_any_change_cursor_is_an_answer_never_an_error(
    alice_client: Client, alices_album: Album, since: str, status: int
) -> None:
    url = reverse("albums:changes", args=[alices_album.pk])
    assert alice_client.get(url, {"since": since}).status_code == status


def test_an_album_id_beyond_any_integer_is_not_found(alice_client: Client) -> None:
    for name in ("albums:detail", "albums:changes", "albums:rename", "albums:upload-ticket"):
        url = reverse(name, args=[10**30])
        response = (
            alice_client.post(url) if name == "albums:upload-ticket" else alice_client.get(url)
        )
        assert response.status_code == 404, name
