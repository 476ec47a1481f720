"""The accuracy command's scoring and report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from processing import accuracy
from processing.recognition.labels import Label
from tests.processing.images import jpeg


def label(name: str, *parents: str) -> Label:
    return Label(name, 50.0, "local", "test", parents=parents)


def test_labels_are_scored_by_the_coco_class_they_are_or_belong_to() -> None:
    labels = [
        label("Malamute", "Dog", "Pet", "Mammal", "Animal"),
        label("Bicycle", "Vehicle"),
        label("Car", "Vehicle"),
        label("Bench"),
        label("Parachute"),
    ]
    result = accuracy.score("dog.jpg", labels, ["dog", "bicycle", "truck"], ["car"])
    assert result.found == ["dog", "bicycle"]
    assert result.missed == ["truck"]
    assert result.wrong == ["Bench"]  # a COCO class neither expected nor optional
    assert result.unscored == ["Parachute"]  # not a COCO class: nothing to check it against


def test_the_report_ends_with_one_summary_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "plain.jpg").write_bytes(jpeg())
    manifest = [
        {"file": "plain.jpg", "expected_labels": ["dog"], "optional_labels": []},
        {"file": "unlabelled.jpg"},  # no expected_labels: not a recognition photo
    ]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert accuracy.main([str(tmp_path)]) == 1  # the dog is not there to be found
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("plain.jpg:")
    assert "missed ['dog']" in lines[1]
    assert lines[-1] == "labels: 0/1 found, 0 wrong"
