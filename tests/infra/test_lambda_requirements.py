"""The Lambda artifact carries every library its code imports: scripts/build-lambda installs
infra/lambda-requirements.txt and copies processing/, so a package imported anywhere in
processing/ (even lazily, for one kind of file) and missing from the requirements would fail
only on that file, in the cloud."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What Lambda's Python 3.12 runtime brings.
RUNTIME = {"boto3", "botocore"}
# The local recognizer's models, which the Lambda functions never load (aws mode recognizes
# with Rekognition): installed by `make models`, not shipped.
LOCAL_ONLY = {"onnx", "onnxruntime"}
DISTRIBUTION = {"PIL": "pillow", "pi_heif": "pi-heif"}


def third_party_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / "processing").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("processing", "__future__"):
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def lambda_requirements() -> set[str]:
    text = (ROOT / "infra" / "lambda-requirements.in").read_text()
    return {
        re.split(r"[<>=!~\[ ]", line.strip(), maxsplit=1)[0].lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    }


def test_every_library_the_lambda_code_imports_is_in_its_requirements() -> None:
    imports = third_party_imports()
    assert {"PIL", "numpy", "simplejpeg"} <= set(imports)  # the scan sees lazy imports too
    needed = {
        DISTRIBUTION.get(module, module).lower()
        for module in imports
        if module not in RUNTIME | LOCAL_ONLY
    }
    assert needed - lambda_requirements() == set()


def test_the_local_only_libraries_stay_in_the_local_recognizer() -> None:
    imports = third_party_imports()
    for module in LOCAL_ONLY:
        assert all(path.startswith("processing/recognition/") for path in imports[module])
