"""Every account mail names the site "Photoshare", never the host, while its links keep the host
the person used (the test client's is ``testserver``)."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def assert_says_photoshare(message: mail.EmailMessage, link: str) -> None:
    body = str(message.body)
    assert "Hello from Photoshare!" in body
    assert "Thank you for using Photoshare!" in body
    assert message.subject.startswith("[Photoshare] ")
    assert "Hello from testserver" not in body
    assert f"http://testserver{link}" in body


def test_the_sign_up_confirmation_says_photoshare(client: Client) -> None:
    client.post(
        reverse("account_signup"),
        {"email": "carol@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    (message,) = mail.outbox
    assert_says_photoshare(message, "/accounts/confirm-email/")


def test_the_password_reset_mail_says_photoshare(client: Client, alice: User) -> None:
    client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    (message,) = mail.outbox
    assert_says_photoshare(message, "/accounts/password/reset/key/")


def test_the_account_already_exists_mail_says_photoshare(client: Client, alice: User) -> None:
    client.post(
        reverse("account_signup"),
        {"email": "alice@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    (message,) = mail.outbox
    assert "already" in str(message.body)
    assert_says_photoshare(message, "/accounts/password/reset/")


def test_the_new_address_confirmation_says_photoshare(alice_client: Client) -> None:
    alice_client.post(
        reverse("account_email"), {"action_add": "", "email": "alice.new@example.com"}
    )
    (message,) = mail.outbox
    assert message.to == ["alice.new@example.com"]
    assert_says_photoshare(message, "/accounts/confirm-email/")
