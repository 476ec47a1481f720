"""Sharing in aws mode, against moto's S3: a link's thumbnails are presigned S3 URLs and carry no
GPS; its originals come out of S3 through Django with their GPS removed, or whole when the owner
keeps it."""

from __future__ import annotations

import re
import urllib.request
from html import unescape

import boto3
import pytest
from django.test import Client
from django.urls import reverse

from albums import sharing
from albums.models import Album, Photo
from processing.thumbnails import make_thumbnails
from tests.albums.test_sharing import assert_no_gps
from tests.aws.test_end_to_end import BUCKET, REGION, stack
from tests.processing.test_redaction import jpeg_with_xmp

pytestmark = [pytest.mark.aws, pytest.mark.django_db]
__all__ = ["stack"]  # a fixture, used by name


@pytest.fixture
def stored_photo(stack: dict[str, str], alices_album: Album) -> Photo:
    """A finished photo whose original and thumbnails are in moto's S3, as the pipeline leaves
    them (the pipeline itself is tested end to end in test_end_to_end.py)."""
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=stack["endpoint"])
    photo = Photo.objects.create(
        album=alices_album, original_filename="tram.jpg", status=Photo.Status.SUCCEEDED
    )
    s3.put_object(Bucket=BUCKET, Key=photo.original_key, Body=jpeg_with_xmp())
    thumbnails = []
    for thumbnail in make_thumbnails(jpeg_with_xmp()):
        key = f"{photo.upload_key.thumbnail_prefix}{thumbnail.size}.jpg"
        s3.put_object(Bucket=BUCKET, Key=key, Body=thumbnail.data)
        thumbnails.append(
            {
                "size": thumbnail.size,
                "key": key,
                "width": thumbnail.width,
                "height": thumbnail.height,
            }
        )
    photo.thumbnails = thumbnails
    photo.save()
    return photo


def test_a_links_thumbnails_and_original_come_from_s3_without_gps(
    stack: dict[str, str], alices_album: Album, stored_photo: Photo
) -> None:
    token = sharing.share_link_create(
        album=alices_album,
        expires_in=None,
        allow_download_original=True,
        keep_gps_in_originals=False,
    ).token
    anyone = Client()
    pages = [
        anyone.get(reverse("albums:link-gallery", args=[token])).content,
        anyone.get(reverse("albums:link-photo", args=[token, stored_photo.pk])).content,
    ]
    images = {
        unescape(url.decode())
        for page in pages
        for url in re.findall(rb'<img[^>]* src="([^"]+)"', page)
        if not url.startswith(b"/static/")
    }
    assert len(images) == 2  # 250 px on the gallery, 1024 px on the photo page
    for url in images:
        assert url.startswith(f"{stack['endpoint']}/{BUCKET}/private/")
        with urllib.request.urlopen(url) as response:
            assert_no_gps(response.read(), [jpeg_with_xmp()])
    for page in pages:
        assert_no_gps(page, [jpeg_with_xmp()])

    original = anyone.get(reverse("albums:link-original", args=[token, stored_photo.pk]))
    assert original.status_code == 200
    assert original["Content-Disposition"].startswith('attachment; filename="tram.jpg"')
    assert len(original.content) == len(jpeg_with_xmp())
    assert_no_gps(original.content, [jpeg_with_xmp()])


def test_a_link_that_keeps_gps_streams_the_original_from_s3_whole(
    stack: dict[str, str], alices_album: Album, stored_photo: Photo
) -> None:
    token = sharing.share_link_create(
        album=alices_album,
        expires_in=None,
        allow_download_original=True,
        keep_gps_in_originals=True,
    ).token
    original = Client().get(reverse("albums:link-original", args=[token, stored_photo.pk]))
    assert b"".join(original.streaming_content) == jpeg_with_xmp()
