from __future__ import annotations

from pathlib import Path

import pytest

from processing.recognition.local import LocalRecognizer
from processing.recognition.models.manifest import default_models_dir


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The models `make test` installs first (`make models`); missing ones fail with the fix."""
    return default_models_dir()


@pytest.fixture(scope="session")
def recognizer(models_dir: Path) -> LocalRecognizer:
    return LocalRecognizer(models_dir)
