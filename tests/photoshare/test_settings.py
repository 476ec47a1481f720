"""Settings are read in a fresh interpreter per case, exactly as a server would start."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "PHOTOSHARE_BACKEND": "aws",
    "PHOTOSHARE_SECRET_KEY": "k" * 20 + "-production-secret-that-is-long-enough-0123456789",
    "PHOTOSHARE_ALLOWED_HOSTS": "photos.example.com",
    "PHOTOSHARE_HTTPS": "true",
    "PHOTOSHARE_DEBUG": "false",
    "PHOTOSHARE_BUCKET": "photoshare-photos-123456789012",
    "PHOTOSHARE_RESULTS_TABLE": "photoshare-ResultsTable-ABC",
    "PHOTOSHARE_STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:Pipeline",
    "PHOTOSHARE_AWS_REGION": "eu-west-1",
}


def run_manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # The case's own variables only: not the DATABASE_URL `make test-postgres` runs the suite with.
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PHOTOSHARE_", "DJANGO_")) and k != "DATABASE_URL"
    }
    clean.update(
        {"PHOTOSHARE_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "photoshare.settings"}
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_passes_with_production_values(tmp_path: Path) -> None:
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"PHOTOSHARE_BACKEND": "gcp"}, "PHOTOSHARE_BACKEND must be one of local, aws"),
        ({"PHOTOSHARE_BUCKET": ""}, "PHOTOSHARE_BUCKET must be set when PHOTOSHARE_BACKEND=aws"),
        (
            {"PHOTOSHARE_SECRET_KEY": ""},
            "PHOTOSHARE_SECRET_KEY must be set when PHOTOSHARE_BACKEND=aws",
        ),
        ({"PHOTOSHARE_SECRET_KEY": "short"}, "at least 50 characters"),
        (
            {"PHOTOSHARE_SECRET_KEY": "a" * 60},
            "PHOTOSHARE_SECRET_KEY must have at least 5 different",
        ),
        (
            {"PHOTOSHARE_SECRET_KEY": "django-insecure-" + "k" * 20 + "-0123456789abcdefghijklm"},
            "PHOTOSHARE_SECRET_KEY must not be Django's development key",
        ),
        ({"PHOTOSHARE_DEBUG": "maybe"}, "PHOTOSHARE_DEBUG must be true or false"),
        (
            {"PHOTOSHARE_MAX_UPLOAD_BYTES": "25MB"},
            "PHOTOSHARE_MAX_UPLOAD_BYTES must be a whole number",
        ),
        ({"PHOTOSHARE_MAX_UPLOAD_PIXELS": "0"}, "PHOTOSHARE_MAX_UPLOAD_PIXELS must be at least 1"),
        # Read by the pipeline's own reader for both halves: the web app refuses to start too.
        ({"PHOTOSHARE_THUMBNAIL_SIZES": "250,big"}, "PHOTOSHARE_THUMBNAIL_SIZES must be sizes"),
        ({"PHOTOSHARE_RECOGNIZER": "magic"}, "PHOTOSHARE_RECOGNIZER must be local or rekognition"),
    ],
)
def test_bad_values_stop_the_app_with_a_clear_message(
    override: dict[str, str], message: str, tmp_path: Path
) -> None:
    result = run_manage("check", env={**PRODUCTION, **override}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_debug_mode_accepts_a_weak_key_of_the_required_length(tmp_path: Path) -> None:
    weak = {"PHOTOSHARE_SECRET_KEY": "a" * 60, "PHOTOSHARE_DEBUG": "true"}
    result = run_manage("check", env={**PRODUCTION, **weak}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


def print_secret_key(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    return run_manage("shell", "--no-imports", "-c", code, env={}, tmp_path=tmp_path)


def test_local_mode_generates_a_private_secret_once(tmp_path: Path) -> None:
    first = print_secret_key(tmp_path)
    second = print_secret_key(tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "secret_key"
    assert first.stdout.strip() == second.stdout.strip() == key_file.read_text()
    assert key_file.stat().st_mode & 0o077 == 0


def test_a_weak_key_left_in_the_local_key_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("a" * 60)
    result = print_secret_key(tmp_path)
    assert result.returncode != 0
    assert f"The secret key in {tmp_path / 'secret_key'} must have" in result.stderr


def test_env_example_lists_every_variable_the_settings_read() -> None:
    settings_source = "".join(
        (ROOT / "photoshare" / name).read_text() for name in ("settings.py", "gunicorn_conf.py")
    ) + "".join(
        (ROOT / "processing" / n).read_text()
        for n in ("runtime.py", "local/worker.py", "recognition/models/manifest.py")
    )
    example = (ROOT / ".env.example").read_text()
    import re

    read = set(re.findall(r'["\']((?:PHOTOSHARE|EMAIL|DATABASE)_[A-Z_]+)["\']', settings_source))
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert read - listed == set()


def trusted_proxy_count(env: dict[str, str], tmp_path: Path) -> str:
    code = "from django.conf import settings; print(settings.ALLAUTH_TRUSTED_PROXY_COUNT)"
    result = run_manage("shell", "--no-imports", "-c", code, env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("override", "count"),
    [
        ({}, "0"),  # X-Forwarded-For is anyone's to forge when no proxy of ours sets it
        ({"PHOTOSHARE_BEHIND_PROXY": "true"}, "1"),
        ({"PHOTOSHARE_BEHIND_PROXY": "true", "PHOTOSHARE_TRUSTED_PROXY_COUNT": "2"}, "2"),
    ],
)
def test_behind_a_proxy_the_rate_limits_read_the_client_address_it_forwards(
    override: dict[str, str], count: str, tmp_path: Path
) -> None:
    assert trusted_proxy_count({**PRODUCTION, **override}, tmp_path) == count


def database_settings(env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'], default=str))"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_a_postgresql_url_keeps_its_connections_and_checks_them(tmp_path: Path) -> None:
    url = "postgres://photos:secret@%2Frun%2Fpostgresql:5433/photoshare"
    database = database_settings({"DATABASE_URL": url}, tmp_path)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "/run/postgresql",
        5433,
        "photoshare",
    )
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (60, True)
    # The SQLite-only parts stay out: its pragmas, and a test database file of its own.
    assert "init_command" not in database.get("OPTIONS", {})
    assert database["TEST"]["NAME"] is None  # Django's own: test_photoshare on the same server


def test_sqlite_by_default_in_the_var_folder_with_its_own_test_file(tmp_path: Path) -> None:
    database = database_settings({}, tmp_path)
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "photoshare.sqlite3")
    assert database["CONN_MAX_AGE"] == 0
    assert database["TEST"]["NAME"].endswith(".sqlite3")


def test_postgresql_from_parts_quotes_a_generated_password(tmp_path: Path) -> None:
    # What App Runner passes from RDS's managed secret: the password may hold URL delimiters.
    parts = {
        "PHOTOSHARE_DB_HOST": "photoshare.abc123.eu-west-1.rds.amazonaws.com",
        "PHOTOSHARE_DB_USER": "photoshare",
        "PHOTOSHARE_DB_PASSWORD": "p@ss:w/rd#?%x",
    }
    database = database_settings(parts, tmp_path)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "photoshare.abc123.eu-west-1.rds.amazonaws.com",
        5432,
        "photoshare",
    )
    assert (database["USER"], database["PASSWORD"]) == ("photoshare", "p@ss:w/rd#?%x")


def test_postgresql_from_parts_may_name_a_socket_folder(tmp_path: Path) -> None:
    parts = {
        "PHOTOSHARE_DB_HOST": "/run/postgresql",
        "PHOTOSHARE_DB_PORT": "5433",
        "PHOTOSHARE_DB_NAME": "photos",
        "PHOTOSHARE_DB_USER": "photoshare",
        "PHOTOSHARE_DB_PASSWORD": "secret",
    }
    database = database_settings(parts, tmp_path)
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "/run/postgresql",
        5433,
        "photos",
    )


def test_postgresql_parts_and_a_database_url_together_are_refused(tmp_path: Path) -> None:
    env = {
        "PHOTOSHARE_DB_HOST": "db.internal",
        "PHOTOSHARE_DB_USER": "photoshare",
        "PHOTOSHARE_DB_PASSWORD": "secret",
        "DATABASE_URL": "postgres://other@db.internal/photoshare",
    }
    result = run_manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "Set DATABASE_URL or PHOTOSHARE_DB_HOST, not both." in result.stderr


def test_postgresql_parts_without_a_password_name_the_missing_variable(tmp_path: Path) -> None:
    env = {"PHOTOSHARE_DB_HOST": "db.internal", "PHOTOSHARE_DB_USER": "photoshare"}
    result = run_manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "PHOTOSHARE_DB_PASSWORD must be set." in result.stderr
