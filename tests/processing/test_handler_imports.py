"""What a Lambda cold start imports: each handler module in a fresh interpreter, as Lambda's INIT
phase runs it. A handler that only writes items (or starts executions) must load none of the
imaging and model libraries, which cost it about half a second; the image handlers load Pillow
and nothing more until a file needs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(
    path.stem
    for path in (ROOT / "processing" / "handlers").glob("*.py")
    if not path.stem.startswith("_")
)
IMAGE_HANDLERS = {"extract_metadata", "thumbnails", "recognize"}
LIGHT_HANDLERS = [name for name in HANDLERS if name not in IMAGE_HANDLERS]
HEAVY = ("PIL", "numpy", "onnxruntime", "pi_heif", "pyspng", "simplejpeg")


def loaded_by_import(module: str, backend: str) -> set[str]:
    program = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOSHARE_")}
    env["PHOTOSHARE_BACKEND"] = backend
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return set(json.loads(result.stdout))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in HEAVY)


def test_the_handlers_that_only_write_items_are_the_ones_checked() -> None:
    assert {"record_result", "s3_trigger"} <= set(LIGHT_HANDLERS)


@pytest.mark.parametrize("handler", LIGHT_HANDLERS)
@pytest.mark.parametrize("backend", ["aws", "local"])
def test_a_light_handler_imports_no_imaging_or_model_library(handler: str, backend: str) -> None:
    loaded = loaded_by_import(f"processing.handlers.{handler}", backend)
    assert f"processing.handlers.{handler}" in loaded
    assert heavy_in(loaded) == []


@pytest.mark.parametrize("handler", sorted(IMAGE_HANDLERS & set(HANDLERS)))
def test_an_image_handler_imports_at_most_pillow_until_a_file_needs_more(handler: str) -> None:
    # NumPy, pi_heif and pyspng come with the first big PNG, HEIF or huge progressive JPEG;
    # onnxruntime only with the local recognizer, never in aws mode.
    loaded = heavy_in(loaded_by_import(f"processing.handlers.{handler}", "aws"))
    assert {name.split(".")[0] for name in loaded} <= {"PIL"}


def test_the_check_sees_a_heavy_import_when_there_is_one() -> None:
    # The same probe on a module that does load Pillow and NumPy: the check can fail.
    loaded = loaded_by_import("processing.png_strips", "aws")
    assert {"PIL", "numpy", "pyspng"} <= {name.split(".")[0] for name in loaded}
