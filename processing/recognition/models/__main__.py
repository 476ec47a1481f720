"""`python -m processing.recognition.models install [DIR]`: what `make models` runs.

`python -m processing.recognition.models calibrate PHOTOS`: measures the activation ranges the
int8 models are quantized with, over the recognition photos of PHOTOS/manifest.json (the
development set, ../shared/recognition), and writes processing/recognition/data/*.ranges.json to
commit. Run it after a change to a conversion or to the recognizer's preprocessing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from processing.recognition.models.install import convert_models, install
from processing.recognition.models.manifest import (
    CLASSIFIER,
    DETECTOR,
    ModelsUnavailable,
    default_models_dir,
)


def calibration_inputs(photos: Path) -> dict[str, list[np.ndarray]]:
    """Each model's input for each recognition photo, made as the Recognize step makes it (the
    thumbnail it reads, the derivative in the recognizer's size, each model's preprocessing)."""
    from processing.recognition import classifier, detector
    from processing.recognition.local import LocalRecognizer
    from processing.recognition.photo import recognition_image

    entries = json.loads((photos / "manifest.json").read_text())
    inputs: dict[str, list[np.ndarray]] = {DETECTOR: [], CLASSIFIER: []}
    for entry in entries:
        if "expected_labels" not in entry:
            continue
        image = recognition_image((photos / entry["file"]).read_bytes(), LocalRecognizer.image_size)
        inputs[DETECTOR].append(detector.preprocess(image))
        inputs[CLASSIFIER].append(classifier.preprocess(image))
    return inputs


def calibrate(
    photos: Path, method: str = "MinMax", options: dict[str, object] | None = None
) -> None:
    from processing.recognition.models import quantize

    inputs = calibration_inputs(photos)
    if not inputs[DETECTOR]:
        raise ModelsUnavailable(f"{photos}/manifest.json lists no recognition photos")
    with tempfile.TemporaryDirectory(prefix="photoshare-models-") as scratch:
        models = {name: model for name, (model, _) in convert_models(Path(scratch)).items()}
    written = quantize.calibrate(
        models,
        inputs,
        described=f"{len(inputs[DETECTOR])} photos of {photos.name}/manifest.json",
        method=method,
        options=options,
    )
    for path in written.values():
        print(f"Wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m processing.recognition.models")
    parser.add_argument("command", choices=["install", "calibrate"])
    parser.add_argument(
        "directory",
        nargs="?",
        type=Path,
        default=None,
        help="install: the models directory (var/models); calibrate: the photos",
    )
    parser.add_argument(
        "--method",
        choices=["MinMax", "Entropy", "Percentile"],
        default="MinMax",
        help="calibrate: onnxruntime's calibration method (MinMax, the committed ranges')",
    )
    parser.add_argument(
        "--percentile", type=float, default=None, help="calibrate --method Percentile: e.g. 99.99"
    )
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "calibrate":
            if arguments.directory is None:
                parser.error("calibrate needs the photos' directory (../shared/recognition)")
            options = {} if arguments.percentile is None else {"percentile": arguments.percentile}
            calibrate(arguments.directory, arguments.method, options)
        else:
            install(arguments.directory or default_models_dir())
    except ModelsUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
