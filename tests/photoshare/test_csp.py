"""The Content-Security-Policy header: on every response, built from settings, with the bucket's
origin in aws mode; and no template holds what the policy forbids (inline script or style)."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from albums.models import Album
from albums.pipeline import Label
from photoshare.csp import HEADER, ContentSecurityPolicyMiddleware, content_security_policy
from tests.albums.photo_helpers import finished_photo
from tests.conftest import UsePipeline

ROOT = Path(__file__).resolve().parents[2]
LOCAL_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)

pytestmark = pytest.mark.django_db
DOG = Label("Dog", 87.4, "local", "nanodet-g/test")

ANONYMOUS_PAGES = [
    "/",
    "/healthz",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/confirm-email/",
    "/accounts/confirm-email/not-a-key/",
    "/accounts/password/reset/key/1-not-a-key/",
    "/accounts/inactive/",
    "/admin/login/",
    "/no-such-page/",
    "/albums/",  # a redirect to the login page
    "/static/css/photoshare.css",
]


def test_the_local_policy_allows_only_this_site() -> None:
    assert content_security_policy() == LOCAL_POLICY


def test_in_aws_mode_the_bucket_is_allowed_for_images_and_uploads(
    use_pipeline: UsePipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHOTOSHARE_AWS_ENDPOINT_URL", raising=False)
    use_pipeline(
        PHOTOSHARE_BACKEND="aws",
        PHOTOSHARE_BUCKET="photoshare-photos-123456789012",
        PHOTOSHARE_AWS_REGION="eu-west-1",
    )
    bucket = "https://photoshare-photos-123456789012.s3.eu-west-1.amazonaws.com"
    policy = ContentSecurityPolicyMiddleware(lambda request: None).policy
    assert policy == LOCAL_POLICY.replace("img-src 'self'", f"img-src 'self' {bucket}").replace(
        "connect-src 'self'", f"connect-src 'self' {bucket}"
    )


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_every_anonymous_response_carries_the_policy(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (200, 302, 404), response.status_code
    assert response[HEADER] == LOCAL_POLICY


def test_every_signed_in_page_carries_the_policy(alice: User, alice_client: Client) -> None:
    album = Album.objects.create(owner=alice, name="Porch")
    photo = finished_photo(album, "rex.jpg", [DOG])
    pages = [
        reverse("albums:list"),
        reverse("albums:detail", args=[album.pk]),
        reverse("albums:rename", args=[album.pk]),
        reverse("albums:delete", args=[album.pk]),
        reverse("albums:changes", args=[album.pk]),
        reverse("albums:search") + "?q=dog",
        reverse("albums:photo", args=[photo.id]),
        reverse("albums:photo-delete", args=[photo.id]),
        reverse("account_email"),
        reverse("account_change_password"),
        reverse("account_logout"),
        reverse("account_reauthenticate"),
        "/albums/999999/",
    ]
    for path in pages:
        response = alice_client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert response[HEADER] == LOCAL_POLICY, path


# What a policy without 'unsafe-inline' blocks: style attributes and elements, inline scripts
# (a <script> without src, unless it is a JSON data block) and on... event handler attributes.
FORBIDDEN = [
    (re.compile(r"\sstyle\s*="), "a style attribute"),
    (re.compile(r"<style[\s>]"), "a style element"),
    (
        re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"),
        "an inline script",
    ),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "an event handler attribute"),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: URL"),
]


@pytest.mark.parametrize(
    "template", sorted((ROOT / "templates").rglob("*.html")), ids=lambda p: p.name
)
def test_no_template_holds_inline_script_or_style(template: Path) -> None:
    text = template.read_text()
    found = [what for pattern, what in FORBIDDEN if pattern.search(text)]
    assert found == []


@pytest.mark.parametrize(
    "script", sorted((ROOT / "static" / "js").glob("*.js")), ids=lambda p: p.name
)
def test_no_script_writes_style_attributes_or_inline_handlers(script: Path) -> None:
    """Scripts may set styles through the CSSOM (element.style.left); markup they build may not
    carry style or on... attributes, which the policy blocks."""
    text = script.read_text()
    assert not re.search(r"setAttribute\(\s*[\"'](style|on[a-z]+)[\"']", text)
    assert not re.search(r"<[a-z][^>]*\s(style|on[a-z]+)\s*=", text)
    assert "<style" not in text
    assert "eval(" not in text
    assert "new Function(" not in text
