"""Weak secret keys are refused: Django's security.W009 rule, applied at start-up."""

import secrets

import pytest
from django.core.checks.security import base as django_security
from django.core.exceptions import ImproperlyConfigured

from photoshare import secret_key
from photoshare.secret_key import require_strong_secret_key, secret_key_weakness

GOOD = secrets.token_urlsafe(50)  # what local mode generates into var/secret_key


def test_the_rule_is_djangos_own() -> None:
    assert secret_key.MIN_LENGTH == django_security.SECRET_KEY_MIN_LENGTH
    assert secret_key.MIN_UNIQUE_CHARACTERS == django_security.SECRET_KEY_MIN_UNIQUE_CHARACTERS
    assert secret_key.INSECURE_PREFIX == django_security.SECRET_KEY_INSECURE_PREFIX


@pytest.mark.parametrize(
    ("key", "weakness"),
    [
        ("a" * 60, "at least 5 different characters (it has 1)"),
        ("abcd" * 15, "at least 5 different characters (it has 4)"),
        ("short-but-random-Xq9", "at least 50 characters long (it has 20)"),
        ("django-insecure-" + GOOD, "must not be Django's development key"),
    ],
)
def test_a_weak_key_is_refused_saying_why(key: str, weakness: str) -> None:
    assert weakness in (secret_key_weakness(key) or "")
    with pytest.raises(ImproperlyConfigured, match="PHOTOSHARE_SECRET_KEY must"):
        require_strong_secret_key(key, source="PHOTOSHARE_SECRET_KEY")


def test_a_random_key_passes_as_djangos_check_would() -> None:
    assert secret_key_weakness(GOOD) is None
    assert django_security._check_secret_key(GOOD)
    require_strong_secret_key(GOOD, source="PHOTOSHARE_SECRET_KEY")


@pytest.mark.parametrize("key", ["a" * 60, "x" * 49, "django-insecure-" + GOOD, "abcd" * 15, GOOD])
def test_the_rule_agrees_with_djangos_check(key: str) -> None:
    assert (secret_key_weakness(key) is None) == django_security._check_secret_key(key)
