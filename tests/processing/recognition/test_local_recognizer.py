"""Merging detections and whole-picture classes into Rekognition-shaped labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from processing.recognition.detector import Detection
from processing.recognition.local import LocalRecognizer, LocalSettings
from processing.recognition.taxonomy import COCO_CLASSES, imagenet_labels

DOG, PERSON, COCO_ZEBRA = (COCO_CLASSES.index(n) for n in ("dog", "person", "zebra"))
MALAMUTE, ZEBRA, ESPRESSO, PARACHUTE, KITE_BIRD = 249, 340, 967, 701, 21


def test_detections_become_labels_with_instances_and_parents(
    recognizer: LocalRecognizer,
) -> None:
    people = [
        Detection(PERSON, s, (0.1 * i, 0.1, 0.1 * i + 0.05, 0.5))
        for i, s in enumerate((0.9, 0.8, 0.7))
    ]
    labels = recognizer.merge([*people, Detection(DOG, 0.6, (0.2, 0.4, 0.6, 0.9))], [])
    person, dog = labels
    assert (person.name, len(person.instances), person.confidence) == ("Person", 3, 90)
    assert [i.confidence for i in person.instances] == pytest.approx([90, 80, 70])
    assert dog.parents == ("Pet", "Mammal", "Animal")
    box = dog.instances[0].box
    assert (box.left, box.top, box.width, box.height) == pytest.approx((0.2, 0.4, 0.4, 0.5))
    assert dog.recognizer == "local"
    assert dog.model_version == recognizer.detector_version


def test_a_breed_refines_a_detected_dog_at_a_modest_probability(
    recognizer: LocalRecognizer,
) -> None:
    labels = recognizer.merge([Detection(DOG, 0.5, (0, 0, 1, 1))], [(MALAMUTE, 0.3)])
    malamute = next(label for label in labels if label.name == "Malamute")
    assert malamute.parents == ("Dog", "Pet", "Mammal", "Animal")
    assert malamute.instances == ()
    assert malamute.model_version == recognizer.classifier_version


def test_a_class_with_nothing_detected_needs_the_classifier_to_be_sure(
    recognizer: LocalRecognizer,
) -> None:
    unsure = recognizer.merge([], [(MALAMUTE, 0.3), (ESPRESSO, 0.45)])
    assert unsure == []
    sure = recognizer.merge([], [(ESPRESSO, 0.96)])
    assert [(label.name, label.parents) for label in sure] == [("Espresso", ("Food",))]


def test_a_class_both_models_name_is_one_label(recognizer: LocalRecognizer) -> None:
    labels = recognizer.merge([Detection(COCO_ZEBRA, 0.5, (0, 0, 1, 1))], [(ZEBRA, 0.8)])
    (zebra,) = labels
    assert zebra.name == "Zebra"
    assert zebra.confidence == pytest.approx(80)
    assert len(zebra.instances) == 1


def test_clashing_names_are_told_apart() -> None:
    names = imagenet_labels()
    assert names[KITE_BIRD].name == "Kite (Bird)"
    assert names[KITE_BIRD].coco_class == "bird"
    assert names[PARACHUTE].coco_class is None
    assert len({label.name for label in names}) == 1000


def test_at_most_max_labels_most_confident_first(models_dir: Path) -> None:
    few = LocalRecognizer(models_dir, LocalSettings(max_labels=2))
    detections = [Detection(i, 0.4 + i / 100, (0, 0, 1, 1)) for i in range(5)]
    assert [label.name for label in few.merge(detections, [])] == ["Airplane", "Motorcycle"]


def test_a_plain_picture_gets_few_or_no_labels(recognizer: LocalRecognizer) -> None:
    labels = recognizer.recognize(Image.new("RGB", (640, 480), (120, 160, 200)))
    assert len(labels) <= 2
    assert all(0 <= label.confidence <= 100 for label in labels)
