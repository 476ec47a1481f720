"""The timeline page: the signed-in user's done photos across albums, by month."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from albums.timeline import BadCursor, Cursor, Month, month_index, timeline_page
from photoshare.auth import AuthenticatedRequest


@require_http_methods(["GET"])
def timeline(request: AuthenticatedRequest) -> HttpResponse:
    """Newest first; ``?month=2023-07`` starts at that month, ``?before=`` and ``?after=`` are
    the cursors of the older and newer pages. Only the user's own photos are ever read: the
    query starts from their timeline, so there is no other person's photo to hide."""
    month: Month | None = None
    try:
        before = Cursor.parse(request.GET["before"]) if "before" in request.GET else None
        after = Cursor.parse(request.GET["after"]) if "after" in request.GET else None
        if "month" in request.GET:
            month = Month.parse(request.GET["month"])
            before, after = Cursor(month.end()), None
    except BadCursor:
        return HttpResponseBadRequest("That is not a place in the timeline.")
    page = timeline_page(user=request.user, before=before, after=after)
    months = month_index(user=request.user)
    counts = {month.param: month.photos for month in months}
    # Each heading says how many photos its month has in all, not just on this page.
    sections = [
        {"group": group, "count": counts.get(group.month.param, 0)} for group in page.groups
    ]
    shown = page.groups[0].month.param if page.groups else (month.param if month else "")
    context = {
        "page": page,
        "sections": sections,
        "months": months,
        "shown_month": shown,
        "viewer_query": "?in=timeline",  # the viewer steps through the timeline
    }
    return render(request, "albums/timeline.html", context)
