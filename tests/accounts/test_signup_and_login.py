"""Accounts through allauth's real views: sign-up with e-mail verification, login, reset, logout."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def link_in_last_mail(path_fragment: str) -> str:
    body = mail.outbox[-1].body
    match = re.search(rf"https?://[^\s]+{path_fragment}[^\s]*", body)
    assert match, f"no {path_fragment} link in: {body}"
    return match.group(0)


def sign_up(client: Client, email: str = "carol@example.com") -> None:
    response = client.post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302


def test_sign_up_sends_a_verification_mail_and_holds_the_account_until_confirmed(
    client: Client,
) -> None:
    sign_up(client, "Carol@Example.com")

    user = User.objects.get()
    assert user.email == "carol@example.com"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["carol@example.com"]

    response = Client().post(
        reverse("account_login"), {"login": "carol@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")


def test_following_the_verification_link_confirms_and_signs_in(client: Client) -> None:
    sign_up(client)
    confirm_url = link_in_last_mail("/accounts/confirm-email/")

    page = client.get(confirm_url)
    assert page.status_code == 200
    response = client.post(confirm_url)

    assert EmailAddress.objects.get(email="carol@example.com").verified
    assert response["Location"] == reverse("albums:list")
    assert client.get(reverse("albums:list")).status_code == 200


def test_signing_up_with_a_taken_address_creates_nothing_and_tells_only_its_owner(
    client: Client, alice: User
) -> None:
    # The page looks like any sign-up (no account enumeration); the owner gets a mail instead.
    sign_up(client, "ALICE@example.com")
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    assert mail.outbox[-1].to == ["alice@example.com"]
    assert "already" in mail.outbox[-1].body


def test_a_verified_user_logs_in_with_email_and_password(client: Client, alice: User) -> None:
    response = client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": PASSWORD}
    )
    assert response["Location"] == reverse("albums:list")


def test_a_wrong_password_is_a_form_error_not_a_login(client: Client, alice: User) -> None:
    response = client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": "nope nope nope"}
    )
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_mails_a_link_that_sets_a_new_password(client: Client, alice: User) -> None:
    client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    reset_url = link_in_last_mail("/accounts/password/reset/key/")

    form_page = client.get(reset_url, follow=True)
    new_password = "a brand new passphrase 42"
    response = client.post(
        form_page.request["PATH_INFO"], {"password1": new_password, "password2": new_password}
    )
    assert response.status_code == 302

    alice.refresh_from_db()
    assert alice.check_password(new_password)


def test_logging_out_ends_the_session(alice_client: Client) -> None:
    response = alice_client.post(reverse("account_logout"))
    assert response["Location"] == "/"
    assert alice_client.get(reverse("albums:list"))["Location"].startswith(reverse("account_login"))
