"""A worker loads the recognizer before its first job and says so when it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from processing.local import worker
from processing.recognition.local import _loaded
from processing.recognition.models.manifest import default_models_dir
from tests.conftest import UsePipeline


def test_missing_models_are_reported_once_at_start(
    tmp_path: Path, use_pipeline: UsePipeline, caplog: pytest.LogCaptureFixture
) -> None:
    use_pipeline(PHOTOSHARE_MODELS_DIR=str(tmp_path / "none"))
    worker._warm_up()
    assert "run `make models`" in caplog.text
    assert "every photo fails at its Recognize step" in caplog.text


def test_installed_models_are_loaded_before_the_first_job(caplog: pytest.LogCaptureFixture) -> None:
    worker._warm_up()
    assert caplog.text == ""
    assert any(key[0] == default_models_dir() for key in _loaded)
