"""From checked boxes and the whole picture's classes to Rekognition-shaped labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from processing.recognition.calibration import Calibration, Platt
from processing.recognition.detector import Detection
from processing.recognition.local import LocalRecognizer, LocalSettings
from processing.recognition.second_opinion import Checked, Verdict
from processing.recognition.taxonomy import COCO_CLASSES, FAMILIES, imagenet_labels
from tests.conftest import UsePipeline

DOG, PERSON, COCO_ZEBRA, CAT, KITE = (
    COCO_CLASSES.index(n) for n in ("dog", "person", "zebra", "cat", "kite")
)
MALAMUTE, CORGI, ZEBRA, ESPRESSO, PARACHUTE, KITE_BIRD = 249, 264, 340, 967, 701, 21
# The identity: a box's evidence score, as a percentage, is its confidence.
IDENTITY = Calibration(dict.fromkeys(FAMILIES, Platt(1.0, 0.0, 0.0)))


@pytest.fixture(scope="module")
def plain(models_dir: Path) -> LocalRecognizer:
    return LocalRecognizer(models_dir, calibration=IDENTITY)


def box(class_index: int, score: float, where: tuple[float, float, float, float]) -> Checked:
    detection = Detection(class_index, score, where)
    return Checked(detection, COCO_CLASSES[class_index], score, Verdict.CONFIRMED)


def picture(**probabilities: float) -> np.ndarray:
    """Whole-picture class probabilities: the given ImageNet indices (as i123=0.5), the rest
    spread evenly."""
    given = {int(k[1:]): v for k, v in probabilities.items()}
    rest = (1 - sum(given.values())) / (1000 - len(given))
    vector = np.full(1000, rest)
    for index, value in given.items():
        vector[index] = value
    return vector


def test_objects_become_labels_with_instances_parents_and_both_models_named(
    plain: LocalRecognizer,
) -> None:
    people = [
        box(PERSON, s, (0.1 * i, 0.1, 0.1 * i + 0.05, 0.5)) for i, s in enumerate((0.9, 0.8, 0.7))
    ]
    labels = plain.labels([*people, box(DOG, 0.65, (0.2, 0.4, 0.6, 0.9))], picture())
    person, dog = labels
    assert (person.name, len(person.instances)) == ("Person", 3)
    assert person.confidence == pytest.approx(90)
    assert [i.confidence for i in person.instances] == pytest.approx([90, 80, 70])
    assert dog.parents == ("Pet", "Mammal", "Animal")
    where = dog.instances[0].box
    assert (where.left, where.top, where.width, where.height) == pytest.approx((0.2, 0.4, 0.4, 0.5))
    assert dog.recognizer == "local"
    assert dog.model_version == f"{plain.detector_version}+{plain.classifier_version}"


def test_nothing_under_the_minimum_confidence_is_a_label_or_an_instance(
    plain: LocalRecognizer,
) -> None:
    found = [box(PERSON, 0.9, (0, 0, 0.2, 0.5)), box(PERSON, 0.59, (0.5, 0, 0.7, 0.5))]
    found.append(box(DOG, 0.55, (0.2, 0.4, 0.6, 0.9)))
    (person,) = plain.labels(found, picture(i967=0.59))
    assert len(person.instances) == 1


def test_the_minimum_is_the_configured_one(models_dir: Path) -> None:
    strict = LocalRecognizer(models_dir, LocalSettings(min_confidence=95), calibration=IDENTITY)
    assert strict.labels([box(DOG, 0.9, (0, 0, 1, 1))], picture()) == []


def test_a_breed_refines_a_found_dog(plain: LocalRecognizer) -> None:
    labels = plain.labels([box(DOG, 0.7, (0, 0, 1, 1))], picture(i249=0.65))
    malamute = next(label for label in labels if label.name == "Malamute")
    assert malamute.parents == ("Dog", "Pet", "Mammal", "Animal")
    assert malamute.instances == ()
    assert malamute.model_version == plain.classifier_version


def test_a_coco_thing_nothing_found_needs_a_sure_reading_and_no_rival_of_its_family(
    plain: LocalRecognizer,
) -> None:
    cat = [box(CAT, 0.7, (0, 0, 1, 1))]
    assert [label.name for label in plain.labels(cat, picture(i264=0.9))] == ["Cat"]
    assert plain.labels([], picture(i264=0.7)) == []
    assert [label.name for label in plain.labels([], picture(i264=0.9))] == ["Cardigan Welsh Corgi"]


def test_a_look_alike_of_a_found_thing_is_left_out(plain: LocalRecognizer) -> None:
    kites = [box(KITE, 0.8, (0.4, 0.1, 0.5, 0.2))]
    assert [label.name for label in plain.labels(kites, picture(i701=0.7))] == ["Kite"]
    assert [label.name for label in plain.labels([], picture(i701=0.7))] == ["Parachute"]


def test_a_class_with_no_coco_kind_stands_on_its_own_when_sure(plain: LocalRecognizer) -> None:
    assert plain.labels([], picture(i967=0.45)) == []
    (espresso,) = plain.labels([], picture(i967=0.96))
    assert (espresso.name, espresso.parents) == ("Espresso", ("Food",))


def test_a_class_both_models_name_is_one_label(plain: LocalRecognizer) -> None:
    (zebra,) = plain.labels([box(COCO_ZEBRA, 0.7, (0, 0, 1, 1))], picture(i340=0.8))
    assert zebra.name == "Zebra"
    assert zebra.confidence == pytest.approx(80)
    assert len(zebra.instances) == 1


def test_clashing_names_are_told_apart() -> None:
    names = imagenet_labels()
    assert names[KITE_BIRD].name == "Kite (Bird)"
    assert names[KITE_BIRD].coco_class == "bird"
    assert names[PARACHUTE].coco_class is None
    assert len({label.name for label in names}) == 1000


def test_every_bird_imagenet_knows_is_a_bird() -> None:
    names = imagenet_labels()
    grouse, goose, tusker = names[80], names[99], names[101]
    assert (grouse.coco_class, goose.coco_class, tusker.coco_class) == ("bird", "bird", "elephant")


def test_at_most_max_labels_most_confident_first(models_dir: Path) -> None:
    few = LocalRecognizer(models_dir, LocalSettings(max_labels=2), calibration=IDENTITY)
    found = [box(i, 0.7 + i / 100, (0.2 * i, 0, 0.2 * i + 0.1, 1)) for i in range(5)]
    assert [label.name for label in few.labels(found, picture())] == ["Airplane", "Motorcycle"]


def test_a_plain_picture_gets_no_labels(recognizer: LocalRecognizer) -> None:
    assert recognizer.recognize(Image.new("RGB", (640, 480), (120, 160, 200))) == []


def test_the_configuration_sets_the_minimum_and_the_crops(use_pipeline: UsePipeline) -> None:
    config = use_pipeline(
        PHOTOSHARE_RECOGNIZER="local",
        PHOTOSHARE_RECOGNITION_MIN_CONFIDENCE="75",
        PHOTOSHARE_RECOGNITION_CROPS="0",
    )
    recognizer = config.recognizer()
    assert isinstance(recognizer, LocalRecognizer)
    assert (recognizer.settings.min_confidence, recognizer.settings.crops) == (75, 0)
