"""`python -m processing.accuracy DIR`: local recognition against labelled photos.

DIR/manifest.json lists files with `expected_labels` (COCO class names plainly visible) and
`optional_labels` (may or may not be found). Each photo goes through what the pipeline does
(its thumbnails, the derivative of the 1024 px one, the local recognizer) and each label is
scored by the COCO
class it is or belongs to (a Malamute counts as a dog): expected and found, expected and missed,
or wrong (a COCO class neither expected nor optional). Labels outside COCO's vocabulary (Espresso,
Seashore) cannot be checked against this manifest and are listed as unscored. Exits 1 when fewer
than 90% of expected labels are found or photos average more than one wrong label.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from processing.recognition.labels import Label
from processing.recognition.local import LocalRecognizer
from processing.recognition.models.manifest import ModelsUnavailable, default_models_dir
from processing.recognition.photo import recognize_photo
from processing.recognition.taxonomy import LabelName

MIN_FOUND_SHARE = 0.9
MAX_WRONG_PER_PHOTO = 1.0


@dataclass
class PhotoScore:
    file: str
    found: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    unscored: list[str] = field(default_factory=list)


def score(file: str, labels: list[Label], expected: list[str], optional: list[str]) -> PhotoScore:
    result = PhotoScore(file)
    seen: set[str] = set()
    for label in labels:
        coco_class = LabelName(label.name, label.parents).coco_class
        if coco_class is None:
            result.unscored.append(label.name)
        elif coco_class not in expected and coco_class not in optional:
            result.wrong.append(label.name)
        else:
            seen.add(coco_class)
    result.found = [name for name in expected if name in seen]
    result.missed = [name for name in expected if name not in seen]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m processing.accuracy")
    parser.add_argument("directory", type=Path)
    arguments = parser.parse_args(argv)
    entries = json.loads((arguments.directory / "manifest.json").read_text())
    labelled = [entry for entry in entries if entry.get("expected_labels")]
    try:
        recognizer = LocalRecognizer(default_models_dir())
    except ModelsUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    scores = []
    for entry in labelled:
        data = (arguments.directory / entry["file"]).read_bytes()
        labels = recognize_photo(data, recognizer)
        result = score(
            entry["file"], labels, entry["expected_labels"], entry.get("optional_labels", [])
        )
        scores.append(result)
        shown = ", ".join(f"{label.name} {label.confidence:.0f}" for label in labels)
        print(f"{result.file}: {shown}")
        print(
            f"  found {result.found or '-'}  missed {result.missed or '-'}  "
            f"wrong {result.wrong or '-'}  unscored {result.unscored or '-'}"
        )

    expected = sum(len(s.found) + len(s.missed) for s in scores)
    found = sum(len(s.found) for s in scores)
    wrong = sum(len(s.wrong) for s in scores)
    print(f"labels: {found}/{expected} found, {wrong} wrong")
    if not scores:
        return 1
    good = found >= MIN_FOUND_SHARE * expected and wrong <= MAX_WRONG_PER_PHOTO * len(scores)
    return 0 if good else 1


if __name__ == "__main__":
    raise SystemExit(main())
