"""Every source file git tracks is whole: no merge conflict markers left behind (a stray
``=======`` in a stylesheet silently drops the rule after it), and the stylesheet's braces pair
up. Cheap checks on the files themselves, for what no page-level test would point at."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (".py", ".html", ".js", ".css", ".md", ".toml", ".yaml", ".json", ".txt", ".cfg")
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)


def tracked_sources() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.split(b"\0")
    names = [name.decode() for name in listed if name]
    return [ROOT / name for name in names if name.endswith(SOURCES) and (ROOT / name).is_file()]


def test_no_tracked_file_holds_a_merge_conflict_marker() -> None:
    files = tracked_sources()
    assert len(files) > 100  # the listing worked
    marked = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, found.start()) + 1}"
        for path in files
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        for found in MARKER.finditer(text)
    ]
    assert marked == []


def test_every_stylesheet_closes_each_block_it_opens() -> None:
    for sheet in (ROOT / "static").rglob("*.css"):
        depth = 0
        # Comments and strings may hold braces of their own.
        text = re.sub(r"/\*.*?\*/|\"[^\"]*\"|'[^']*'", "", sheet.read_text(), flags=re.DOTALL)
        for character in text:
            depth += {"{": 1, "}": -1}.get(character, 0)
            assert depth >= 0, f"{sheet.name}: a block closed that was never opened"
        assert depth == 0, f"{sheet.name}: {depth} block(s) never closed"
