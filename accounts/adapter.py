"""Photoshare's allauth adapter: where the project's account rules differ from allauth's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.urls import reverse

# allauth's "Confirmation email sent to …" after a login held for verification: the page it
# leads to says so itself (accounts/views.py), with a way to ask for another link.
_LOGIN_VERIFICATION_MESSAGE = "account/messages/email_confirmation_sent.txt"

SITE_NAME = "Photoshare"


@dataclass(frozen=True)
class MailSite:
    """What allauth's mail templates read as ``current_site``: our name, the request's host."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Every account mail says "Photoshare". Without django.contrib.sites allauth's site is
        a RequestSite, whose name is the Host header ("Hello from 127.0.0.1:8000!"); the domain,
        and so every link, stays the host the person used."""
        domain = get_current_site(allauth_context.request).domain
        site = MailSite(name=SITE_NAME, domain=domain)
        super().send_mail(template_prefix, email, {**context, "current_site": site})

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """The failed-login counter is per e-mail address alone. allauth's also names the site,
        which without django.contrib.sites is the request's Host header: every name the app
        answers to ("127.0.0.1:8000", "localhost:8000", a second domain) would count its own
        five tries. (A private hook; tests/accounts/test_rate_limits.py notices if it moves.)"""
        login = credentials.get("email", credentials.get("username", ""))
        return f"login:{str(login).lower()}"

    def get_password_change_redirect_url(self, request: HttpRequest) -> str:
        """Back to the account page (with allauth's "Password successfully changed."), rather
        than the form just filled in."""
        return reverse("account")

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        if message_template == _LOGIN_VERIFICATION_MESSAGE and (message_context or {}).get("login"):
            return
        super().add_message(
            request, level, message_template, message_context, extra_tags, message=message
        )
