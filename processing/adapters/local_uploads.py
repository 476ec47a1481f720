"""Presigned POST and GET for the local file store, enforcing what S3 enforces.

An upload ticket is an S3-style POST policy (base64 JSON: an expiration and conditions) with an
HMAC signature over it. The local upload endpoint accepts a form only if the signature matches the
policy, the policy has not expired, every form field is covered by a condition and satisfies it
(the exact key, the exact Content-Type), and the file's size is within content-length-range.
Anything else is refused, as S3 refuses it, and nothing is stored.

Presigned GET URLs carry an expiry and a signature over the key (and over the Content-Disposition
to serve it with, S3's ``response-content-disposition``), so thumbnails and originals are served
only to whoever was handed the URL, for a short while, exactly as with S3.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

ALGORITHM = "PHOTOSHARE-HMAC-SHA256"
# Fields S3 itself does not require a policy condition for.
_UNCONDITIONED = {"policy", "x-amz-signature", "file"}


class UploadRefused(Exception):
    """The form breaks the ticket: S3 answers 403 AccessDenied (or 400 for a size out of range)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class AcceptedUpload:
    bucket: str
    key: str
    content_type: str


class LocalUploadSigner:
    def __init__(self, *, secret: str, bucket: str, upload_url: str, download_url: str) -> None:
        self._secret = secret.encode()
        self.bucket = bucket
        self.upload_url = upload_url  # where the browser POSTs the form
        self.download_url = download_url  # prefix of presigned GET URLs

    def _sign(self, message: str) -> str:
        return hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest()

    # -- presigned POST -----------------------------------------------------------------------

    def presigned_post(
        self, *, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> dict[str, Any]:
        expiration = datetime.fromtimestamp(time.time() + expires_in, UTC)
        policy = {
            "expiration": expiration.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "conditions": [
                {"bucket": self.bucket},
                {"key": key},
                {"Content-Type": content_type},
                {"x-amz-algorithm": ALGORITHM},
                ["content-length-range", 1, max_bytes],
            ],
        }
        encoded = base64.b64encode(json.dumps(policy).encode()).decode()
        fields = {
            "key": key,
            "Content-Type": content_type,
            "x-amz-algorithm": ALGORITHM,
            "policy": encoded,
            "x-amz-signature": self._sign(encoded),
        }
        return {"url": self.upload_url, "fields": fields}

    def verify_post(
        self, bucket: str, fields: dict[str, str], file_size: int, *, now: float | None = None
    ) -> AcceptedUpload:
        encoded = fields.get("policy", "")
        if not hmac.compare_digest(self._sign(encoded), fields.get("x-amz-signature", "")):
            raise UploadRefused("SignatureDoesNotMatch", "The policy signature does not match.")
        return check_policy(bucket, fields, file_size, now=now)

    # -- presigned GET ------------------------------------------------------------------------

    def presigned_get(
        self,
        key: str,
        *,
        expires_in: int,
        content_disposition: str | None = None,
        now: float | None = None,
    ) -> str:
        """A GET URL for the key; with ``content_disposition`` the object is served with that
        header, like S3's ``response-content-disposition``, and the signature covers it.

        The same URL for a key for a quarter of ``expires_in`` at a time, so browsers can cache
        what it points at (every web process agrees: it is computed, not remembered): the
        expiry is counted from the start of the current window, so a URL handed out at the end
        of a window still has three quarters of its life."""
        window = max(1, expires_in // 4)
        moment = int(time.time() if now is None else now)
        expires = moment - moment % window + expires_in
        disposition = content_disposition or ""
        params: dict[str, str | int] = {"expires": expires}
        if disposition:
            params[DISPOSITION_PARAMETER] = disposition
        params["signature"] = self._sign(_get_string(key, expires, disposition))
        return f"{self.download_url}{quote(key)}?{urlencode(params)}"

    def verify_get(
        self,
        key: str,
        expires: str,
        signature: str,
        *,
        content_disposition: str = "",
        now: float | None = None,
    ) -> bool:
        if not expires.isdigit() or int(expires) < (now or time.time()):
            return False
        expected = self._sign(_get_string(key, int(expires), content_disposition))
        return hmac.compare_digest(expected, signature)


DISPOSITION_PARAMETER = "response-content-disposition"


def _get_string(key: str, expires: int, disposition: str) -> str:
    # The disposition is signed too, so a URL cannot be altered to serve the object otherwise
    # (inline, or under another name); without one the string is what it always was.
    base = f"GET\n{key}\n{expires}"
    return f"{base}\n{disposition}" if disposition else base


def check_policy(
    bucket: str, fields: dict[str, str], file_size: int, *, now: float | None = None
) -> AcceptedUpload:
    """S3's rules for a POST form against its (base64) policy, signature aside: the policy has
    not expired, every field is covered by a condition and meets it, and the size is in range."""
    try:
        policy = json.loads(base64.b64decode(fields.get("policy", ""), validate=True))
        expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
        conditions = policy["conditions"]
    except (ValueError, KeyError, TypeError):
        raise UploadRefused("InvalidPolicyDocument", "The policy is malformed.") from None
    if expiration.timestamp() < (now or time.time()):
        raise UploadRefused("AccessDenied", "Invalid according to Policy: Policy expired.")
    values = {k: v for k, v in fields.items() if not k.startswith("x-ignore-")}
    values["bucket"] = bucket
    covered: set[str] = set()
    for condition in conditions:
        if isinstance(condition, dict):
            for name, expected in condition.items():
                covered.add(name)
                if values.get(name) != expected:
                    raise UploadRefused(
                        "AccessDenied",
                        f"Invalid according to Policy: {name} must be {expected}.",
                    )
        elif isinstance(condition, list) and condition[:1] in (["eq"], ["starts-with"]):
            name, expected = str(condition[1]).lstrip("$"), str(condition[2])
            covered.add(name)
            value = values.get(name, "")
            if (value != expected) if condition[0] == "eq" else not value.startswith(expected):
                raise UploadRefused("AccessDenied", f"Invalid according to Policy: {name}.")
        elif isinstance(condition, list) and condition[:1] == ["content-length-range"]:
            low, high = int(condition[1]), int(condition[2])
            if not low <= file_size <= high:
                raise UploadRefused(
                    "EntityTooLarge" if file_size > high else "EntityTooSmall",
                    f"Your proposed upload size {file_size} is outside {low}-{high} bytes.",
                )
        else:
            raise UploadRefused("InvalidPolicyDocument", "Unsupported policy condition.")
    extra = set(values) - covered - _UNCONDITIONED
    if extra:
        raise UploadRefused(
            "AccessDenied", f"Invalid according to Policy: extra fields {sorted(extra)}."
        )
    return AcceptedUpload(bucket, values["key"], values["Content-Type"])
