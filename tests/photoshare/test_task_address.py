"""On ECS Fargate the load balancer checks the login page with the task's private address as its
host and over plain HTTP (infra/web-fargate.yaml): the app must answer it 200, and only when the
stack says so. The metadata is a recorded container response (its shape as AWS documents it),
served by a local HTTP server in place of ECS's link-local endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest
from django.core.exceptions import ImproperlyConfigured

from photoshare.task_address import task_addresses
from tests.photoshare.test_settings import PRODUCTION, run_manage

RECORDED = Path(__file__).with_name("ecs_container_metadata.json")
TASK_ADDRESS = "10.20.3.7"


def serve(body: bytes) -> Iterator[str]:
    class Metadata(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Metadata)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v4/cd189a933e58-2495160603"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def metadata_uri() -> Iterator[str]:
    yield from serve(RECORDED.read_bytes())


def test_it_reads_the_task_address_from_the_container_metadata(metadata_uri: str) -> None:
    assert task_addresses(metadata_uri) == [TASK_ADDRESS]


def test_it_refuses_to_start_when_the_metadata_lists_no_address() -> None:
    container = json.loads(RECORDED.read_text())
    container["Networks"] = []
    for uri in serve(json.dumps(container).encode()):
        with pytest.raises(ImproperlyConfigured, match="no IPv4 address"):
            task_addresses(uri)


def test_it_refuses_to_start_when_the_metadata_cannot_be_read() -> None:
    with pytest.raises(ImproperlyConfigured, match="ECS_CONTAINER_METADATA_URI_V4"):
        task_addresses("http://127.0.0.1:9/v4/gone", timeout=2)


# The Fargate stack's settings: HTTPS behind the load balancer, which redirects HTTP itself.
FARGATE = {
    **PRODUCTION,
    "PHOTOSHARE_BEHIND_PROXY": "true",
    "PHOTOSHARE_SSL_REDIRECT": "false",
    "PHOTOSHARE_ALLOW_TASK_ADDRESS": "true",
}
# As the load balancer asks: the task's address and port as the host, plain HTTP, no forwarded
# headers. Static files are named unhashed (the manifest is the image build's, not made here).
HEALTH_CHECK = f"""
from django.conf import settings
from django.test import Client, override_settings
unhashed = {{"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES={{**settings.STORAGES, "staticfiles": unhashed}}):
    print(Client().get("/accounts/login/", HTTP_HOST="{TASK_ADDRESS}:8000").status_code)
"""


def health_check_status(env: dict[str, str], tmp_path: Path) -> str:
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}"}
    migrated = run_manage("migrate", "--noinput", env={**env, **database}, tmp_path=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    result = run_manage("shell", "-c", HEALTH_CHECK, env={**env, **database}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_load_balancers_health_check_gets_the_login_page(
    metadata_uri: str, tmp_path: Path
) -> None:
    env = {**FARGATE, "ECS_CONTAINER_METADATA_URI_V4": metadata_uri}
    assert health_check_status(env, tmp_path) == "200"


def test_without_the_stacks_word_the_task_address_is_not_a_host_the_app_answers(
    metadata_uri: str, tmp_path: Path
) -> None:
    env = {**FARGATE, "PHOTOSHARE_ALLOW_TASK_ADDRESS": "false"}
    env["ECS_CONTAINER_METADATA_URI_V4"] = metadata_uri
    assert health_check_status(env, tmp_path) == "400"


def test_with_its_own_redirect_on_the_app_would_send_the_health_check_away(
    metadata_uri: str, tmp_path: Path
) -> None:
    env = {**FARGATE, "ECS_CONTAINER_METADATA_URI_V4": metadata_uri}
    del env["PHOTOSHARE_SSL_REDIRECT"]
    assert health_check_status(env, tmp_path) == "301"


def test_check_deploy_passes_when_the_load_balancer_redirects(
    metadata_uri: str, tmp_path: Path
) -> None:
    env = {**FARGATE, "ECS_CONTAINER_METADATA_URI_V4": metadata_uri}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
