"""Sharing pages: the owner's Share page, the secret link's read-only gallery and photo (no login),
and the same read-only views for accounts an album was shared with.

Each kind of visitor reaches albums through one helper, so no view repeats an access rule:
- the owner: `albums.views._get_album_for_user` (another person's album is a 404);
- a link: `_get_link`, an active link by exact lookup of its token's digest; unknown, revoked
  and expired tokens are the same 404;
- a recipient: `_get_shared_album`, albums shared with the signed-in account.
Photos are then looked up inside that album only (`_get_shared_photo`), Done photos only, so a
share opens nothing but its album's finished photos.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from albums import sharing
from albums.models import Album, AlbumShare, Photo, ShareLink
from albums.neighbours import neighbours
from albums.photo_views import Grid, viewer_context
from albums.views import PHOTOS_PER_PAGE, _get_album_for_user
from photoshare.auth import AuthenticatedRequest

# What the owner may pick for a link's lifetime; "" is no expiry.
EXPIRY_CHOICES = {"": None, "1": 1, "7": 7, "30": 30, "365": 365}
_NEW_LINK_SESSION_KEY = "new_share_link"


# --- Access --------------------------------------------------------------------------------


def _get_link(token: str) -> ShareLink:
    link = ShareLink.objects.active().for_token(token).select_related("album").first()
    if link is None:
        raise Http404("No such share")
    return link


def _get_shared_album(request: AuthenticatedRequest, album_id: int) -> Album:
    return get_object_or_404(
        Album.objects.shared_with(request.user).select_related("owner"), pk=album_id
    )


def _get_shared_photo(album: Album, photo_id: UUID) -> Photo:
    photo = get_object_or_404(sharing.shared_photos(album), pk=photo_id)
    photo.album = album
    return photo


def _read_only(response: HttpResponse) -> HttpResponse:
    """Shared pages stay out of search engines and shared caches."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


# --- The owner's Share page -----------------------------------------------------------------


@require_http_methods(["GET"])
def album_share(request: AuthenticatedRequest, album_id: int) -> HttpResponse:
    album = _get_album_for_user(request, album_id)
    new_link = request.session.pop(_NEW_LINK_SESSION_KEY, None)
    context = {
        "album": album,
        "links": album.share_links.filter(revoked_at__isnull=True),
        "shares": album.account_shares.select_related("recipient"),
        "new_link": new_link if new_link and new_link.get("album") == album.pk else None,
        "expiry_choices": [
            ("", "Never"),
            ("1", "In a day"),
            ("7", "In a week"),
            ("30", "In 30 days"),
            ("365", "In a year"),
        ],
    }
    return render(request, "albums/share.html", context)


@require_POST
def share_link_create(request: AuthenticatedRequest, album_id: int) -> HttpResponse:
    album = _get_album_for_user(request, album_id)
    expiry = request.POST.get("expires_in", "")
    if expiry not in EXPIRY_CHOICES:
        messages.error(request, "Choose when the link expires from the list.")
        return redirect("albums:share", album_id=album.pk)
    days = EXPIRY_CHOICES[expiry]
    made = sharing.share_link_create(
        album=album,
        expires_in=timedelta(days=days) if days else None,
        allow_download_original=request.POST.get("allow_download_original") == "on",
        keep_gps_in_originals=request.POST.get("keep_gps_in_originals") == "on",
    )
    # Shown once, on the page the redirect leads to: the token itself is not stored.
    url = request.build_absolute_uri(reverse("albums:link-gallery", args=[made.token]))
    request.session[_NEW_LINK_SESSION_KEY] = {"album": album.pk, "id": made.link.pk, "url": url}
    messages.success(request, "Link created. Copy it now: it is shown only once.")
    return redirect("albums:share", album_id=album.pk)


@require_POST
def share_link_revoke(request: AuthenticatedRequest, album_id: int, link_id: int) -> HttpResponse:
    album = _get_album_for_user(request, album_id)
    link = get_object_or_404(album.share_links, pk=link_id)
    sharing.share_link_revoke(link=link)
    messages.success(request, "Link revoked: it opens nothing any more.")
    return redirect("albums:share", album_id=album.pk)


@require_POST
def album_share_add(request: AuthenticatedRequest, album_id: int) -> HttpResponse:
    album = _get_album_for_user(request, album_id)
    email = request.POST.get("email", "").strip()[:254]
    if not email:
        messages.error(request, "Enter the e-mail address of the account to share with.")
        return redirect("albums:share", album_id=album.pk)
    album_url = request.build_absolute_uri(reverse("albums:shared-album", args=[album.pk]))
    try:
        share = sharing.album_share_create(album=album, email=email, album_url=album_url)
    except sharing.NoSuchAccount:
        messages.error(request, f"No Photoshare account has the address {email}.")
    except sharing.AlreadyShared:
        messages.error(request, f"“{album.name}” is already visible to {email}.")
    else:
        messages.success(request, f"Shared with {share.recipient.email}; they were sent a mail.")
    return redirect("albums:share", album_id=album.pk)


@require_POST
def album_share_remove(request: AuthenticatedRequest, album_id: int, share_id: int) -> HttpResponse:
    album = _get_album_for_user(request, album_id)
    share = get_object_or_404(AlbumShare.objects.filter(album=album), pk=share_id)
    email = share.recipient.email
    sharing.album_share_remove(share=share)
    messages.success(request, f"{email} can no longer see “{album.name}”.")
    return redirect("albums:share", album_id=album.pk)


# --- Read-only views: by secret link, and for recipients ------------------------------------


@dataclass(frozen=True, slots=True)
class Tile:
    photo: Photo
    url: str


def _gallery(
    request: HttpRequest, album: Album, photo_url: str, context: dict[str, object]
) -> HttpResponse:
    """``photo_url`` has "00000000-0000-0000-0000-000000000000" where each photo's id goes."""
    after = request.GET.get("after")
    page = sharing.gallery_page(album, after=after, size=PHOTOS_PER_PAGE)
    tiles = [
        Tile(photo, photo_url.replace(str(UUID(int=0)), str(photo.id))) for photo in page.photos
    ]
    for tile in tiles:
        tile.photo.album = album
    context = {
        **context,
        "album": album,
        "tiles": tiles,
        "older": page.older,
        "is_first_page": not after,
        "photo_count": sharing.shared_photos(album).count(),
    }
    return _read_only(render(request, "albums/shared_album.html", context))


def _photo_page(
    request: HttpRequest,
    photo: Photo,
    photo_url: Callable[[Photo], str],
    gallery_url: str,
    context: dict[str, object],
) -> HttpResponse:
    """The owner's full-screen viewer, read only (templates/albums/shared_photo.html): previous
    and next in the gallery's order among the album's Done photos, closing to the gallery page
    that holds the photo. ``read_only`` drops the label chips' search links."""
    album = photo.album
    grid = Grid(sharing.shared_photos(album), gallery_url, album.name, "")
    cursor = sharing.gallery_cursor_of(album, photo, size=PHOTOS_PER_PAGE)
    page = f"{gallery_url}?{urlencode({'after': cursor})}" if cursor else gallery_url
    context = {
        **context,
        **viewer_context(
            grid=grid,
            photo=photo,
            around=neighbours(grid.photos, photo),
            close_url=f"{page}#photo-{photo.id}",
            photo_url=photo_url,
        ),
        "album": album,
        "gallery_url": gallery_url,
        "read_only": True,
    }
    return _read_only(render(request, "albums/shared_photo.html", context))


@login_not_required
@require_http_methods(["GET"])
def link_gallery(request: HttpRequest, token: str) -> HttpResponse:
    link = _get_link(token)
    photo_url = reverse("albums:link-photo", args=[token, UUID(int=0)])
    return _gallery(request, link.album, photo_url, {"link": link, "token": token})


@login_not_required
@require_http_methods(["GET"])
def link_photo(request: HttpRequest, token: str, photo_id: UUID) -> HttpResponse:
    link = _get_link(token)
    photo = _get_shared_photo(link.album, photo_id)
    # Zoom and the download both take the link's original (GPS removed unless the owner kept
    # it), only when the owner allowed originals; otherwise zoom enlarges the 1024 px preview.
    allowed = link.allow_download_original and photo.has_original
    return _photo_page(
        request,
        photo,
        lambda other: reverse("albums:link-photo", args=[token, other.id]),
        reverse("albums:link-gallery", args=[token]),
        {
            "link": link,
            "original_url": reverse("albums:link-original", args=[token, photo.id])
            if allowed
            else "",
        },
    )


@login_not_required
@require_http_methods(["GET"])
def link_original(request: HttpRequest, token: str, photo_id: UUID) -> HttpResponseBase:
    link = _get_link(token)
    if not link.allow_download_original:
        raise Http404("Originals are not shared")
    photo = _get_shared_photo(link.album, photo_id)
    if not photo.has_original:
        raise Http404("The original was removed")
    return sharing.original_response(photo=photo, keep_gps=link.keep_gps_in_originals)


@require_http_methods(["GET"])
def shared_album(request: AuthenticatedRequest, album_id: int) -> HttpResponse:
    album = _get_shared_album(request, album_id)
    photo_url = reverse("albums:shared-photo", args=[album.pk, UUID(int=0)])
    return _gallery(request, album, photo_url, {"shared_by": album.owner.email})


@require_http_methods(["GET"])
def shared_photo(request: AuthenticatedRequest, album_id: int, photo_id: UUID) -> HttpResponse:
    album = _get_shared_album(request, album_id)
    photo = _get_shared_photo(album, photo_id)
    # A recipient gets no originals: zoom enlarges the 1024 px preview.
    return _photo_page(
        request,
        photo,
        lambda other: reverse("albums:shared-photo", args=[album.pk, other.id]),
        reverse("albums:shared-album", args=[album.pk]),
        {"shared_by": album.owner.email, "original_url": ""},
    )
