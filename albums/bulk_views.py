"""The album page's bulk actions: POSTed forms naming a selection of the album's photos (every
photo, with ``all=1`` and any ``except`` ids, or the ``photo`` ids), never ids in a URL. The album
is reached through `_get_album_for_user` (someone else's is a 404) and the photos through it, so
ids of anyone else's photos match nothing."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from albums import bulk
from albums.downloads import attachment_disposition
from albums.models import Album
from albums.views import _get_album_for_user
from albums.zips import zip_stream
from photoshare.auth import AuthenticatedRequest


class _BadSelection(ValueError):
    pass


def _selection(request: AuthenticatedRequest, album: Album) -> bulk.Selection:
    try:
        chosen = frozenset(UUID(value) for value in request.POST.getlist("photo"))
        excluded = frozenset(UUID(value) for value in request.POST.getlist("except"))
    except ValueError:
        raise _BadSelection("A photo id is not valid") from None
    every = request.POST.get("all") == "1"
    if not every and not chosen:
        raise _BadSelection("No photos were selected")
    return bulk.Selection(album=album, every=every, chosen=chosen, excluded=excluded)


def _photos(count: int) -> str:
    return f"{count} photo{'' if count == 1 else 's'}"


def _on_selection(
    action: Callable[[AuthenticatedRequest, Album, bulk.Selection], HttpResponseBase],
) -> Callable[[AuthenticatedRequest, int], HttpResponseBase]:
    """A POST-only view of the signed-in user's album (another person's is a 404) and of the
    selection its form names; a form naming no photo, or a malformed id, is a 400."""

    @require_POST
    @wraps(action)
    def view(request: AuthenticatedRequest, album_id: int) -> HttpResponseBase:
        album = _get_album_for_user(request, album_id)
        try:
            selection = _selection(request, album)
        except _BadSelection as error:
            return HttpResponseBadRequest(str(error))
        return action(request, album, selection)

    return view


@_on_selection
def photos_delete(
    request: AuthenticatedRequest, album: Album, selection: bulk.Selection
) -> HttpResponse:
    deleted = bulk.photos_delete(selection=selection)
    messages.success(request, f"Deleted {_photos(deleted)}.")
    return redirect("albums:detail", album_id=album.pk)


@_on_selection
def photos_move(
    request: AuthenticatedRequest, album: Album, selection: bulk.Selection
) -> HttpResponse:
    try:
        target_id = int(request.POST.get("target", ""))
    except ValueError:
        return HttpResponseBadRequest("Choose the album to move the photos to")
    # Another person's album looks exactly like no album.
    target = get_object_or_404(Album.objects.owned_by(request.user), pk=target_id)
    try:
        outcome = bulk.photos_move(selection=selection, target=target)
    except bulk.SameAlbum as error:
        messages.error(request, str(error))
        return redirect("albums:detail", album_id=album.pk)
    said = f"Moved {_photos(outcome.moved)} to “{target.name}”."
    if outcome.already_there:
        were = "was" if outcome.already_there == 1 else "were"
        said += f" {_photos(outcome.already_there)} {were} already there and stayed here."
    messages.success(request, said)
    return redirect("albums:detail", album_id=album.pk)


@_on_selection
def photos_download(
    request: AuthenticatedRequest, album: Album, selection: bulk.Selection
) -> HttpResponseBase:
    """The selection's originals as one zip named after the album, streamed as it is written."""
    response = StreamingHttpResponse(zip_stream(selection), content_type="application/zip")
    response["Content-Disposition"] = attachment_disposition(
        album.name.replace("/", "-").replace("\\", "-") + ".zip"
    )
    # Neither a proxy nor the browser may keep a copy of someone's photos.
    response["Cache-Control"] = "private, no-store"
    return response
