"""Platt scaling per family: fitted, kept in the repository, and applied."""

from __future__ import annotations

import json
import random

import pytest

from processing.recognition.calibration import (
    Calibration,
    Platt,
    Sample,
    fit,
    leave_one_photo_out,
    precision_at,
    shipped,
)
from processing.recognition.second_opinion import Verdict
from processing.recognition.taxonomy import FAMILIES


def samples_where_right_follows_the_score(count: int, seed: int = 1) -> list[Sample]:
    rng = random.Random(seed)
    found = []
    for index in range(count):
        score = rng.uniform(0.25, 0.95)
        family = FAMILIES[index % len(FAMILIES)]
        right = rng.random() < score
        found.append(Sample(f"p{index // 4}", "x", family, score, Verdict.CONFIRMED, right))
    return found


def test_a_fit_is_monotone_and_tracks_how_often_labels_are_right() -> None:
    samples = samples_where_right_follows_the_score(800)
    calibration = fit(samples)
    for family in FAMILIES:
        values = [calibration.confidence(family, s / 20) for s in range(5, 20)]
        assert values == sorted(values)
        # right with probability = score: the fit should come near the identity
        assert calibration.confidence(family, 0.8) == pytest.approx(80, abs=10)
    right, shown = precision_at(
        samples, [calibration.confidence(s.family, s.score) for s in samples], 60
    )
    assert right / shown > 0.7


def test_a_family_without_samples_gets_the_fit_of_all() -> None:
    samples = [s for s in samples_where_right_follows_the_score(400) if s.family != "animal"]
    calibration = fit(samples)
    pooled = fit([*samples])  # the same data
    assert calibration.families["animal"] == pooled.families["animal"]
    assert calibration.confidence("animal", 0.8) == pytest.approx(80, abs=10)


def samples_right_by_verdict(seed: int, *, unread: float, unsupported: float) -> list[Sample]:
    """Object samples, a third of each verdict, right with probability score (confirmed) or
    score times the given factor."""
    rng = random.Random(seed)
    samples = []
    verdicts = (Verdict.CONFIRMED, Verdict.UNREAD, Verdict.UNSUPPORTED)
    factors = {Verdict.CONFIRMED: 1.0, Verdict.UNREAD: unread, Verdict.UNSUPPORTED: unsupported}
    for index in range(900):
        score, verdict = rng.uniform(0.3, 0.9), verdicts[index % 3]
        right = rng.random() < score * factors[verdict]
        samples.append(Sample(f"p{index}", "x", "object", score, verdict, right))
    return samples


def test_what_the_second_opinion_said_gets_its_own_shift() -> None:
    platt = fit(samples_right_by_verdict(3, unread=1 / 2, unsupported=1 / 4)).families["object"]
    assert platt.unsupported < platt.unread < -0.5
    assert platt(0.7, Verdict.UNSUPPORTED) < platt(0.7, Verdict.UNREAD) < platt(0.7)


def test_a_reading_that_does_not_support_a_class_is_worth_no_more_than_no_reading() -> None:
    # Here the boxes read without support are right more often than the unread ones: the free
    # fit would score them above unread boxes, and the cap holds them to the unread shift.
    platt = fit(samples_right_by_verdict(4, unread=1 / 3, unsupported=1.0)).families["object"]
    assert platt.unread < -0.5
    assert platt.unsupported == platt.unread
    assert platt(0.7, Verdict.UNSUPPORTED) == platt(0.7, Verdict.UNREAD) < platt(0.7)


def test_a_family_moves_its_intercept_and_shares_the_rest() -> None:
    samples = samples_where_right_follows_the_score(800)
    sure = [
        Sample(s.photo, s.coco_class, s.family, s.score, s.verdict, True)
        if s.family == "vehicle"
        else s
        for s in samples
    ]
    calibration = fit(sure)
    vehicle, person = calibration.families["vehicle"], calibration.families["person"]
    assert vehicle.intercept > person.intercept + 1
    assert vehicle.slope == pytest.approx(person.slope, rel=1e-3)


def test_held_out_confidences_come_from_fits_without_the_photo() -> None:
    samples = samples_where_right_follows_the_score(40)
    held_out = leave_one_photo_out(samples)
    assert len(held_out) == len(samples)
    assert held_out != [fit(samples).confidence(s.family, s.score) for s in samples]


def test_the_shipped_calibration_covers_every_family_and_round_trips() -> None:
    calibration = shipped()
    assert set(calibration.families) == set(FAMILIES)
    assert Calibration.from_json(json.loads(json.dumps(calibration.to_json()))) == calibration
    assert all(p.slope > 0 for p in calibration.families.values())


def test_platt_maps_scores_to_percentages() -> None:
    assert Platt(1.0, 0.0)(0.5) == pytest.approx(50)
    assert 0 < Platt(3.0, 1.0)(0.0) < Platt(3.0, 1.0)(1.0) <= 100
