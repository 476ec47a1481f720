"""The second opinion on each box, and boxes resolved into objects, from given readings."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from processing.recognition.detector import Detection
from processing.recognition.objects import distinct_objects
from processing.recognition.second_opinion import (
    Checked,
    Reading,
    Verdict,
    check,
    check_all,
    crop,
    crops_to_read,
)
from processing.recognition.taxonomy import COCO_CLASSES

COW, HORSE, GIRAFFE, BIRD, PERSON, VASE, BICYCLE, COUCH, BED = (
    COCO_CLASSES.index(n)
    for n in ("cow", "horse", "giraffe", "bird", "person", "vase", "bicycle", "couch", "bed")
)
SORREL, OX, BALD_EAGLE, JELLYFISH, SUIT, MALAMUTE, STUDIO_COUCH = 339, 345, 22, 107, 834, 249, 831


def reading(**probabilities: float) -> Reading:
    given = {int(k[1:]): v for k, v in probabilities.items()}
    vector = np.full(1000, (1 - sum(given.values())) / (1000 - len(given)))
    for index, value in given.items():
        vector[index] = value
    return Reading.of(vector)


def detection(class_index: int, score: float, box=(0.2, 0.2, 0.8, 0.8)) -> Detection:
    return Detection(class_index, score, box)


def test_a_cow_that_reads_as_a_sorrel_is_a_horse() -> None:
    checked = check(detection(COW, 0.61), reading(i339=0.8), [])
    assert (checked.coco_class, checked.verdict) == ("horse", Verdict.RELABELLED)
    assert checked.score == pytest.approx(1 - 0.39 * 0.2)


def test_a_giraffe_that_reads_as_an_eagle_is_a_bird() -> None:
    checked = check(detection(GIRAFFE, 0.35), reading(i22=0.7), [])
    assert (checked.coco_class, checked.verdict) == ("bird", Verdict.RELABELLED)


def test_a_crop_that_also_sees_the_detected_class_is_not_relabelled() -> None:
    checked = check(detection(COW, 0.61), reading(i339=0.7, i345=0.2), [])
    assert (checked.coco_class, checked.verdict) == ("cow", Verdict.CONFIRMED)


def test_a_sure_detection_is_not_relabelled_by_a_less_sure_reading() -> None:
    checked = check(detection(GIRAFFE, 0.82), reading(i340=0.55), [])
    assert (checked.coco_class, checked.verdict) == (
        "giraffe",
        Verdict.UNREAD,
    )  # no giraffe in ImageNet


def test_no_relabelling_across_families() -> None:
    checked = check(detection(BICYCLE, 0.45), reading(i249=0.9), [])
    assert checked.coco_class == "bicycle"
    assert checked.verdict is Verdict.DROPPED  # read surely as a dog, nothing of a bicycle


def test_agreement_raises_the_score_as_two_independent_opinions() -> None:
    checked = check(detection(HORSE, 0.5), reading(i339=0.6), [])
    assert checked.verdict is Verdict.CONFIRMED
    assert checked.score == pytest.approx(0.8)


def test_a_person_is_confirmed_by_what_people_wear() -> None:
    checked = check(detection(PERSON, 0.4), reading(i834=0.5), [])
    assert checked.verdict is Verdict.CONFIRMED


def test_a_vase_that_is_plainly_something_else_is_dropped() -> None:
    assert check(detection(VASE, 0.4), reading(i107=0.9), []).verdict is Verdict.DROPPED


def test_an_unsure_reading_leaves_the_box_as_the_detector_saw_it() -> None:
    checked = check(detection(VASE, 0.4), reading(i107=0.3), [])
    assert (checked.verdict, checked.score) == (Verdict.UNSUPPORTED, 0.4)
    assert check(detection(VASE, 0.4), None, []).verdict is Verdict.UNREAD


def test_a_rider_whose_crop_reads_as_the_horse_below_is_kept() -> None:
    horse = detection(HORSE, 0.9, (0.1, 0.3, 0.9, 0.95))
    rider = detection(PERSON, 0.4, (0.4, 0.1, 0.6, 0.6))
    checked = check(rider, reading(i339=0.7), [horse, rider])
    assert (checked.coco_class, checked.verdict) == ("person", Verdict.UNREAD)
    alone = check(rider, reading(i339=0.7), [rider])
    assert alone.verdict is Verdict.DROPPED


def test_check_all_shares_a_reading_among_boxes_on_the_same_spot() -> None:
    couch = detection(COUCH, 0.6, (0.1, 0.3, 0.9, 0.9))
    bed = detection(BED, 0.39, (0.1, 0.31, 0.9, 0.9))
    checked = check_all([couch, bed], {0: reading(i831=0.93)})
    assert [c.coco_class for c in checked] == ["couch", "couch"]
    assert [c.verdict for c in checked] == [Verdict.CONFIRMED, Verdict.RELABELLED]


def test_only_readable_boxes_are_cropped_strongest_first_one_per_spot() -> None:
    tiny = detection(PERSON, 0.9, (0.5, 0.5, 0.55, 0.55))  # 32 px of 640
    big = detection(HORSE, 0.6, (0.1, 0.1, 0.6, 0.6))
    same_spot = detection(COW, 0.5, (0.1, 0.1, 0.6, 0.61))
    other = detection(COW, 0.4, (0.6, 0.5, 0.9, 0.9))
    chosen = crops_to_read([tiny, big, same_spot, other], (640, 480), limit=4)
    assert chosen == [1, 3]
    assert crops_to_read([tiny, big, same_spot, other], (640, 480), limit=1) == [1]
    assert crops_to_read([tiny, big, same_spot, other], (640, 480), limit=None) == [1, 3]


def test_a_crop_is_the_box_with_some_context_at_the_classifiers_size() -> None:
    image = Image.new("RGB", (640, 480), "white")
    image.paste((255, 0, 0), (100, 100, 300, 200))
    cropped = crop(image, (100 / 640, 100 / 480, 300 / 640, 200 / 480))
    assert cropped.size == (224, 224)
    assert cropped.getpixel((112, 112)) == (255, 0, 0)
    assert cropped.getpixel((2, 2)) == (255, 255, 255)  # the margin
    edge = crop(image, (0.0, 0.0, 0.1, 0.1))  # the margin stops at the picture's edge
    assert edge.size == (224, 224)


def checked(class_index: int, score: float, box: tuple[float, float, float, float]) -> Checked:
    return Checked(
        Detection(class_index, score, box), COCO_CLASSES[class_index], score, Verdict.UNREAD
    )


def test_two_boxes_on_one_horse_count_one_horse() -> None:
    whole = checked(HORSE, 0.8, (0.1, 0.1, 0.5, 0.6))
    front = checked(HORSE, 0.6, (0.1, 0.1, 0.35, 0.55))  # IoU 0.5 under NMS's 0.6, inside
    second_horse = checked(HORSE, 0.7, (0.55, 0.1, 0.95, 0.6))
    assert distinct_objects([whole, front, second_horse]) == [whole, second_horse]


def test_two_classes_of_one_family_on_one_spot_are_one_object() -> None:
    horse = checked(HORSE, 0.52, (0.1, 0.1, 0.5, 0.6))
    cow = checked(COW, 0.47, (0.12, 0.1, 0.5, 0.62))
    assert distinct_objects([cow, horse]) == [horse]


def test_a_rider_and_a_horse_or_a_cyclist_and_a_bicycle_are_both_kept() -> None:
    horse = checked(HORSE, 0.9, (0.1, 0.3, 0.9, 0.95))
    rider = checked(PERSON, 0.5, (0.12, 0.3, 0.9, 0.95))
    assert distinct_objects([horse, rider]) == [horse, rider]


def test_people_in_a_crowd_are_counted_each() -> None:
    people = [
        checked(PERSON, 0.8 - i / 100, (0.05 * i, 0.2, 0.05 * i + 0.08, 0.9)) for i in range(10)
    ]
    assert len(distinct_objects(people)) == 10


def nature(**probabilities: float) -> Reading:
    """A reading spread over ImageNet's flowers and insects, plus any given indices."""
    given = {int(k[1:]): v for k, v in probabilities.items()}
    vector = np.zeros(1000)
    flowers_and_insects = [*range(984, 999), *range(300, 320)]
    rest = 1 - sum(given.values())
    vector[flowers_and_insects] = rest / len(flowers_and_insects)
    for index, value in given.items():
        vector[index] = value
    return Reading.of(vector)


def test_a_person_read_as_flowers_with_no_animal_there_is_dropped() -> None:
    flower = detection(PERSON, 0.64)
    assert nature().nature == pytest.approx(1)
    assert check(flower, nature(), [flower]).verdict is Verdict.DROPPED


def test_a_box_read_as_nature_beside_an_animal_is_kept() -> None:
    bicycle = detection(BICYCLE, 0.7, (0.1, 0.1, 0.6, 0.9))
    dog = detection(COCO_CLASSES.index("dog"), 0.5, (0.2, 0.3, 0.7, 0.9))
    assert check(bicycle, nature(), [bicycle, dog]).verdict is Verdict.UNSUPPORTED


def test_plants_and_vases_may_read_as_nature() -> None:
    plant = detection(COCO_CLASSES.index("potted plant"), 0.4)
    vase = detection(VASE, 0.4)
    assert check(plant, nature(), [plant]).verdict is Verdict.UNSUPPORTED
    assert check(vase, nature(), [vase]).verdict is Verdict.UNSUPPORTED


def test_a_crop_that_is_partly_nature_says_nothing() -> None:
    person = detection(PERSON, 0.5)
    half = nature(i500=0.45)  # about half flowers, half a cliff dwelling
    assert half.nature == pytest.approx(0.55)
    assert check(person, half, [person]).verdict is Verdict.UNREAD  # ImageNet has no person
