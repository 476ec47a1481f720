"""python -m processing.local run FILE...: the whole state machine from the command line."""

import json
import subprocess
import sys
from pathlib import Path

from tests.processing.images import exif_block, jpeg

ROOT = Path(__file__).resolve().parents[3]


def test_it_prints_status_reason_and_item_per_file(tmp_path: Path) -> None:
    photo = tmp_path / "camera.jpg"
    photo.write_bytes(jpeg(exif=exif_block(make="Canon", model="Canon EOS R6")))
    text = tmp_path / "notes.jpg"
    text.write_text("hello")

    result = subprocess.run(
        [sys.executable, "-m", "processing.local", "run", str(photo), str(text)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    lines = result.stdout.splitlines()
    assert lines[0] == f"{photo}: SUCCEEDED"
    rejected_at = next(i for i, line in enumerate(lines) if line.startswith(str(text)))
    item = json.loads("\n".join(lines[1:rejected_at]))
    assert item["cameraModel"] == "Canon EOS R6"
    assert [t["size"] for t in item["thumbnails"]] == [250, 1024]
    assert (
        lines[rejected_at]
        == f"{text}: REJECTED (unsupported-format: Not a JPEG, PNG, WebP, HEIC or AVIF image)"
    )
    assert json.loads("\n".join(lines[rejected_at + 1 :]))["status"] == "REJECTED"
