"""The original downloads under its own file name: a Content-Disposition carried by the signed
URL, served by the local S3 stand-in, and asked of S3 in aws mode (S3 itself answering with it
is tested under moto in tests/processing/aws/test_s3.py); thumbnails stay inline."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from albums.downloads import attachment_disposition
from albums.models import Album, Photo
from albums.pipeline import local_upload_signer, pipeline_config
from albums.templatetags.photos import photo_image_url
from tests.albums.photo_helpers import run_worker_until_idle, upload
from tests.conftest import UsePipeline
from tests.processing.images import jpeg


@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ("IMG_0001.JPG", "attachment; filename=\"IMG_0001.JPG\"; filename*=UTF-8''IMG_0001.JPG"),
        (
            'say "cheese".jpg',
            "attachment; filename=\"say _cheese_.jpg\"; filename*=UTF-8''say%20%22cheese%22.jpg",
        ),
        (
            "evil\r\nSet-Cookie: a=b.jpg",
            'attachment; filename="evilSet-Cookie: a=b.jpg"; '
            "filename*=UTF-8''evilSet-Cookie%3A%20a%3Db.jpg",
        ),
        ("../../etc/passwd", "attachment; filename=\"passwd\"; filename*=UTF-8''passwd"),
        (
            "C:\\Users\\me\\Ñandú.jpg",
            "attachment; filename=\"Nandu.jpg\"; filename*=UTF-8''%C3%91and%C3%BA.jpg",
        ),
        ("東京.jpg", "attachment; filename=\"photo.jpg\"; filename*=UTF-8''%E6%9D%B1%E4%BA%AC.jpg"),
        ("..", "attachment; filename=\"photo\"; filename*=UTF-8''photo"),
        ("100%.jpg", "attachment; filename=\"100_.jpg\"; filename*=UTF-8''100%25.jpg"),
    ],
)
def test_the_disposition_carries_a_safe_form_of_the_name(name: str, disposition: str) -> None:
    assert attachment_disposition(name) == disposition


def original_href(client: Client, photo_id: str) -> str:
    html = client.get(reverse("albums:photo", args=[photo_id])).content.decode()
    found = re.search(r'<a class="btn" href="([^"]+)" download>Download original</a>', html)
    assert found, html
    return unescape(found.group(1))


@pytest.mark.django_db
def test_the_local_original_downloads_under_its_file_name(
    alice_client: Client, alices_album: Album
) -> None:
    data = jpeg()
    photo_id = upload(alice_client, alices_album, data, filename='Ñandú "best".jpg')
    run_worker_until_idle()
    url = original_href(alice_client, photo_id)

    response = Client().get(url)  # the signed URL alone is the authority, as on S3
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="Nandu _best_.jpg"; '
        "filename*=UTF-8''%C3%91and%C3%BA%20%22best%22.jpg"
    )
    assert b"".join(response.streaming_content) == data


@pytest.mark.django_db
def test_the_signed_disposition_cannot_be_altered_or_dropped(
    alice_client: Client, alices_album: Album
) -> None:
    photo_id = upload(alice_client, alices_album, jpeg(), filename="lisbon.jpg")
    run_worker_until_idle()
    url = original_href(alice_client, photo_id)
    path, query = url.split("?", 1)
    params = {name: values[0] for name, values in parse_qs(query).items()}

    altered = {**params, "response-content-disposition": 'inline; filename="x.html"'}
    assert Client().get(path, altered).status_code == 403
    dropped = {k: v for k, v in params.items() if k != "response-content-disposition"}
    assert Client().get(path, dropped).status_code == 403


@pytest.mark.django_db
def test_thumbnails_stay_inline(alice_client: Client, alices_album: Album) -> None:
    photo_id = upload(alice_client, alices_album, jpeg(), filename="lisbon.jpg")
    run_worker_until_idle()
    url = photo_image_url(Photo.objects.get(pk=photo_id), 250)
    assert "response-content-disposition" not in url
    response = Client().get(url)
    assert response.status_code == 200
    assert not response.get("Content-Disposition", "").startswith("attachment")


@pytest.mark.django_db
def test_in_aws_mode_only_the_originals_url_asks_for_an_attachment(
    use_pipeline: UsePipeline, monkeypatch: pytest.MonkeyPatch, alices_album: Album
) -> None:
    # Presigning is local computation: credentials are needed, S3 is not.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    use_pipeline(PHOTOSHARE_BACKEND="aws", PHOTOSHARE_AWS_REGION="eu-west-1")
    photo = Photo.objects.create(
        album=alices_album,
        original_filename="lisbon.jpg",
        status=Photo.Status.SUCCEEDED,
        thumbnails=[{"size": 250, "key": "private/1/resized/p/250.jpg", "width": 250}],
    )
    original = parse_qs(urlsplit(photo_image_url(photo)).query)
    assert original["response-content-disposition"] == [attachment_disposition("lisbon.jpg")]
    thumbnail = parse_qs(urlsplit(photo_image_url(photo, 250)).query)
    assert "response-content-disposition" not in thumbnail


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extension", "content_type"),
    [
        ("heic", "image/heic"),
        ("heif", "image/heif"),
        ("avif", "image/avif"),
        ("webp", "image/webp"),
    ],
)
def test_the_local_bucket_serves_each_stored_format_as_its_type(
    extension: str, content_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever the machine's own table says (a machine without /etc/mime.types knows fewer).
    monkeypatch.setattr("mimetypes.guess_type", lambda *args, **kwargs: (None, None))
    key = f"private/1/uploads/2/0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90.{extension}"
    pipeline_config().blob_store().put(key, b"bytes", content_type=content_type)
    url = local_upload_signer().presigned_get(key, expires_in=60)
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
