"""Photoshare's allauth adapter: where the project's account rules differ from allauth's."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """The failed-login counter is per e-mail address alone. allauth's also names the site,
        which without django.contrib.sites is the request's Host header: every name the app
        answers to ("127.0.0.1:8000", "localhost:8000", a second domain) would count its own
        five tries. (A private hook; tests/accounts/test_rate_limits.py notices if it moves.)"""
        login = credentials.get("email", credentials.get("username", ""))
        return f"login:{str(login).lower()}"
