"""The conformance command on a small corpus built here: the tests never read ../shared."""

import io
import json
from pathlib import Path

import pytest

from processing import conformance
from tests.processing.images import encode, exif_block, jpeg, orientation_card, stored_for

UPRIGHT_ENTRY = {
    "format": "JPEG",
    "width": 400,
    "height": 600,
    "orientation": 6,
    "display_width": 600,
    "display_height": 400,
    "datetime_original": "2024:02:29 12:00:00",
    "make": "Canon",
    "model": "Canon EOS R6",
    "gps_latitude": None,
    "gps_longitude": None,
    "expected": {"outcome": "accept", "reason": None},
}


def write_corpus(
    directory: Path, entries: list[dict[str, object]], files: dict[str, bytes]
) -> None:
    for name, data in files.items():
        (directory / name).write_bytes(data)
    (directory / "manifest.json").write_text(json.dumps(entries))


@pytest.fixture
def turned_photo() -> bytes:
    exif = exif_block(
        orientation=6, make="Canon", model="Canon EOS R6", taken_at="2024:02:29 12:00:00"
    )
    return jpeg(stored_for(orientation_card(600, 400), 6), exif=exif)


def run(directory: Path) -> tuple[list[str], int]:
    out = io.StringIO()
    _, failed = conformance.run(directory, conformance.Limits(), out)
    return out.getvalue().splitlines(), failed


def test_a_matching_corpus_passes(tmp_path: Path, turned_photo: bytes) -> None:
    entries = [
        {**UPRIGHT_ENTRY, "file": "turned.jpg", "file_size_bytes": len(turned_photo)},
        {"file": "notes.jpg", "expected": {"outcome": "reject", "reason": "unsupported-format"}},
        {"file": "empty.png", "expected": {"outcome": "reject", "reason": "empty"}},
    ]
    write_corpus(
        tmp_path, entries, {"turned.jpg": turned_photo, "notes.jpg": b"hello", "empty.png": b""}
    )
    lines, failed = run(tmp_path)
    assert lines == ["3 passed, 0 failed"]
    assert failed == 0


def test_each_mismatch_is_a_line_and_counts_as_failed(tmp_path: Path, turned_photo: bytes) -> None:
    entries = [
        {
            **UPRIGHT_ENTRY,
            "file": "turned.jpg",
            "file_size_bytes": len(turned_photo),
            "model": "EOS 5D",
            "orientation": 1,
            "display_width": 400,
            "display_height": 600,
        },
        {"file": "notes.jpg", "expected": {"outcome": "accept", "reason": None}},
    ]
    write_corpus(tmp_path, entries, {"turned.jpg": turned_photo, "notes.jpg": b"hello"})
    lines, failed = run(tmp_path)
    assert failed == 2
    assert "FAIL turned.jpg: model is 'Canon EOS R6', expected 'EOS 5D'" in lines
    assert "FAIL turned.jpg: orientation is 6, expected 1" in lines
    assert any(line.startswith("FAIL turned.jpg: thumbnail 250 is not upright") for line in lines)
    assert any(line.startswith("FAIL notes.jpg: rejected (unsupported-format") for line in lines)
    assert lines[-1] == "0 passed, 2 failed"


def test_the_command_exits_non_zero_on_failure(tmp_path: Path) -> None:
    write_corpus(tmp_path, [{"file": "x.jpg", "expected": {"outcome": "accept"}}], {"x.jpg": b""})
    assert conformance.main([str(tmp_path)]) == 1


def test_supported_formats_are_held_to_their_outcome_when_supported(tmp_path: Path) -> None:
    """A WebP the manifest says was refused for its format, and should be accepted once WebP is
    supported, passes when accepted; a GIF, still unsupported, keeps its plain expectation."""
    webp = encode(stored_for(orientation_card(600, 400), 6), "WEBP", exif=exif_block(orientation=6))
    gif = encode(orientation_card(60, 40), "GIF")
    refused = {"outcome": "reject", "reason": "unsupported-format"}
    entries = [
        {
            **UPRIGHT_ENTRY,
            "file": "phone.webp",
            "format": "WEBP",
            "datetime_original": None,
            "make": None,
            "model": None,
            "file_size_bytes": len(webp),
            "expected": refused,
            "expected_when_supported": {"outcome": "accept", "reason": None},
        },
        {
            "file": "anim.gif",
            "format": "GIF",
            "expected": refused,
            "expected_when_supported": {"outcome": "accept", "reason": None},
        },
    ]
    write_corpus(tmp_path, entries, {"phone.webp": webp, "anim.gif": gif})
    lines, failed = run(tmp_path)
    assert lines == ["2 passed, 0 failed"]
    assert failed == 0
