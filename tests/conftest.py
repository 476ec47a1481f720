"""Shared fixtures. Personas, as in the house style: alice owns things, bob is someone else,
and an anonymous visitor uses the plain ``client``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client
from pytest_django.fixtures import Settings

from accounts.models import User
from albums.models import Album
from processing import runtime
from processing.runtime import PipelineConfig

PASSWORD = "correct horse battery staple"


class UsePipeline(Protocol):
    def __call__(self, **variables: str) -> PipelineConfig: ...


@pytest.fixture(autouse=True)
def _static_files_from_finders(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Serve static files unhashed: the hashed manifest exists only after `collectstatic`, which
    tests/photoshare/test_static_files.py checks on its own. WhiteNoise gets an empty root."""
    settings.STATIC_ROOT = tmp_path_factory.getbasetemp() / "static-root"
    settings.STATIC_ROOT.mkdir(exist_ok=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def use_pipeline(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsePipeline]:
    """The one way a test configures the pipeline: with the ``PHOTOSHARE_*`` variables a
    deployment would set. They go into the environment (for the processes a test starts), are
    read by the pipeline's one reader, and the result is installed for Django
    (``settings.PHOTOSHARE_PIPELINE``) and the handlers (``runtime.configure``) alike; both
    forget it after the test."""

    def use(**variables: str) -> PipelineConfig:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        config = PipelineConfig.from_environment()
        settings.PHOTOSHARE_PIPELINE = config
        runtime.configure(config)
        return config

    yield use
    runtime.configure(None)


@pytest.fixture
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials and a region for moto (in-process or server): boto3 needs some, and a test
    must never reach a real account with a developer's own."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(autouse=True)
def var_dir(use_pipeline: UsePipeline, tmp_path: Path) -> Path:
    """Each test's own var/ folder (database of the pipeline, media), for Django and the
    pipeline's composition root alike, so no test touches a developer's local data."""
    folder = tmp_path / "var"
    folder.mkdir()
    use_pipeline(PHOTOSHARE_BACKEND="local", PHOTOSHARE_VAR_DIR=str(folder))
    return folder


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    """PBKDF2's deliberate slowness is worth nothing in tests; MD5 keeps the suite quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Settings) -> None:
    """allauth's rate limits count in the cache; each test starts with none spent. Tests count in
    memory, which needs no database; tests/accounts/test_rate_limits.py uses the shared database
    cache that deployments use, across real server processes."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


def make_user(email: str) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice@example.com")


@pytest.fixture
def bob(db: None) -> User:
    return make_user("bob@example.com")


@pytest.fixture
def alice_client(alice: User) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob: User) -> Client:
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def alices_album(alice: User) -> Album:
    return Album.objects.create(owner=alice, name="Lisbon 2026")
