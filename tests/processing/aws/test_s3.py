"""The S3 adapter and S3's presigned POST, under moto."""

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.auth
import pytest
import requests

from processing.adapters.aws_s3 import S3BlobStore, S3UploadSigner, bucket_origin, s3_client
from processing.adapters.local_uploads import UploadRefused, check_policy
from processing.adapters.reused_urls import ReusedUrls
from processing.keys import THUMBNAIL_CACHE_CONTROL
from processing.ports import BlobNotFound
from tests.processing.aws.conftest import BUCKET

KEY = "private/7/uploads/3/0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90.jpg"


def test_objects_round_trip_with_their_content_type(s3) -> None:
    store = S3BlobStore(s3, BUCKET)
    store.put(KEY, b"\xff\xd8\xffdata", content_type="image/jpeg")
    assert store.get(KEY) == b"\xff\xd8\xffdata"
    assert store.open(KEY).read() == b"\xff\xd8\xffdata"
    assert store.size(KEY) == 7
    assert s3.head_object(Bucket=BUCKET, Key=KEY)["ContentType"] == "image/jpeg"
    store.delete(KEY)
    assert store.size(KEY) is None
    with pytest.raises(BlobNotFound):
        store.get(KEY)
    store.delete(KEY)  # deleting what is gone is fine, as on S3


def test_the_presigned_post_pins_key_size_type_and_expiry(s3) -> None:
    ticket = S3UploadSigner(s3, BUCKET).presigned_post(
        key=KEY, content_type="image/jpeg", max_bytes=25_000_000, expires_in=600
    )
    fields = ticket["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert {"key": KEY} in policy["conditions"]
    assert {"bucket": BUCKET} in policy["conditions"]
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert ["content-length-range", 1, 25_000_000] in policy["conditions"]
    expires = time.mktime(time.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    assert 0 < expires - time.mktime(time.gmtime()) <= 600
    assert ticket["url"].startswith("https://")


def test_s3s_rules_accept_the_ticket_and_refuse_tampering(s3) -> None:
    """moto does not enforce POST policies, so S3's rules (check_policy) are applied to the very
    fields boto3 produced: what passes here is what S3 accepts, and what fails S3 refuses."""
    fields = S3UploadSigner(s3, BUCKET).presigned_post(
        key=KEY, content_type="image/jpeg", max_bytes=1000, expires_in=600
    )["fields"]
    assert check_policy(BUCKET, fields, 500).key == KEY
    for tampered, size in (
        ({**fields, "key": KEY.replace("/7/", "/8/")}, 500),
        ({**fields, "Content-Type": "text/html"}, 500),
        ({**fields, "acl": "public-read"}, 500),
        (fields, 1001),
    ):
        with pytest.raises(UploadRefused):
            check_policy(BUCKET, tampered, size)
    with pytest.raises(UploadRefused, match="expired"):
        check_policy(BUCKET, fields, 500, now=time.time() + 601)


def test_presigned_get_urls_name_the_object_and_expire(s3) -> None:
    url = S3UploadSigner(s3, BUCKET).presigned_get(KEY, expires_in=300)
    assert KEY in url
    assert "X-Amz-Expires=300" in url


def test_the_s3_url_signs_the_disposition_and_s3_answers_with_it(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"\xff\xd8\xffdata", ContentType="image/jpeg")
    disposition = "attachment; filename=\"Nandu.jpg\"; filename*=UTF-8''%C3%91and%C3%BA.jpg"

    url = S3UploadSigner(s3, BUCKET).presigned_get(
        KEY, expires_in=300, content_disposition=disposition
    )
    query = parse_qs(urlsplit(url).query)
    assert query["response-content-disposition"] == [disposition]
    assert "X-Amz-Signature" in query
    response = requests.get(url, timeout=10)  # answered by moto
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == disposition


@pytest.mark.parametrize(
    ("bucket", "region", "endpoint", "origin"),
    [
        ("photoshare-photos", "us-east-1", None, "https://photoshare-photos.s3.amazonaws.com"),
        (
            "photoshare-photos",
            "eu-west-1",
            None,
            "https://photoshare-photos.s3.eu-west-1.amazonaws.com",
        ),
        ("photos.example.com", "eu-west-1", None, "https://s3.eu-west-1.amazonaws.com"),
        ("photoshare-test", "eu-west-1", "http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ],
)
def test_the_bucket_origin_is_where_the_signers_urls_point(
    aws: None, bucket: str, region: str, endpoint: str | None, origin: str
) -> None:
    """The Content-Security-Policy allows this origin; the signer must send the browser there."""
    signer = S3UploadSigner(s3_client(region, endpoint), bucket)
    urls = [
        signer.presigned_get("private/u/resized/p/250.jpg", expires_in=60),
        signer.presigned_post(
            key="private/u/uploads/a/p.jpg", content_type="image/jpeg", max_bytes=9, expires_in=60
        )["url"],
    ]
    assert bucket_origin(bucket, region, endpoint) == origin
    assert all(url.startswith(origin + "/") or url == origin for url in urls), urls


def test_a_prefix_is_deleted_whole_and_nothing_beside_it(s3) -> None:
    store = S3BlobStore(s3, BUCKET)
    for key in ("private/7/resized/p1/250.jpg", "private/7/resized/p1/1024.jpg"):
        store.put(key, b"x", content_type="image/jpeg")
    store.put("private/7/resized/p10/250.jpg", b"y", content_type="image/jpeg")

    assert store.delete_prefix("private/7/resized/p1/") == 2
    listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [entry["Key"] for entry in listed] == ["private/7/resized/p10/250.jpg"]


def count_calls(client: Any, operation: str) -> list[str]:
    """Every call of ``operation`` the client makes, by botocore's own event hooks."""
    calls: list[str] = []
    client.meta.events.register(f"before-call.s3.{operation}", lambda **_: calls.append(operation))
    return calls


def test_many_keys_are_deleted_a_thousand_to_a_call(s3) -> None:
    store = S3BlobStore(s3, BUCKET)
    keys = [f"private/7/uploads/3/{n:05}.jpg" for n in range(2_500)]
    for key in keys[:3] + keys[-3:]:
        store.put(key, b"x", content_type="image/jpeg")
    store.put("private/7/uploads/3/kept.jpg", b"k", content_type="image/jpeg")
    deletes = count_calls(s3, "DeleteObjects")

    store.delete_many(keys)

    assert len(deletes) == 3
    remaining = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [entry["Key"] for entry in remaining] == ["private/7/uploads/3/kept.jpg"]


def test_many_folders_are_found_by_one_listing_of_their_parent(s3) -> None:
    store = S3BlobStore(s3, BUCKET)
    folders = [f"private/7/resized/photo-{n:03}/" for n in range(50)]
    for folder in folders:
        for size in (250, 1024):
            store.put(f"{folder}{size}.jpg", b"t", content_type="image/jpeg")
    kept = ["private/7/resized/photo-999/250.jpg", "private/7/resized/photo-00/250.jpg"]
    for key in kept:
        store.put(key, b"k", content_type="image/jpeg")
    lists = count_calls(s3, "ListObjectsV2")

    store.delete_prefixes(folders)

    assert len(lists) == 1  # 102 keys: one page
    remaining = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert sorted(entry["Key"] for entry in remaining) == sorted(kept)


def test_a_few_folders_are_listed_each_on_its_own(s3) -> None:
    store = S3BlobStore(s3, BUCKET)
    store.put("private/7/resized/a/250.jpg", b"t", content_type="image/jpeg")
    store.put("private/7/resized/b/250.jpg", b"t", content_type="image/jpeg")
    store.put("private/7/resized/ab/250.jpg", b"k", content_type="image/jpeg")

    store.delete_prefixes(["private/7/resized/a/", "private/7/resized/b/"])

    remaining = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [entry["Key"] for entry in remaining] == ["private/7/resized/ab/250.jpg"]


def test_a_thumbnail_is_stored_with_the_cache_control_it_is_served_with(s3) -> None:
    key = "private/7/resized/0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90/250.jpg"
    S3BlobStore(s3, BUCKET).put(
        key, b"\xff\xd8\xff", content_type="image/jpeg", cache_control=THUMBNAIL_CACHE_CONTROL
    )
    assert s3.head_object(Bucket=BUCKET, Key=key)["CacheControl"] == (
        "private, max-age=31536000, immutable"
    )


def test_presigned_gets_are_reused_and_renewed_near_their_end(
    s3, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1_800_000_000.0]
    # botocore signs with its own clock; it follows the test's, so a renewal is a new signature.
    monkeypatch.setattr(
        botocore.auth, "get_current_datetime", lambda: datetime.fromtimestamp(clock[0], UTC)
    )
    signer = S3UploadSigner(s3, BUCKET, urls=ReusedUrls(clock=lambda: clock[0]))
    first = signer.presigned_get(KEY, expires_in=3600)
    clock[0] += 2699
    assert signer.presigned_get(KEY, expires_in=3600) == first
    # Another disposition is another URL, kept on its own.
    download = signer.presigned_get(KEY, expires_in=3600, content_disposition="attachment")
    assert download != first
    clock[0] += 1
    renewed = signer.presigned_get(KEY, expires_in=3600)
    assert renewed != first
    dates = [parse_qs(urlsplit(url).query)["X-Amz-Date"][0] for url in (first, renewed)]
    assert dates == ["20270115T080000Z", "20270115T084500Z"]
