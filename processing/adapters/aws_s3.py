"""The S3 bucket behind the BlobStore port, and S3's presigned POST and GET for the web app.

Clients are injected (tests pass ones bound to moto). Throttling and server errors surface as
TransientError so the state machine retries them; a missing key is BlobNotFound.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore import UNSIGNED
from botocore.exceptions import ClientError

from processing.adapters.aws_clients import client_config
from processing.adapters.reused_urls import ReusedUrls
from processing.ports import BlobNotFound, TransientError

_TRANSIENT = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "503", "500"}


def s3_client(region: str, endpoint_url: str | None = None, *, signed: bool = True) -> Any:
    """Signature version 4 always: the only one every region accepts, and the one whose presigned
    POST carries x-amz-credential and x-amz-date under the policy. ``signed=False`` gives the same
    addresses without needing credentials (for ``bucket_origin``)."""
    # Virtual-hosted addresses on AWS; path style for an emulator at a plain host:port.
    style = "path" if endpoint_url else "virtual"
    signature = "s3v4" if signed else UNSIGNED
    config = client_config(signature_version=signature, s3={"addressing_style": style})
    return boto3.client("s3", region_name=region, endpoint_url=endpoint_url, config=config)


def bucket_origin(bucket: str, region: str, endpoint_url: str | None = None) -> str:
    """The origin (scheme://host[:port]) of the bucket's presigned POSTs and GETs, which the web
    app's Content-Security-Policy must allow. botocore builds the address exactly as it does for
    ``S3UploadSigner`` (virtual-hosted, path style for dotted names or an emulator), so it is
    asked rather than the rules copied."""
    client = s3_client(region, endpoint_url, signed=False)
    urls = (
        client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}),
        client.generate_presigned_post(bucket, "k")["url"],
    )
    origins = {f"{part.scheme}://{part.netloc}" for part in map(urlsplit, urls)}
    if len(origins) != 1:  # never seen; a policy allowing only one would break uploads or images
        raise ValueError(f"S3 presigned GET and POST differ in origin: {sorted(origins)}")
    return origins.pop()


def _raise_for(error: ClientError, key: str) -> None:
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code in ("NoSuchKey", "404", "NotFound"):
        raise BlobNotFound(key) from error
    if code in _TRANSIENT:
        raise TransientError(f"S3 {code} for {key}") from error
    raise error


_DELETE_BATCH = 1000  # DeleteObjects' limit
# Up to this many folders under one parent are each listed; more, and the parent is listed once.
_LIST_EACH_UP_TO = 20


class S3BlobStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            _raise_for(error, key)
            raise

    def open(self, key: str) -> Any:
        """botocore's StreamingBody: read in chunks straight from S3."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as error:
            _raise_for(error, key)
            raise

    def size(self, key: str) -> int | None:
        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as error:
            try:
                _raise_for(error, key)
            except BlobNotFound:
                return None
            raise

    def put(
        self, key: str, data: bytes, *, content_type: str, cache_control: str | None = None
    ) -> None:
        extra = {"CacheControl": cache_control} if cache_control else {}
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **extra
            )
        except ClientError as error:
            _raise_for(error, key)
            raise

    def delete(self, key: str, *, version_id: str | None = None) -> None:
        arguments = {"Bucket": self.bucket, "Key": key}
        if version_id is not None:
            arguments["VersionId"] = version_id
        try:
            self.client.delete_object(**arguments)
        except ClientError as error:
            _raise_for(error, key)
            raise

    def delete_prefix(self, prefix: str) -> int:
        """ListObjectsV2 a page (up to 1,000 keys) at a time, each page one DeleteObjects."""
        deleted = 0
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                keys = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
                if keys:
                    self.client.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True}
                    )
                    deleted += len(keys)
        except ClientError as error:
            _raise_for(error, prefix)
            raise
        return deleted

    def delete_many(self, keys: Iterable[str]) -> None:
        """DeleteObjects, 1,000 keys a call (missing keys count as deleted, as in S3)."""
        self._delete_keys(list(dict.fromkeys(keys)))

    def delete_prefixes(self, prefixes: Iterable[str]) -> None:
        """A few folders are listed one by one; many folders under one parent (thousands of
        photos' thumbnail folders, ``private/{user}/resized/{photo}/``) are found by listing the
        parent once, 1,000 keys a page, so the calls grow with the parent's size divided by
        1,000, not with the number of folders."""
        by_parent: dict[str, set[str]] = {}
        for prefix in dict.fromkeys(prefixes):
            parent = prefix.rstrip("/").rpartition("/")[0] + "/"
            by_parent.setdefault(parent, set()).add(prefix)
        for parent, group in by_parent.items():
            if len(group) <= _LIST_EACH_UP_TO or parent == "/":
                for prefix in group:
                    self.delete_prefix(prefix)
                continue
            try:
                for page in self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=parent
                ):
                    self._delete_keys(
                        [
                            entry["Key"]
                            for entry in page.get("Contents", [])
                            if _folder_of(entry["Key"], parent) in group
                        ]
                    )
            except ClientError as error:
                _raise_for(error, parent)
                raise

    def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), _DELETE_BATCH):
            objects = [{"Key": key} for key in keys[start : start + _DELETE_BATCH]]
            try:
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
                )
            except ClientError as error:
                _raise_for(error, objects[0]["Key"])
                raise


def _folder_of(key: str, parent: str) -> str:
    """The folder prefix (ending in "/") right under ``parent`` that holds ``key``."""
    child = key[len(parent) :].partition("/")[0]
    return f"{parent}{child}/"


class S3UploadSigner:
    """Presigned POST tickets and GET URLs straight from S3, for the browser. One per web
    process (it holds the process's S3 client): GET URLs are reused for most of their life
    (processing.adapters.reused_urls), so a thumbnail keeps its URL across renders and stays in
    the browser's cache."""

    def __init__(self, client: Any, bucket: str, *, urls: ReusedUrls | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self._urls = urls if urls is not None else ReusedUrls()  # an empty one is falsy

    def presigned_post(
        self, *, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> dict[str, Any]:
        # boto3 adds the bucket and the exact key to the policy itself; the rest is pinned here.
        return self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )

    def presigned_get(
        self, key: str, *, expires_in: int, content_disposition: str | None = None
    ) -> str:
        """With ``content_disposition``, S3 answers with that header (a signed
        ``response-content-disposition`` query parameter): downloads keep their file name."""
        params = {"Bucket": self.bucket, "Key": key}
        if content_disposition:
            params["ResponseContentDisposition"] = content_disposition

        def sign() -> str:
            url: str = self.client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in
            )
            return url

        return self._urls.get((key, content_disposition, expires_in), expires_in, sign)
