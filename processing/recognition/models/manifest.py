"""The installed recognition models: where they live and the manifest that records them.

Kept apart from the installer so that reading the manifest (every worker does, once) never imports
onnx or the converters.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Bump when a conversion changes, so installed models are rebuilt.
# 2: NanoDet's transposes cancelled and its stem Pad folded; int8 models added.
# 3: the int8 NanoDet keeps its first ten and its last head convolutions float32.
# 4: int8 ranges measured on the recognizer's picture as the thumbnail's scaled decode gives it.
CONVERTER_VERSION = 4
MANIFEST = "models.json"

DETECTOR, CLASSIFIER = "nanodet-g", "efficientnet-lite0"
# Their static int8 quantizations (models/quantize.py): what the recognizer runs.
DETECTOR_INT8, CLASSIFIER_INT8 = "nanodet-g-int8", "efficientnet-lite0-int8"
QUANTIZED = {DETECTOR: DETECTOR_INT8, CLASSIFIER: CLASSIFIER_INT8}


class ModelsUnavailable(RuntimeError):
    """The models cannot be installed or are not installed; the message names the fix."""


@dataclass(frozen=True)
class InstalledModel:
    file: str
    sha256: str
    version: str  # recorded on every label the model produces
    source: str
    licence: str


def default_models_dir() -> Path:
    configured = os.environ.get("PHOTOSHARE_MODELS_DIR", "").strip()
    return (
        Path(configured) if configured else Path(__file__).resolve().parents[3] / "var" / "models"
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_json(path: Path, missing: str) -> Any:
    """The JSON in ``path``; ModelsUnavailable saying ``missing`` if it is absent or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        raise ModelsUnavailable(missing) from None


def read_manifest(models_dir: Path) -> dict[str, InstalledModel]:
    """The installed models, each file checked against its recorded hash."""
    path = models_dir / MANIFEST
    fix = "run `make models` (it needs npm)"
    raw = read_json(path, f"The recognition models are not installed in {models_dir}: {fix}.")
    if raw.get("converter") != CONVERTER_VERSION:
        raise ModelsUnavailable(f"The recognition models in {models_dir} are out of date: {fix}.")
    models = {name: InstalledModel(**spec) for name, spec in raw["models"].items()}
    for model in models.values():
        file = models_dir / model.file
        if not file.is_file() or sha256_of(file) != model.sha256:
            raise ModelsUnavailable(f"{file} is missing or changed: {fix}.")
    return models
