"""The accuracy command: both manifest forms, the scoring rules, the report and the goals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from processing import accuracy
from processing.accuracy import Expectation, WrongLabel
from processing.recognition.labels import BoundingBox, Instance, Label
from tests.conftest import UsePipeline
from tests.processing.images import jpeg


def label(name: str, *parents: str) -> Label:
    return Label(name, 50.0, "local", "test", parents=parents)


def write_manifest(directory: Path, entries: list[dict[str, Any]]) -> None:
    (directory / "manifest.json").write_text(json.dumps(entries))


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
    assert result.wrong == [WrongLabel("Bench", "bench", forbidden=False)]
    assert result.unscored == ["Parachute"]  # not a COCO class: nothing to check it against


def test_a_label_is_wrong_when_a_parent_is_forbidden_and_finds_nothing() -> None:
    corgi = label("Cardigan Welsh Corgi", "Dog", "Pet", "Mammal", "Animal")
    result = accuracy.score("cat.jpg", [corgi], ["cat", "dog"], [], forbidden=["dog"])
    assert result.wrong == [WrongLabel("Cardigan Welsh Corgi", "dog", forbidden=True)]
    assert result.found == []
    assert result.missed == ["cat", "dog"]


def test_a_forbidden_name_outside_coco_is_wrong_where_it_would_be_unscored() -> None:
    labels = [label("Parachute"), label("Espresso", "Food")]
    forbidden = accuracy.score("kites.jpg", labels, ["kite"], [], forbidden=["Parachute"])
    assert forbidden.wrong == [WrongLabel("Parachute", "Parachute", forbidden=True)]
    assert forbidden.unscored == ["Espresso"]
    allowed = accuracy.score("kites.jpg", labels, ["kite"], [])
    assert (allowed.wrong, allowed.unscored) == ([], ["Parachute", "Espresso"])


def test_a_forbidden_coco_class_matches_the_label_it_is_shown_as() -> None:
    # The manifest says "cell phone", the label says "Mobile Phone": the same COCO class.
    phone = label("Mobile Phone", "Phone", "Electronics")
    result = accuracy.score("desk.jpg", [phone], ["tv"], [], forbidden=["cell phone"])
    assert result.wrong == [WrongLabel("Mobile Phone", "cell phone", forbidden=True)]


def test_both_manifest_forms_are_read(tmp_path: Path) -> None:
    corpus, recognition = tmp_path / "corpus", tmp_path / "recognition"
    corpus.mkdir()
    recognition.mkdir()
    write_manifest(
        corpus,
        [
            {"file": "exif.jpg", "expected": {"outcome": "accept"}},  # not a recognition photo
            {"file": "dog.jpg", "expected_labels": ["dog"], "optional_labels": ["car"]},
        ],
    )
    write_manifest(
        recognition,
        [
            {
                "file": "cat.jpg",
                "expected_labels": ["cat"],
                "optional_labels": [],
                "forbidden_labels": ["dog"],
            },
            # Nothing COCO in it: a photo for false positives, never skipped.
            {"file": "meadow.jpg", "expected_labels": [], "forbidden_labels": ["sheep"]},
        ],
    )
    assert accuracy.read_manifest(corpus) == [Expectation("dog.jpg", ("dog",), ("car",), ())]
    assert accuracy.read_manifest(recognition) == [
        Expectation("cat.jpg", ("cat",), (), ("dog",)),
        Expectation("meadow.jpg", (), (), ("sheep",)),
    ]


def test_labels_are_scored_as_stored_with_their_confidence_rounded() -> None:
    box = BoundingBox(0.123456, 0.2, 0.3, 0.4)
    recognized = Label("Dog", 61.23456, "local", "v1", (Instance(box, 61.23456),), ("Pet",))
    (stored,) = accuracy.stored_labels([recognized])
    assert stored.confidence == 61.23
    assert stored.instances[0].box.left == 0.1235
    assert stored.parents == ("Pet",)


@pytest.mark.parametrize(
    ("found", "expected", "wrong", "photos", "met"),
    [
        (9, 10, 1, 5, True),  # exactly 90% found, exactly 0.2 wrong per photo
        (8, 10, 0, 5, False),  # 80% found
        (10, 10, 2, 5, False),  # 0.4 wrong per photo
        (0, 0, 0, 0, False),  # no photo measures nothing
    ],
)
def test_the_goals(found: int, expected: int, wrong: int, photos: int, met: bool) -> None:
    assert accuracy.meets_goals(found=found, expected=expected, wrong=wrong, photos=photos) is met


def test_it_exits_1_below_the_goals_with_the_summary_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], use_pipeline: UsePipeline
) -> None:
    use_pipeline(PHOTOSHARE_VAR_DIR=str(tmp_path))
    (tmp_path / "plain.jpg").write_bytes(jpeg())
    write_manifest(
        tmp_path,
        [
            {"file": "plain.jpg", "expected_labels": ["dog"], "optional_labels": []},
            {"file": "unlabelled.jpg"},  # no expected_labels: not a recognition photo
        ],
    )
    assert accuracy.main([str(tmp_path)]) == 1  # the dog is not there to be found
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "plain.jpg: -"
    assert "missed ['dog']" in lines[1]
    assert "dog                     1      0      1      0  -" in lines
    assert lines[-1] == "labels: 0/1 found, 0 wrong"


def test_it_exits_0_when_a_photo_with_nothing_to_find_gets_no_wrong_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], use_pipeline: UsePipeline
) -> None:
    use_pipeline(PHOTOSHARE_VAR_DIR=str(tmp_path))
    (tmp_path / "card.jpg").write_bytes(jpeg())
    write_manifest(
        tmp_path,
        [{"file": "card.jpg", "expected_labels": [], "forbidden_labels": ["tv", "book"]}],
    )
    assert accuracy.main([str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "labels: 0/0 found, 0 wrong"
