from pathlib import Path

import pytest

from processing.runtime import PipelineConfig
from tests.conftest import UsePipeline


@pytest.fixture
def pipeline(tmp_path: Path, use_pipeline: UsePipeline) -> PipelineConfig:
    """The local runtime in a temporary var/ directory, with quick leases."""
    return use_pipeline(
        PHOTOSHARE_BACKEND="local",
        PHOTOSHARE_VAR_DIR=str(tmp_path),
        PHOTOSHARE_QUEUE_LEASE_SECONDS="2",
    )
