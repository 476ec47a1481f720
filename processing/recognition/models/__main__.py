"""`python -m processing.recognition.models install [DIR]`: what `make models` runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from processing.recognition.models.install import install
from processing.recognition.models.manifest import ModelsUnavailable, default_models_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m processing.recognition.models")
    parser.add_argument("command", choices=["install"])
    parser.add_argument("directory", nargs="?", type=Path, default=None)
    arguments = parser.parse_args(argv)
    try:
        install(arguments.directory or default_models_dir())
    except ModelsUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
