"""Photo pages and the gallery's JSON endpoints. Photos are reached through `_get_photo_for_user`,
albums through `albums.views._get_album_for_user`: another person's photo is a 404 everywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import groupby
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods

from albums.models import Photo
from albums.pipeline import pipeline_config
from albums.services import UploadNotAllowed, photo_delete, photo_upload_start, photos_refresh
from albums.views import _get_album_for_user
from photoshare.auth import AuthenticatedRequest

MAX_STATUS_IDS = 200


def _get_photo_for_user(request: AuthenticatedRequest, photo_id: UUID) -> Photo:
    return get_object_or_404(
        Photo.objects.owned_by(request.user).select_related("album"), pk=photo_id
    )


@require_http_methods(["POST"])
def upload_ticket(request: AuthenticatedRequest, album_id: int) -> JsonResponse:
    """{filename, contentType, size} in; a presigned POST ticket (or a plain-words error) out."""
    album = _get_album_for_user(request, album_id)
    try:
        wanted = json.loads(request.body)
        filename, content_type = str(wanted["filename"]), str(wanted["contentType"])
        size = int(wanted["size"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "Send filename, contentType and size"}, status=400)
    try:
        photo, ticket = photo_upload_start(
            album=album, user=request.user, filename=filename, content_type=content_type, size=size
        )
    except UploadNotAllowed as refused:
        return JsonResponse({"error": str(refused)}, status=400)
    card = render_to_string("albums/_photo_card.html", {"photo": photo}, request=request)
    return JsonResponse({"photoId": str(photo.id), "upload": ticket, "card": card}, status=201)


@require_http_methods(["GET"])
def photo_statuses(request: AuthenticatedRequest, album_id: int) -> JsonResponse:
    """The cards of the given photos, brought up to date from the results store in batches."""
    album = _get_album_for_user(request, album_id)
    ids = [part for part in request.GET.get("ids", "").split(",") if part][:MAX_STATUS_IDS]
    try:
        wanted = [UUID(part) for part in ids]
    except ValueError:
        return JsonResponse({"error": "ids must be photo ids"}, status=400)
    photos = list(Photo.objects.in_album(album).filter(pk__in=wanted).select_related("album"))
    photos_refresh(photos)
    cards = [
        {
            "id": str(photo.id),
            "status": photo.status,
            "final": photo.is_final,
            "html": render_to_string("albums/_photo_card.html", {"photo": photo}, request=request),
        }
        for photo in photos
    ]
    return JsonResponse({"photos": cards, "pending": sum(not c["final"] for c in cards)})


@require_http_methods(["GET"])
def photo_detail(request: AuthenticatedRequest, photo_id: UUID) -> HttpResponse:
    photo = _get_photo_for_user(request, photo_id)
    photos_refresh([photo])
    return render(request, "albums/photo_detail.html", {"photo": photo, "album": photo.album})


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
    photos_refresh([photo])
    if not photo.execution_arn or settings.PHOTOSHARE_BACKEND != "local":
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
        "input_json": json.dumps(event.get("input"), indent=2, sort_keys=True),
        "output_json": json.dumps(event.get("output"), indent=2, sort_keys=True),
    }
