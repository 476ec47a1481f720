"""The package boundaries of docs/architecture.md, checked so that they cannot erode quietly."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DJANGO_SIDE = {"django", "allauth", "albums", "accounts", "photoshare"}

IMPORT_ALL_OF_PROCESSING = f"""
import importlib, pkgutil, sys
import processing
for module in pkgutil.walk_packages(processing.__path__, "processing."):
    importlib.import_module(module.name)
print(",".join(sorted(n for n in sys.modules if n.split(".")[0] in {DJANGO_SIDE!r})))
"""


def test_processing_imports_without_django() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL_OF_PROCESSING],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == ""
