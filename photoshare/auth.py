"""Typing for views behind LoginRequiredMiddleware, where request.user is always a real User."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    user: User  # narrowed: the middleware turned anonymous users away
