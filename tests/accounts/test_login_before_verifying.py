"""Logging in before verifying: the page says why and offers a new link, at allauth's pace."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WHY = "Verify your address first: we sent a new link to <strong>carol@example.com</strong>"


@pytest.fixture
def carol_unverified(client: Client) -> None:
    client.post(
        reverse("account_signup"),
        {"email": "carol@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert len(mail.outbox) == 1


def log_in(client: Client) -> str:
    response = client.post(
        reverse("account_login"), {"login": "carol@example.com", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("account_email_verification_sent")
    return response.content.decode()


def test_the_page_after_a_login_says_why_and_offers_a_new_link(carol_unverified: None) -> None:
    cache.clear()  # the sign-up's mail no longer holds back the next one
    html = log_in(Client())
    assert WHY in html
    assert "Send a new link" in html
    assert len(mail.outbox) == 2
    assert "Confirmation email sent" not in html  # said once, by the page


def test_a_new_link_is_sent_on_request_but_not_more_often_than_allauth_allows(
    carol_unverified: None,
) -> None:
    client = Client()
    log_in(client)  # within the sign-up mail's cooldown: no second mail
    assert len(mail.outbox) == 1
    url = reverse("account_email_verification_sent")

    waited = client.post(url, follow=True).content.decode()
    assert "A link went to carol@example.com a few minutes ago" in waited
    assert len(mail.outbox) == 1

    cache.clear()  # the cooldown has passed
    sent = client.post(url, follow=True).content.decode()
    assert "We sent a new link to carol@example.com." in sent
    assert len(mail.outbox) == 2
    assert mail.outbox[-1].to == ["carol@example.com"]


def test_after_sign_up_the_page_names_no_address(client: Client) -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": "carol@example.com", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    html = response.content.decode()
    assert "Verify your address first" not in html
    assert "Follow it to finish signing up" in html


def test_a_resend_without_a_pending_login_goes_to_the_login_page(client: Client) -> None:
    response = client.post(reverse("account_email_verification_sent"))
    assert response["Location"] == reverse("account_login")
    assert len(mail.outbox) == 0
