"""The composition root: one configuration per process, read once from the environment, and
adapters and clients built once per configuration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from processing import runtime
from processing.local.__main__ import main as run_files
from processing.runtime import ConfigurationError, PipelineConfig, config, configure, configured
from tests.conftest import UsePipeline
from tests.processing.images import jpeg


@pytest.fixture
def from_environment() -> Iterator[None]:
    """No configuration installed: config() reads the environment, as in a Lambda."""
    configure(None)
    yield
    configure(None)


def test_the_configuration_is_read_once_per_process(
    from_environment: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PHOTOSHARE_VAR_DIR", str(tmp_path / "first"))
    first = config()
    monkeypatch.setenv("PHOTOSHARE_VAR_DIR", str(tmp_path / "second"))
    assert config() is first
    assert first.var_dir == (tmp_path / "first").resolve()

    configure(None)  # the explicit way to read it again
    assert config().var_dir == (tmp_path / "second").resolve()


def test_an_installed_configuration_steers_the_handlers_until_replaced(tmp_path: Path) -> None:
    before = config()
    other = PipelineConfig(backend="local", var_dir=tmp_path / "elsewhere")
    with configured(other):
        assert config() is other
        assert os.environ["PHOTOSHARE_VAR_DIR"] != str(other.var_dir)  # never through os.environ
    assert config() is before


def test_bad_values_are_named_once_for_both_halves(
    from_environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHOTOSHARE_THUMBNAIL_SIZES", "250,huge")
    with pytest.raises(ConfigurationError, match="PHOTOSHARE_THUMBNAIL_SIZES must be sizes"):
        config()


def test_adapters_are_built_once_per_configuration(tmp_path: Path) -> None:
    settings = config()
    assert settings.result_store() is settings.result_store()
    assert settings.blob_store() is config().blob_store()
    assert settings.execution_starter() is settings.execution_starter()

    other = PipelineConfig(backend="local", var_dir=tmp_path / "other")
    with configured(other):
        assert config().blob_store() is not settings.blob_store()
        assert config().blob_store().root == tmp_path / "other" / "media"  # type: ignore[attr-defined]


def test_in_aws_mode_one_s3_client_serves_storage_and_urls_with_standard_retries(
    use_pipeline: UsePipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        settings = use_pipeline(
            PHOTOSHARE_BACKEND="aws",
            PHOTOSHARE_AWS_REGION="eu-west-1",
            PHOTOSHARE_BUCKET="photoshare-test",
            PHOTOSHARE_STATE_MACHINE_ARN="arn:aws:states:eu-west-1:1:stateMachine:P",
        )
        s3 = settings.s3_client()
        assert settings.blob_store().client is s3  # type: ignore[attr-defined]
        assert settings.s3_upload_signer().client is s3
        assert settings.s3_upload_signer() is config().s3_upload_signer()
        dynamodb = settings.result_store().client  # type: ignore[attr-defined]
        assert dynamodb is config().result_store().client  # type: ignore[attr-defined]
        for client in (s3, dynamodb, settings.execution_starter().client):  # type: ignore[attr-defined]
            assert client.meta.config.retries["mode"] == "standard"


def test_the_local_cli_runs_files_without_touching_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg())
    before, environment = config(), dict(os.environ)

    assert run_files(["run", str(photo)]) == 0

    assert capsys.readouterr().out.startswith(f"{photo}: SUCCEEDED")
    assert dict(os.environ) == environment
    assert config() is before
    assert runtime.config().var_dir == before.var_dir
