"""Photo pages and the gallery's JSON endpoints. Photos are reached through `_get_photo_for_user`,
albums through `albums.views._get_album_for_user`: another person's photo is a 404 everywhere."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from albums.changes import album_counts, changes_since, current_cursor, settled_cursor
from albums.columns import column_text
from albums.corrections import MAX_TAG_LENGTH, labels_of
from albums.models import Album, Photo, PhotoLabel
from albums.neighbours import Neighbours, neighbours, position
from albums.ordering import TIMELINE, AlbumSort
from albums.outcomes import refresh_album, refresh_photos
from albums.pipeline import pipeline_config
from albums.services import photo_delete
from albums.templatetags.photos import photo_image_url
from albums.timeline import Cursor as TimelineCursor
from albums.uploads import FileOffer, TicketOutcome, UploadNotAllowed, issue_tickets
from albums.views import PHOTOS_PER_PAGE, _get_album_for_user
from photoshare.auth import AuthenticatedRequest

MAX_WAIT_SECONDS = 25.0  # below every proxy's idle timeout
CHANGE_CHECK_SECONDS = 0.1
MAX_PAUSE_SECONDS = 1.0  # however many photos wait, a change is shown within about a second


def _get_photo_for_user(request: AuthenticatedRequest, photo_id: UUID) -> Photo:
    return get_object_or_404(
        Photo.objects.owned_by(request.user).select_related("album"), pk=photo_id
    )


@require_http_methods(["POST"])
def upload_ticket(request: AuthenticatedRequest, album_id: int) -> JsonResponse:
    """``{"files": [{filename, contentType, size, sha256}, ...]}`` (up to 100) in; a ticket, a
    duplicate or a plain-words refusal per file out, in order. A single ``{filename, ...}``
    object is also accepted and answered with that one ticket (201) or refusal (400)."""
    album = _get_album_for_user(request, album_id)
    try:
        wanted = json.loads(request.body)
        batch = isinstance(wanted, dict) and "files" in wanted
        entries = wanted["files"] if batch else [wanted]
        if not isinstance(entries, list) or not entries:
            raise ValueError("no files")
        offers = [FileOffer.from_json(entry) for entry in entries]
    except (ValueError, KeyError, TypeError):
        error = "Send files: a list of {filename, contentType, size, sha256}"
        return JsonResponse({"error": error}, status=400)
    try:
        outcomes = issue_tickets(album=album, user=request.user, offers=offers)
    except UploadNotAllowed as refused:
        return JsonResponse({"error": str(refused)}, status=400)
    tickets = [_ticket_json(request, outcome) for outcome in outcomes]
    if batch:
        return JsonResponse({"tickets": tickets})
    (only,) = tickets
    return JsonResponse(only, status=201 if "photoId" in only else 400)


def _ticket_json(request: AuthenticatedRequest, outcome: TicketOutcome) -> dict[str, Any]:
    if outcome.photo is not None:
        card = render_to_string("albums/_photo_card.html", {"photo": outcome.photo}, request)
        return {"photoId": str(outcome.photo.id), "upload": outcome.ticket, "card": card}
    if outcome.duplicate_of is not None:
        return {"duplicateOf": str(outcome.duplicate_of.id), "error": outcome.error}
    return {"error": outcome.error}


@require_http_methods(["GET"])
def album_changes(request: AuthenticatedRequest, album_id: int) -> JsonResponse:
    """The cards that changed after ``since`` (the album's change number the page last saw), with
    the album's counts. With ``wait`` (seconds, at most 25) the request is held until something
    changes: the page hears of a finished photo within a fraction of a second, and a request's
    size never depends on how many photos are waiting."""
    album = _get_album_for_user(request, album_id)
    try:
        since = max(0, int(request.GET.get("since", "0")))
        wait = min(MAX_WAIT_SECONDS, max(0.0, float(request.GET.get("wait", "0"))))
    except ValueError:
        return JsonResponse({"error": "since must be a whole number, wait seconds"}, status=400)
    began = time.monotonic()
    deadline = began + wait
    while True:
        looked = time.thread_time()  # CPU, not wall time: a busy server must not look less
        try:
            refresh_album(album)
            # Read before the photos: every number up to it is committed, so when no photo
            # after ``since`` carries one, photos left the album (albums.bulk.removed_from).
            latest = current_cursor(album)
            found = changes_since(album, since)
        except Album.DoesNotExist:
            raise Http404("The album was deleted") from None  # while this request waited
        removed = not found.photos and latest > since
        now = time.monotonic()
        # Looking costs more with thousands of photos waiting: look less often then, and while a
        # camera roll finishes photo after photo, gather them rather than answer each one, so
        # that a waiting page never takes more than a twentieth of a core from the workers.
        cost = time.thread_time() - looked
        pause = min(MAX_PAUSE_SECONDS, max(CHANGE_CHECK_SECONDS, cost * 19)) if wait else 0.0
        if (found.photos and now - began >= pause - CHANGE_CHECK_SECONDS) or now >= deadline:
            break
        if removed:
            break
        time.sleep(min(pause, max(0.0, deadline - now)))
    try:
        cursor = latest if removed else settled_cursor(album, found)
    except Album.DoesNotExist:
        raise Http404("The album was deleted") from None
    counts = album_counts(album)
    cards = [
        {
            "id": str(photo.id),
            "status": photo.status,
            "rank": photo.rank,
            "final": photo.is_final,
            "html": render_to_string("albums/_photo_card.html", {"photo": photo}, request),
        }
        for photo in found.photos
    ]
    return JsonResponse(
        {
            "cursor": cursor,
            "photos": cards,
            "counts": counts,
            "pending": counts["processing"],
            "more": found.more,
        }
    )


@dataclass(frozen=True)
class Grid:
    """The grid a photo was opened from: its order, where it is, and what the viewer's links
    carry (``link_query``) so that previous and next stay in it."""

    photos: QuerySet[Photo]
    url: str  # its first page
    name: str
    link_query: str  # "" for the album newest first, else "?q=dog", "?sort=name", "?in=timeline"
    keyset: bool = False  # paged by cursor (the timeline), not by page number


def _grid_for(request: AuthenticatedRequest, photo: Photo) -> Grid:
    """The grid the tile's link names, when the photo is in it: a search's results (``?q=``),
    the timeline (``?in=timeline``) or the album under a chosen sort (``?sort=``); otherwise the
    photo's album, newest first. Each in the order that grid shows, so previous and next match."""
    query = column_text(PhotoLabel, "term", request.GET.get("q", "")).strip()
    if query:
        found = Photo.objects.labelled(query, owner=request.user).newest_first()
        if found.filter(pk=photo.pk).exists():
            carried = urlencode({"q": query})
            return Grid(found, f"{reverse('albums:search')}?{carried}", f"“{query}”", f"?{carried}")
    if request.GET.get("in") == "timeline" and photo.timeline_owner_id == request.user.pk:
        timeline = TIMELINE.keyed(Photo.objects.in_timeline_of(request.user))
        return Grid(timeline, reverse("albums:timeline"), "Timeline", "?in=timeline", keyset=True)
    album = photo.album
    album_url = reverse("albums:detail", args=[album.pk])
    sort = AlbumSort.parse(request.GET.get("sort"))
    if sort is not None and not sort.is_upload_order:
        carried = urlencode({"sort": sort.param})
        photos = sort.order.keyed(album.photos.all())
        return Grid(photos, f"{album_url}?{carried}", album.name, f"?{carried}")
    return Grid(album.photos.newest_first(), album_url, album.name, "")


def _grid_page_url(grid: Grid, photo: Photo, previous: Photo | None) -> str:
    """The grid page that shows ``photo`` (read through the grid's queryset, see ``_keyed``),
    scrolled to its tile: where closing the viewer goes. A numbered grid's page comes from one
    COUNT; a timeline page starts after the photo before this one (its cursor), so the photo
    is at its top."""
    url = grid.url
    if grid.keyset:
        if previous is not None:
            url += f"?{urlencode({'before': str(TimelineCursor.of(previous))})}"
        return f"{url}#photo-{photo.id}"
    page = position(grid.photos, photo) // PHOTOS_PER_PAGE + 1
    if page > 1:
        url += f"{'&' if '?' in url else '?'}page={page}"
    return f"{url}#photo-{photo.id}"


def _keyed(grid: Grid, photo: Photo) -> Photo:
    """``photo`` as the grid's queryset reads it, with the order's annotations on it."""
    if not grid.photos.query.annotations:
        return photo
    keyed = grid.photos.get(pk=photo.pk)
    keyed.album = photo.album
    return keyed


def viewer_context(
    *,
    grid: Grid,
    photo: Photo,
    around: Neighbours,
    close_url: str,
    photo_url: Callable[[Photo], str],
) -> dict[str, object]:
    """What templates/albums/_viewer.html needs from any viewer page, the owner's or a share's:
    the photo, where closing goes, and its neighbours in ``grid``'s order (``around``) as links
    (``photo_url`` makes a photo's URL in that page's own scheme)."""
    return {
        "photo": photo,
        "labels": labels_of(photo),
        "grid": grid,
        "close_url": close_url,
        "previous": around.previous,
        "next": around.next,
        "previous_url": photo_url(around.previous) if around.previous else "",
        "next_url": photo_url(around.next) if around.next else "",
    }


@require_http_methods(["GET"])
def photo_detail(request: AuthenticatedRequest, photo_id: UUID) -> HttpResponse:
    """The full-screen viewer, one URL per photo (and per grid it was opened from): previous and
    next are real links in the grid's order, which viewer.js follows in place for keys, swipes
    and buttons; the details are below the picture."""
    photo = _get_photo_for_user(request, photo_id)
    refresh_photos([photo])
    grid = _grid_for(request, photo)
    keyed = _keyed(grid, photo)
    around = neighbours(grid.photos, keyed)
    context = {
        **viewer_context(
            grid=grid,
            photo=photo,
            around=around,
            close_url=_grid_page_url(grid, keyed, around.previous),
            photo_url=lambda other: reverse("albums:photo", args=[other.id]) + grid.link_query,
        ),
        "album": photo.album,
        "original_url": photo_image_url(photo),
        "rejected_retention_days": settings.PHOTOSHARE_REJECTED_RETENTION_DAYS,
        # The owner corrects a done photo's labels; a share's page never sets this.
        "can_correct": photo.status == Photo.Status.SUCCEEDED,
        "labels_query": grid.link_query,
        "max_tag_length": MAX_TAG_LENGTH,
    }
    return render(request, "albums/photo_detail.html", context)


@require_http_methods(["GET", "POST"])
def photo_delete_view(request: AuthenticatedRequest, photo_id: UUID) -> HttpResponse:
    photo = _get_photo_for_user(request, photo_id)
    album = photo.album
    if request.method == "POST":
        name = photo.original_filename
        photo_delete(photo=photo)
        messages.success(request, f"Photo “{name}” deleted.")
        return redirect("albums:detail", album_id=album.pk)
    return render(request, "albums/photo_delete.html", {"photo": photo, "album": album})


@require_http_methods(["GET"])
def photo_execution(request: AuthenticatedRequest, photo_id: UUID) -> HttpResponse:
    """The local counterpart of the Step Functions console for this photo's execution."""
    photo = _get_photo_for_user(request, photo_id)
    refresh_photos([photo])
    if not photo.execution_arn or pipeline_config().backend != "local":
        raise Http404("No local execution for this photo")
    execution = pipeline_config().local_executions().get(photo.execution_arn)
    if execution is None:
        raise Http404("No such execution")
    context = {
        "photo": photo,
        "album": photo.album,
        "execution": execution,
        "started": datetime.fromtimestamp(execution.started_at, UTC),
        "duration": (execution.stopped_at - execution.started_at) if execution.stopped_at else None,
        "execution_cause": readable_json(execution.cause) if execution.cause else "",
        "steps": _steps(execution.history),
    }
    return render(request, "albums/execution.html", context)


def _steps(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Top-level states in order; a Parallel carries its branches, each a list of states."""
    steps: list[dict[str, Any]] = []
    for event in history:
        row = {**event, "duration": _duration(event), **_pretty(event)}
        if event["branch"] == "":
            steps.append({**row, "branches": []})
    for event in history:
        if event["branch"] == "":
            continue
        parallel = next((s for s in reversed(steps) if s["type"] == "Parallel"), None)
        if parallel is not None:
            parallel["branches"].append({**event, "duration": _duration(event), **_pretty(event)})
    for step in steps:
        ordered = sorted(step["branches"], key=lambda e: e["branch"])
        step["branches"] = [list(group) for _, group in groupby(ordered, key=lambda e: e["branch"])]
    return steps


def _duration(event: dict[str, Any]) -> float | None:
    if event.get("endedAt") is None:
        return None
    return (event["endedAt"] - event["startedAt"]) * 1000


def _pretty(event: dict[str, Any]) -> dict[str, str]:
    return {
        "input_json": readable_json(event.get("input")),
        "output_json": readable_json(event.get("output")),
        "cause_json": readable_json(event.get("cause")) if event.get("cause") else "",
    }


def readable_json(value: Any) -> str:
    """A state's data pretty-printed once. Errors nest JSON in strings (a Lambda error's cause is
    a JSON object whose errorMessage is ImageRejected's JSON), which json.dumps would print as
    escaped quotes within escaped quotes; those strings are shown as the objects they hold."""
    return json.dumps(_unnest(value), indent=2, sort_keys=True, ensure_ascii=False)


def _unnest(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return _unnest(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return {key: _unnest(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unnest(item) for item in value]
    return value
