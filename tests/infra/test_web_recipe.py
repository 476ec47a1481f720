"""The web tier's recipe, run as App Runner runs it: its build and start commands, read from
infra/web.yaml, on a copy of the repository's tracked files, with a Python of its own and the
service's environment, until the login page answers. The container image for ECS Fargate
(Dockerfile) must run exactly the same two commands, so this run covers what the image runs; the
image build itself needs a Docker daemon and is not run here.

What stands in for App Runner here: a fresh venv plays the managed runtime's ``python3`` (nothing
installed in it), pip sees PyPI only (the machine's pip configuration, wheel folders and
constraints are switched off), and the variables are the template's own, with the stack's values
(the pipeline stack's outputs, the database, the secrets) replaced by throwaway ones. The database
is a throwaway SQLite file, or, when the suite runs with DATABASE_URL (``make test-postgres``),
that PostgreSQL: in PHOTOSHARE_DB_* parts as the template passes RDS's when its URL has a password,
whole when it has none. pip's download cache is the user's own, as on any machine; it changes what
is downloaded, not what runs. Measured here: about 50-80 s with a warm pip cache, most of it pip.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import venv
from collections.abc import Iterator
from pathlib import Path
from string import ascii_letters, digits
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
# App Runner's own host names end so (infra/web.yaml allows any of the region's).
SERVICE_HOST = "abcd1234ef.eu-west-1.awsapprunner.com"
STACK_VALUES = {
    "AWS::Region": "eu-west-1",
    "BucketName": "photoshare-photos-123456789012",
    "ResultsTableName": "photoshare-ResultsTable-ABC",
    "StateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:Pipeline",
    "FromEmail": "Photoshare <photos@example.com>",
}
NETWORK_VARIABLES = (
    "PIP_CERT",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
)
SECRETS = {
    # 64 letters and digits, as Secrets Manager makes it (GenerateSecretString, no punctuation).
    "PHOTOSHARE_SECRET_KEY": "".join(secrets.choice(ascii_letters + digits) for _ in range(64)),
    "EMAIL_HOST_USER": "AKIAEXAMPLE",
    "EMAIL_HOST_PASSWORD": "smtp-password",
}


def code_configuration() -> dict[str, Any]:
    template, matches = decode(str(ROOT / "infra" / "web.yaml"))
    assert matches == []
    assert template is not None
    service = template["Resources"]["Service"]["Properties"]
    configuration = service["SourceConfiguration"]["CodeRepository"]["CodeConfiguration"]
    assert configuration["ConfigurationSource"] == "API"
    values: dict[str, Any] = configuration["CodeConfigurationValues"]
    assert values["Runtime"] == "PYTHON_311"
    return values


def resolve(value: Any) -> str:
    """A template value with the stack's parts filled in from STACK_VALUES."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return STACK_VALUES[value["Ref"]]
    if "Fn::If" in value:  # CustomDomain is empty by default: the "false" branch
        return resolve(value["Fn::If"][2])
    if "Fn::Sub" in value:
        text = str(value["Fn::Sub"])
        for name, part in STACK_VALUES.items():
            text = text.replace("${" + name + "}", part)
        return text
    raise AssertionError(f"no test value for {value}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_variables(tmp_path: Path) -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return {"DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}"}
    parts = urlsplit(url)
    if not parts.password:
        # A server that trusts its socket (scripts/with-postgres) has no password to pass as a
        # part, and the settings rightly refuse parts without one: its URL as it is, then.
        return {"DATABASE_URL": url}
    return {
        "PHOTOSHARE_DB_HOST": unquote(parts.hostname or ""),
        "PHOTOSHARE_DB_PORT": str(parts.port or 5432),
        "PHOTOSHARE_DB_NAME": unquote(parts.path.lstrip("/")),
        "PHOTOSHARE_DB_USER": unquote(parts.username or ""),
        "PHOTOSHARE_DB_PASSWORD": unquote(parts.password or ""),
    }


def service_environment(
    values: dict[str, Any], runtime: Path, tmp_path: Path, port: int
) -> dict[str, str]:
    base = {
        "PATH": f"{runtime / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        # PyPI only, as App Runner's build sees it: no wheel folders or constraints of this machine.
        "PIP_CONFIG_FILE": os.devnull,
    }
    # How this machine reaches PyPI (its proxy and the certificates it trusts) still holds: that
    # changes the way to the index, not what is installed from it.
    base |= {name: os.environ[name] for name in NETWORK_VARIABLES if name in os.environ}
    # The stack's database comes as parts of RDS's endpoint and secret; here, the test's database.
    database_parts = ("PHOTOSHARE_DB_HOST", "PHOTOSHARE_DB_PORT", "PHOTOSHARE_DB_NAME")
    listed = values["RuntimeEnvironmentVariables"]
    assert {item["Name"] for item in listed} >= set(database_parts)
    variables = {
        item["Name"]: resolve(item["Value"])
        for item in listed
        if item["Name"] not in database_parts
    }
    database = database_variables(tmp_path)
    secret_names = {item["Name"] for item in values["RuntimeEnvironmentSecrets"]}
    assert secret_names == {*SECRETS, "PHOTOSHARE_DB_USER", "PHOTOSHARE_DB_PASSWORD"}
    # App Runner's port is the service's; a free one here, so that runs side by side never clash.
    assert variables["PHOTOSHARE_BIND"] == f"0.0.0.0:{values['Port']}"
    variables["PHOTOSHARE_BIND"] = f"127.0.0.1:{port}"
    return {**base, **variables, **SECRETS, **database}


def tracked_copy(destination: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.split(b"\0")
    for name in (entry.decode() for entry in listed if entry):
        source = ROOT / name
        if source.is_file():  # a file deleted in the working tree but not yet in git's index
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def run_build(command: str, source: Path, env: dict[str, str]) -> None:
    built = subprocess.run(
        ["bash", "-c", command], cwd=source, env=env, capture_output=True, text=True, timeout=600
    )
    assert built.returncode == 0, built.stdout + built.stderr


@pytest.fixture
def started_service(tmp_path: Path) -> Iterator[tuple[int, list[str]]]:
    values = code_configuration()
    source, runtime = tmp_path / "source", tmp_path / "runtime"
    tracked_copy(source)
    venv.EnvBuilder(with_pip=True).create(runtime)
    port = free_port()
    env = service_environment(values, runtime, tmp_path, port)
    # App Runner's build has none of the service's variables or secrets.
    build_env = {
        name: value
        for name, value in env.items()
        if name in ("PATH", "HOME", "LANG", "PIP_CONFIG_FILE", *NETWORK_VARIABLES)
    }
    run_build(values["BuildCommand"], source, build_env)

    server = subprocess.Popen(
        ["bash", "-c", values["StartCommand"]],
        cwd=source,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    log: list[str] = []
    listening = threading.Event()

    def follow() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            log.append(line)
            if "Listening at:" in line:
                listening.set()
        listening.set()  # the server ended: the test reads why from the log

    threading.Thread(target=follow, daemon=True).start()
    try:
        # Migrating a fresh database and starting gunicorn; generous for a loaded machine.
        listening.wait(timeout=180)
        yield port, log
    finally:
        with contextlib.suppress(ProcessLookupError):  # it may have stopped on its own
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_the_recipe_builds_starts_and_serves_the_login_page(
    started_service: tuple[int, list[str]],
) -> None:
    port, log = started_service
    assert any("Listening at:" in line for line in log), "".join(log)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    # As App Runner's front end forwards a request: the service's host, the scheme it terminated.
    connection.request(
        "GET",
        "/accounts/login/",
        headers={"Host": SERVICE_HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4"},
    )
    response = connection.getresponse()
    page = response.read().decode()
    assert response.status == 200, page[:2000] + "".join(log)
    assert 'name="login"' in page
    assert 'type="password"' in page
    # Static files were collected by the build and are served with their hashed names.
    assert "/static/" in page
    # The start command migrated before serving (the cache table, accounts/0002, is a migration).
    assert any("Operations to perform:" in line for line in log), "".join(log)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (keyword, arguments), continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), " ".join(arguments.split())))
        pending = ""
    return instructions


def test_the_image_builds_and_starts_with_the_same_commands_as_app_runner() -> None:
    values = code_configuration()
    instructions = dockerfile_instructions()
    keywords = [keyword for keyword, _ in instructions]
    # The only source the image gets is the build context, copied once; after it, the one RUN is
    # App Runner's build command, so nothing the test above does not run changes the app.
    copied = instructions.index(("COPY", ". ."))
    after_copy = [arguments for keyword, arguments in instructions[copied:] if keyword == "RUN"]
    assert after_copy == [values["BuildCommand"]]
    assert keywords.count("COPY") == 1
    assert "ADD" not in keywords
    # Its command is App Runner's start command, with no entrypoint wrapped around it.
    assert "ENTRYPOINT" not in keywords
    (command,) = [arguments for keyword, arguments in instructions if keyword == "CMD"]
    assert json.loads(command) == shlex.split(values["StartCommand"])
    # It serves as a user of its own, on the port both templates route to.
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users
    assert users[-1] not in ("root", "0")
    assert ("EXPOSE", values["Port"]) in instructions
