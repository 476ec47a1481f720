"""Account pages of Photoshare's own, beside allauth's: the account page, deleting an account,
and why a login waits for verification."""

from __future__ import annotations

from allauth.account.internal.flows.email_verification import (
    send_verification_email_to_address,
)
from allauth.account.internal.stagekit import unstash_login
from allauth.account.models import EmailAddress
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.models import User
from albums.services import owner_data_delete
from photoshare.auth import AuthenticatedRequest


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


@require_http_methods(["GET"])
def account(request: AuthenticatedRequest) -> HttpResponse:
    """Password, e-mail addresses (allauth's pages) and deleting the account, in one place."""
    return render(request, "accounts/account.html")


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password; nothing was deleted.")
        return password


@require_http_methods(["GET", "POST"])
def account_delete(request: AuthenticatedRequest) -> HttpResponse:
    """Deletes every album, photo and stored file of the account, then the account itself, once
    its password is typed again (a signed-in browser left open is not enough)."""
    user = request.user
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        owner_data_delete(owner=user)
        logout(request)
        user.delete()
        messages.success(
            request, "Your account, its albums and its photos are deleted. Goodbye, and thank you."
        )
        return redirect("home")
    return render(request, "accounts/account_delete.html", {"form": form})
