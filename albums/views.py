"""Album pages. Every view reaches an album through `_get_album_for_user`: one ownership check."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models.functions import Lower
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from albums import services
from albums.changes import album_counts, current_cursor
from albums.columns import column_text
from albums.forms import AlbumForm
from albums.models import Album, Photo, PhotoLabel
from albums.ordering import ALBUM_SORTS, DEFAULT_ALBUM_SORT, AlbumSort
from albums.outcomes import refresh_photos
from albums.pipeline import pipeline_config
from photoshare.auth import AuthenticatedRequest

PHOTOS_PER_PAGE = 48
SUGGESTIONS = 24
SORTS_SESSION_KEY = "album_sorts"  # {album id: sort}, the sort each album was last shown in


def _get_album_for_user(request: AuthenticatedRequest, album_id: int) -> Album:
    """The signed-in user's album, or 404: someone else's album must look exactly like no album."""
    return get_object_or_404(Album.objects.owned_by(request.user), pk=album_id)


def _posted(request: AuthenticatedRequest) -> QueryDict | None:
    """Form data on POST, even an empty body (which must be a form error, not a blank form)."""
    return request.POST if request.method == "POST" else None


@require_http_methods(["GET", "POST"])
def album_list(request: AuthenticatedRequest) -> HttpResponse:
    form = AlbumForm(_posted(request), owner=request.user)
    if request.method == "POST" and form.is_valid():
        album = form.save()
        messages.success(request, f"Album “{album.name}” created.")
        return redirect("albums:detail", album_id=album.pk)
    albums = Album.objects.owned_by(request.user).with_photo_stats().order_by("-last_change")
    # Albums other accounts shared with this one, newest share first (select_related: the
    # owner's address is shown on each card).
    shared = (
        Album.objects.shared_with(request.user)
        .select_related("owner")
        .order_by("-account_shares__created_at", "-pk")
    )
    context = {"albums": albums, "shared_albums": shared, "form": form}
    return render(request, "albums/album_list.html", context)


def _album_sort(request: AuthenticatedRequest, album: Album) -> AlbumSort:
    """The sort in the URL (``?sort=taken``), remembered for this album in the session; else the
    album's remembered sort; else newest uploads first."""
    remembered: dict[str, str] = request.session.get(SORTS_SESSION_KEY, {})
    chosen = AlbumSort.parse(request.GET.get("sort"))
    if chosen is None:
        return AlbumSort.parse(remembered.get(str(album.pk))) or DEFAULT_ALBUM_SORT
    if remembered.get(str(album.pk)) != chosen.param:
        request.session[SORTS_SESSION_KEY] = {**remembered, str(album.pk): chosen.param}
    return chosen


@require_http_methods(["GET"])
def album_detail(request: AuthenticatedRequest, album_id: int) -> HttpResponse:
    """The gallery: newest first unless sorted otherwise, a page at a time, with the upload
    area."""
    album = _get_album_for_user(request, album_id)
    sort = _album_sort(request, album)
    cursor = current_cursor(album)  # before the photos: a change in between is sent again
    photos = album.photos.select_related("album").sorted_by(sort)
    page = Paginator(photos, PHOTOS_PER_PAGE).get_page(request.GET.get("page"))
    refresh_photos(page.object_list)
    context = {
        "album": album,
        "page": page,
        "photos": page.object_list,
        "sort": sort,
        "sorts": ALBUM_SORTS,
        # Tiles open the viewer in this sort, so its previous and next follow the grid.
        "viewer_query": "" if sort.is_upload_order else f"?{urlencode({'sort': sort.param})}",
        "cursor": cursor,
        "counts": album_counts(album),
        # Where select mode can move photos: the person's other albums, by name.
        "other_albums": Album.objects.owned_by(request.user)
        .exclude(pk=album.pk)
        .order_by(Lower("name"))
        .only("id", "name"),
        "max_upload_bytes": pipeline_config().limits.max_bytes,
    }
    return render(request, "albums/album_detail.html", context)


@require_http_methods(["GET", "POST"])
def album_rename(request: AuthenticatedRequest, album_id: int) -> HttpResponse:
    album = _get_album_for_user(request, album_id)
    old_name = album.name
    form = AlbumForm(_posted(request), instance=album, owner=request.user)
    if request.method == "POST" and form.is_valid():
        album = form.save()
        messages.success(request, f"Renamed “{old_name}” to “{album.name}”.")
        return redirect("albums:detail", album_id=album.pk)
    context = {"album": album, "form": form, "old_name": old_name}
    return render(request, "albums/album_rename.html", context)


@require_http_methods(["GET", "POST"])
def album_delete(request: AuthenticatedRequest, album_id: int) -> HttpResponse:
    album = _get_album_for_user(request, album_id)
    if request.method == "POST":
        name = album.name
        services.album_delete(album=album)
        messages.success(request, f"Album “{name}” deleted.")
        return redirect("albums:list")
    photo_count = album.photos.count()
    context = {"album": album, "photo_count": photo_count}
    return render(request, "albums/album_delete.html", context)


@require_http_methods(["GET"])
def photo_search(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in user's photos, across albums, by label; never anyone else's."""
    # The box's text goes into a filter and back onto the page: no NUL, no longer than a term.
    query = column_text(PhotoLabel, "term", request.GET.get("q", "")).strip()
    page = None
    if query:
        found = Photo.objects.labelled(query, owner=request.user)
        found = found.select_related("album").newest_first()
        page = Paginator(found, PHOTOS_PER_PAGE).get_page(request.GET.get("page"))
    # What there is to find: the user's most frequent labels, as suggestions.
    suggestions = PhotoLabel.objects.most_frequent_for(request.user)[:SUGGESTIONS]
    context = {
        "query": query,
        "page": page,
        "suggestions": suggestions,
        "viewer_query": f"?{urlencode({'q': query})}",  # the viewer steps through the results
    }
    return render(request, "albums/search.html", context)
