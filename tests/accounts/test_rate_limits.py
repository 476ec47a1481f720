"""allauth's rate limits hold as configured (settings.ACCOUNT_RATE_LIMITS) across web processes
and restarts, per client address behind a proxy, and in front of the admin.

The limits count in the shared database cache, so these tests use it rather than the tests'
in-memory default, and the cross-process test drives real gunicorn servers on the test database.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from accounts.models import User
from tests.conftest import PASSWORD, make_user
from tests.processing.local.processes import ROOT, wait_for
from tests.processing.local.test_run_local import answers, free_port

SHARED_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "photoshare_cache",
    }
}
TOO_MANY = "Too many failed login attempts"
WRONG = "not correct"


@pytest.fixture
def shared_cache(settings: Settings, db: None) -> None:
    settings.CACHES = SHARED_CACHE
    cache.clear()


def database_url() -> str:
    """The test database as a URL, for server processes of their own."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = urllib.parse.quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    host = urllib.parse.quote(db["HOST"] or "", safe="")  # a socket directory is a path
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


class Server:
    """One gunicorn process (one worker) serving the app on the test database."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "--config",
                    "python:photoshare.gunicorn_conf",
                    "photoshare.wsgi",
                ],
                cwd=ROOT,
                env={
                    **env,
                    "PHOTOSHARE_BIND": f"127.0.0.1:{self.port}",
                    "PHOTOSHARE_WEB_WORKERS": "1",
                },
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        assert wait_for(lambda: answers(f"{self.url}/healthz")), log.read_text()[-3000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Browser:
    """A visitor with a cookie jar, posting allauth's login form as a browser does."""

    def __init__(self) -> None:
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), _NoRedirects()
        )

    def log_in(
        self, server: Server, email: str, password: str, host: str = "127.0.0.1"
    ) -> tuple[int, str]:
        """Through ``server``, under the name ``host`` (the Host header a browser sends)."""
        login = urllib.request.Request(
            f"{server.url}{reverse('account_login')}", headers={"Host": f"{host}:{server.port}"}
        )
        with self.opener.open(login, timeout=60) as page:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())
        assert token
        form = urllib.parse.urlencode(
            {"login": email, "password": password, "csrfmiddlewaretoken": token.group(1)}
        ).encode()
        login.data = form
        try:
            with self.opener.open(login, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as answer:  # the 302 of a success, a 429
            return answer.code, answer.read().decode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture
def server_env(tmp_path: Path, transactional_db: None) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PHOTOSHARE_DEBUG": "false",
        "PYTHONPATH": str(ROOT),
    }
    # The pages' static files are hashed by collectstatic, as `make run` does before serving.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    counters = DatabaseCache(SHARED_CACHE["default"]["LOCATION"], {})
    counters.clear()
    yield env
    counters.clear()


def verified_user_with_real_hash(email: str) -> User:
    """The servers hash with PBKDF2 (the tests' MD5 shortcut is this process's only)."""
    user = make_user(email)
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    return user


def test_five_failed_logins_lock_an_address_across_two_processes_and_a_restart(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    verified_user_with_real_hash("alice@example.com")
    verified_user_with_real_hash("bob@example.com")
    log = tmp_path / "servers.log"
    first, second = Server(server_env, log), Server(server_env, log)
    attacker = Browser()
    try:
        # Configured: 5 failures per 5 minutes per e-mail address. Alternating servers, each
        # process alone has seen at most three; alternating the names the app answers to, each
        # name has seen at most three.
        for attempt in range(5):
            server = (first, second)[attempt % 2]
            host = ("127.0.0.1", "localhost")[attempt // 2 % 2]
            status, page = attacker.log_in(server, "alice@example.com", "guess", host)
            assert (status, WRONG in page, TOO_MANY in page) == (200, True, False), attempt
        status, page = attacker.log_in(second, "alice@example.com", PASSWORD)
        assert (status, TOO_MANY in page) == (200, True)
    finally:
        first.stop()
        second.stop()

    restarted = Server(server_env, log)
    try:
        status, page = Browser().log_in(restarted, "alice@example.com", PASSWORD)
        assert (status, TOO_MANY in page) == (200, True)
        # Another address is not locked by alice's lockout, from the same client either.
        status, _ = attacker.log_in(restarted, "bob@example.com", PASSWORD)
        assert status == 302
    finally:
        restarted.stop()


def forwarded(ip: str) -> dict[str, str]:
    return {"HTTP_X_FORWARDED_FOR": ip, "REMOTE_ADDR": "10.0.0.2"}  # the load balancer


def login_post(client: Client, email: str, password: str, ip: str) -> str:
    response = client.post(
        reverse("account_login"), {"login": email, "password": password}, **forwarded(ip)
    )
    return "locked" if TOO_MANY in response.content.decode() else str(response.status_code)


@pytest.mark.usefixtures("shared_cache")
def test_behind_a_proxy_a_lockout_of_one_client_address_never_blocks_another(
    settings: Settings, alice: User
) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    attacker, visitor = Client(), Client()
    # Configured: 10 failures a minute per client address, here each for a different e-mail so
    # that the per-address (e-mail) limit is not what stops it.
    outcomes = [
        login_post(attacker, f"nobody{n}@example.com", "guess", "203.0.113.5") for n in range(10)
    ]
    assert outcomes == ["200"] * 10
    assert login_post(attacker, "alice@example.com", PASSWORD, "203.0.113.5") == "locked"

    assert login_post(visitor, "alice@example.com", PASSWORD, "198.51.100.7") == "302"


@pytest.mark.usefixtures("shared_cache")
def test_without_a_trusted_proxy_a_forged_forwarded_for_header_changes_nothing(
    alice: User,
) -> None:
    attacker = Client()
    for n in range(10):
        login_post(attacker, f"nobody{n}@example.com", "guess", f"203.0.113.{n}")
    # The header is ignored: all ten came from one address, which is now locked.
    assert login_post(attacker, "alice@example.com", PASSWORD, "198.51.100.7") == "locked"


@pytest.mark.usefixtures("shared_cache")
def test_the_admin_signs_in_through_the_rate_limited_login(client: Client) -> None:
    admin = User.objects.create_superuser(email="root@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=admin, email=admin.email, primary=True, verified=True)

    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.post("/admin/login/", {"username": admin.email, "password": PASSWORD})[
        "Location"
    ].startswith(reverse("account_login")), "the admin's own form must not take a password"

    for _ in range(5):
        client.post(reverse("account_login"), {"login": admin.email, "password": "guess"})
    locked = client.post(reverse("account_login"), {"login": admin.email, "password": PASSWORD})
    assert TOO_MANY in locked.content.decode()
    assert client.get("/admin/").status_code == 302

    cache.clear()
    client.post(reverse("account_login"), {"login": admin.email, "password": PASSWORD})
    assert client.get("/admin/").status_code == 200


def test_a_signed_in_user_who_is_not_staff_is_refused_by_the_admin(alice_client: Client) -> None:
    assert alice_client.get("/admin/login/").status_code == 403
