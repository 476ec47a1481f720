"""The package boundaries the architecture promises, checked on the code itself.

- processing/'s core (pure steps, ports, the schema, the state machine runner, recognition) never
  imports an adapter, a Lambda handler, the composition root, boto3 or Django, even indirectly:
  what a step needs from outside comes in through a port.
- albums/ reaches processing/ only through albums/pipeline.py, its one backend module.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Everything in processing/ that is not core: the adapters and handlers, the local runtime's
# processes, the composition root, and command-line programs that wire things together.
OUTER = (
    "processing.adapters",
    "processing.handlers",
    "processing.local",
    "processing.runtime",
    "processing.accuracy",
    "processing.conformance",
    "processing.redrive",
    "processing.recognition.models.__main__",
)
FORBIDDEN = ("boto3", "botocore", "django", *OUTER[:4])


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_modules() -> list[str]:
    names = [module_name(path) for path in sorted((ROOT / "processing").rglob("*.py"))]
    return [name for name in names if not name.startswith(OUTER)]


def test_the_processing_core_imports_no_adapter_handler_boto3_or_django() -> None:
    modules = core_modules()
    assert {"processing.thumbnails", "processing.ports"} <= set(modules)
    program = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", program], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
    )
    leaks = [name for name in loaded if name.startswith(FORBIDDEN)]
    assert leaks == []


def processing_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return [name for name in found if name == "processing" or name.startswith("processing.")]


def test_albums_reaches_processing_only_through_its_backend_module() -> None:
    offenders = {
        str(path.relative_to(ROOT)): processing_imports(path)
        for path in sorted((ROOT / "albums").rglob("*.py"))
        if path.name != "pipeline.py" or path.parent.name != "albums"
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    assert processing_imports(ROOT / "albums" / "pipeline.py")  # the door exists
