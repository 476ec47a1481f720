"""Account pages of Photoshare's own, beside allauth's: why a login waits for verification."""

from __future__ import annotations

from allauth.account.internal.flows.email_verification import (
    send_verification_email_to_address,
)
from allauth.account.internal.stagekit import unstash_login
from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods


def _address_awaiting_verification(request: HttpRequest) -> EmailAddress | None:
    """The unverified address of the person whose login is held for verification: allauth keeps
    the pending login in the session, and only someone who gave the right password gets one.
    None after a sign-up, where saying more would tell whether the address had an account."""
    login = unstash_login(request, peek=True)
    if login is None or login.user is None or login.signup:
        return None
    email = login.email or getattr(login.user, "email", "")
    return EmailAddress.objects.filter(user=login.user, email__iexact=email, verified=False).first()


@login_not_required
@require_http_methods(["GET", "POST"])
def verification_sent(request: HttpRequest) -> HttpResponse:
    """allauth's "check your inbox" page, which says why when a login brought you here, and
    sends a new link on request (at most one every few minutes: allauth's confirm_email limit)."""
    address = _address_awaiting_verification(request)
    if request.method == "POST":
        if address is None:
            return redirect("account_login")
        if send_verification_email_to_address(request, address):
            messages.success(request, f"We sent a new link to {address.email}.")
        else:
            messages.info(
                request,
                f"A link went to {address.email} a few minutes ago: look in your inbox and spam "
                "folder, or ask again in a few minutes.",
            )
        return redirect("account_email_verification_sent")
    return render(request, "account/verification_sent.html", {"awaiting": address})
