from pathlib import Path

import pytest

from processing.runtime import PipelineConfig, config


@pytest.fixture
def pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PipelineConfig:
    """The local runtime in a temporary var/ directory, with quick leases."""
    monkeypatch.setenv("PHOTOSHARE_BACKEND", "local")
    monkeypatch.setenv("PHOTOSHARE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PHOTOSHARE_QUEUE_LEASE_SECONDS", "2")
    return config()
