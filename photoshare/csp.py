"""The Content-Security-Policy header on every response: this site's own scripts, styles and
images, plus the bucket the browser uploads to and loads thumbnails from in aws mode.

A middleware of a few lines rather than the django-csp package: the policy is the same for every
response of a process (no inline script or style anywhere, so no nonces), and what it must add
(the bucket's origin) comes from the app's own settings. The policy lives in ``SECURE_CSP``, in
the shape Django 6.0's built-in middleware reads, so an upgrade can swap this module for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from albums.pipeline import storage_origin

HEADER = "Content-Security-Policy"
# What the browser does with the bucket: POSTs the files (XMLHttpRequest, so connect-src; no
# form posts there) and shows presigned thumbnails.
STORAGE_DIRECTIVES = ("img-src", "connect-src")


def content_security_policy(
    directives: Mapping[str, Sequence[str]] | None = None, *, storage: str | None = None
) -> str:
    """The header's value: ``directives`` (default: settings.SECURE_CSP) with ``storage``, the
    bucket's origin when it is not this site, added where the browser reaches it."""
    directives = settings.SECURE_CSP if directives is None else directives
    parts = []
    for name, sources in directives.items():
        values = list(sources)
        if storage and name in STORAGE_DIRECTIVES and storage not in values:
            values.append(storage)
        parts.append(" ".join([name, *values]))
    return "; ".join(parts)


class ContentSecurityPolicyMiddleware:
    """First in MIDDLEWARE, so error pages, redirects and static files carry the header too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        # Built once per process: the bucket's origin does not change while it runs.
        self.policy = content_security_policy(storage=storage_origin())

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault(HEADER, self.policy)
        return response
