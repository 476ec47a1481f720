"""The owner's label corrections on the photo page: remove a label, put it back, add or delete a
tag of their own (albums.corrections). A plain form posts and comes back to the same viewer URL;
viewer.js posts the same forms with fetch and swaps in the labels this answers with."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from albums.corrections import (
    MAX_TAG_LENGTH,
    CorrectionRefused,
    label_remove,
    label_restore,
    labels_of,
    tag_add,
    tag_delete,
)
from albums.photo_views import _get_photo_for_user
from photoshare.auth import AuthenticatedRequest

GRID_PARAMETERS = ("q", "in", "sort")  # what the viewer's URL carries of the grid it is in


@require_http_methods(["POST"])
def photo_labels(request: AuthenticatedRequest, photo_id: UUID) -> HttpResponse:
    photo = _get_photo_for_user(request, photo_id)
    action, name = request.POST.get("action", ""), request.POST.get("name", "")
    try:
        if action == "remove":
            done = f"Removed “{label_remove(photo=photo, name=name).name}”."
        elif action == "restore":
            label_restore(photo=photo, name=name)
            done = f"Put “{name}” back."
        elif action == "add":
            done = f"Added “{tag_add(photo=photo, text=request.POST.get('tag', ''))}”."
        elif action == "delete":
            tag_delete(photo=photo, name=name)
            done = f"Deleted your tag “{name}”."
        else:
            raise CorrectionRefused("Unknown change to the labels")
    except CorrectionRefused as refused:
        return _answer(request, photo_id, str(refused), status=400)
    return _answer(request, photo_id, done)


def _answer(
    request: AuthenticatedRequest, photo_id: UUID, message: str, status: int = 200
) -> HttpResponse:
    """viewer.js gets the photo's labels and boxes again; a plain form goes back to the viewer
    it was posted from, in the same grid."""
    carried = {key: request.GET[key] for key in GRID_PARAMETERS if request.GET.get(key)}
    query = f"?{urlencode(carried)}" if carried else ""
    if request.headers.get("Accept", "").startswith("application/json"):
        photo = _get_photo_for_user(request, photo_id)
        context = {
            "photo": photo,
            "labels": labels_of(photo),
            "can_correct": True,
            "labels_query": query,
            "max_tag_length": MAX_TAG_LENGTH,
        }
        return JsonResponse(
            {
                "message": message,
                "labels": render_to_string("albums/_photo_labels.html", context, request),
                "boxes": render_to_string("albums/_label_boxes.html", context, request),
            },
            status=status,
        )
    (messages.success if status == 200 else messages.error)(request, message)
    return redirect(reverse("albums:photo", args=[photo_id]) + query)
