"""Whether a secret key is fit to sign sessions, CSRF tokens and password-reset links.

The rule is Django's own ``security.W009`` (at least 50 characters, at least 5 different ones, not
the ``django-insecure-`` key ``startproject`` writes), which ``check --deploy`` only reports;
settings refuse to start with such a key unless PHOTOSHARE_DEBUG is on.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

# Django's values (django.core.checks.security.base), copied so settings need not import the
# check framework while they load; tests/photoshare/test_secret_key.py keeps them equal.
MIN_LENGTH = 50
MIN_UNIQUE_CHARACTERS = 5
INSECURE_PREFIX = "django-insecure-"


def secret_key_weakness(key: str) -> str | None:
    """What is wrong with ``key``, in a sentence, or None when it is strong enough."""
    if len(key) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long (it has {len(key)})"
    if len(set(key)) < MIN_UNIQUE_CHARACTERS:
        return (
            f"must have at least {MIN_UNIQUE_CHARACTERS} different characters "
            f"(it has {len(set(key))}); use a random one"
        )
    if key.startswith(INSECURE_PREFIX):
        return f"must not be Django's development key (it starts with {INSECURE_PREFIX!r})"
    return None


def require_strong_secret_key(key: str, *, source: str) -> None:
    """Raises ImproperlyConfigured naming where the key came from when it is weak."""
    weakness = secret_key_weakness(key)
    if weakness is not None:
        raise ImproperlyConfigured(
            f"{source} {weakness}. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
