"""Calibrated confidence: a label at 60 is right about 9 times in 10, as Rekognition's are.

A detector's score is not a probability. NanoDet's person scores of 0.35 are usually right and
its cup scores of 0.35 usually not; after the second opinion (processing.recognition.
second_opinion) a box's evidence score mixes both models. Each family of classes (person,
animal, vehicle, object) gets its own Platt scaling of that score:

    confidence = 100 / (1 + exp(-(slope * logit(score) + intercept)))

fitted by logistic regression on labelled photos: one sample per class a photo's boxes name, its
strongest box's score, right when the class is expected or optional there and wrong otherwise
(forbidden, or simply not there). A family with few samples is held near the fit of all families
together (an L2 pull on its two parameters), so a handful of photos cannot swing it.

What the second opinion said shifts the value: nothing for a box it confirmed or relabelled, a
fitted shift for a box it could not read, and for one it read without finding its class there
(unsupported) a fitted shift capped at the unread one. A reading that does not support a class
is no evidence for it, so it never makes a label surer than no reading would; left free, the fit
gave it +0.73 against +0.11 for unread, from a dozen samples, and every extra crop read then
added wrong labels (docs/models.md).

The samples are collected with every readable box read, so that each shift is learnt from the
boxes it is meant for: the unread one from boxes too small to read, not from boxes the
recognizer merely had no time for. At run time the recognizer reads fewer crops
(PHOTOSHARE_RECOGNITION_CROPS), and the boxes it leaves unread get the unread shift.

    python -m processing.recognition.calibration ../shared/recognition ../shared/corpus

refits from the photos of those manifests, writes the parameters to data/calibration.json (read
by the recognizer) and reports, per family, how often labels at or above 60 are right: on the
photos fitted, and leaving each photo out of the fit that judges it (the honest estimate).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

from processing.recognition.second_opinion import Checked, Verdict
from processing.recognition.taxonomy import FAMILIES, family

DATA = Path(__file__).resolve().parent / "data" / "calibration.json"
PARAMETERS = ("slope", "intercept", "unread", "unsupported")
# L2 weights towards the pooled fit, in units of samples, per parameter: a family's own
# samples move its intercept (how often its labels are right); the slope and the shifts for
# what the second opinion said are the pooled fit's, which a few dozen samples per family
# could not pin down without fitting noise.
FAMILY_PULL = (1e6, 1.0, 1e6, 1e6)
EPSILON = 1e-4


@dataclass(frozen=True, slots=True)
class Platt:
    slope: float
    intercept: float
    unread: float = 0.0  # added for a box the classifier did not read (too small, or a neighbour)
    unsupported: float = 0.0  # ... and for one it read without finding its class there

    def __call__(self, score: float, verdict: Verdict = Verdict.CONFIRMED) -> float:
        """0-100 from a 0-1 evidence score and what the second opinion said."""
        shift = {Verdict.UNREAD: self.unread, Verdict.UNSUPPORTED: self.unsupported}
        value = self.slope * _logit(score) + self.intercept + shift.get(verdict, 0.0)
        return 100.0 * _sigmoid(value)

    @property
    def parameters(self) -> tuple[float, float, float, float]:
        return (self.slope, self.intercept, self.unread, self.unsupported)


@dataclass(frozen=True)
class Calibration:
    families: dict[str, Platt]
    fitted_on: str = ""

    def confidence(self, family: str, score: float, verdict: Verdict = Verdict.CONFIRMED) -> float:
        return self.families[family](score, verdict)

    def to_json(self) -> dict[str, object]:
        return {
            "fitted_on": self.fitted_on,
            "families": {
                name: dict(zip(PARAMETERS, (round(v, 4) for v in p.parameters), strict=True))
                for name, p in self.families.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Calibration:
        families = data["families"]
        assert isinstance(families, dict)
        return cls(
            {name: Platt(*(float(p[k]) for k in PARAMETERS)) for name, p in families.items()},
            str(data.get("fitted_on", "")),
        )


@cache
def shipped() -> Calibration:
    """The calibration fitted on the dev photos and kept in the repository."""
    return Calibration.from_json(json.loads(DATA.read_text()))


@dataclass(frozen=True, slots=True)
class Sample:
    photo: str
    coco_class: str
    family: str
    score: float
    verdict: Verdict
    right: bool


def fit(samples: Sequence[Sample]) -> Calibration:
    """The families' fits, each then capped (see above). The cap is a rule laid on the fit, not
    a constraint inside it: fitted under the constraint, the intercepts rise to give the
    unsupported boxes back what the cap takes, which undoes it (docs/models.md)."""
    pooled = _fit_platt(samples, None)
    return Calibration(
        {
            name: _capped(_fit_platt([s for s in samples if s.family == name], pooled))
            for name in FAMILIES
        }
    )


def _capped(platt: Platt) -> Platt:
    """An unsupporting reading is worth at most no reading."""
    return replace(platt, unsupported=min(platt.unsupported, platt.unread))


def _fit_platt(samples: Sequence[Sample], prior: Platt | None) -> Platt:
    """Logistic regression of right on logit(score) and what the second opinion said, by
    Newton's method; with a prior, an L2 pull of weight PULL towards it (a family with no
    samples gets the prior). Without one, a weak pull to the identity keeps a separable set
    finite."""
    design = np.array(
        [
            [
                _logit(s.score),
                1.0,
                float(s.verdict is Verdict.UNREAD),
                float(s.verdict is Verdict.UNSUPPORTED),
            ]
            for s in samples
        ],
        dtype=np.float64,
    ).reshape(-1, len(PARAMETERS))
    y = np.array([s.right for s in samples], dtype=np.float64)
    if prior is None:
        centre, weight = np.array([1.0, 0.0, 0.0, 0.0]), np.full(len(PARAMETERS), 0.1)
    else:
        centre, weight = np.array(prior.parameters), np.array(FAMILY_PULL)
    theta = centre.copy()
    for _ in range(100):
        p = 1 / (1 + np.exp(-(design @ theta)))
        gradient = design.T @ (p - y) + weight * (theta - centre)
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(weight)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-9:
            break
    return Platt(*(float(v) for v in theta))


def precision_at(
    samples: Iterable[Sample], confidence: Iterable[float], threshold: float
) -> tuple[int, int]:
    """(right, shown) among the samples whose confidence reaches the threshold."""
    shown = [s.right for s, c in zip(samples, confidence, strict=True) if c >= threshold]
    return sum(shown), len(shown)


def leave_one_photo_out(samples: Sequence[Sample]) -> list[float]:
    """Each sample's confidence from a fit on every other photo."""
    confidences = []
    for sample in samples:
        others = [s for s in samples if s.photo != sample.photo]
        calibration = fit(others)
        confidences.append(calibration.confidence(sample.family, sample.score, sample.verdict))
    return confidences


def _logit(score: float) -> float:
    clipped = min(max(score, EPSILON), 1 - EPSILON)
    return math.log(clipped / (1 - clipped))


def _sigmoid(value: float) -> float:
    return 1 / (1 + math.exp(-value))


def collect(directories: Sequence[Path]) -> list[Sample]:
    """One sample per class each labelled photo's boxes name, from what the pipeline sees, with
    every readable box read."""
    from processing.accuracy import read_manifest
    from processing.recognition.local import LocalRecognizer, LocalSettings
    from processing.recognition.photo import recognition_image
    from processing.runtime import config

    recognizer = LocalRecognizer(config().models_dir, LocalSettings(crops=None))
    samples = []
    for directory in directories:
        for photo in read_manifest(directory):
            image = recognition_image((directory / photo.file).read_bytes(), recognizer.image_size)
            strongest: dict[str, Checked] = {}
            for found in recognizer.objects(image)[0]:
                if found.coco_class not in strongest:  # strongest first
                    strongest[found.coco_class] = found
            allowed = {*photo.expected, *photo.optional}
            for coco_class, best in strongest.items():
                samples.append(
                    Sample(
                        photo.file,
                        coco_class,
                        family(coco_class),
                        best.score,
                        best.verdict,
                        coco_class in allowed,
                    )
                )
    return samples


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directories", nargs="+", type=Path)
    parser.add_argument("--write", action="store_true", help=f"write {DATA.name}")
    args = parser.parse_args(argv)
    samples = collect(args.directories)
    calibration = fit(samples)
    from processing.accuracy import read_manifest

    fitted_on = ", ".join(f"{d.name} ({len(read_manifest(d))} photos)" for d in args.directories)
    calibration = Calibration(calibration.families, fitted_on)
    held_out = leave_one_photo_out(samples)
    print(
        "family     samples right  slope intercept unread unsupported"
        "  >=60 right (fitted)  (held out)"
    )
    for name in FAMILIES:
        mine = [i for i, s in enumerate(samples) if s.family == name]
        subset = [samples[i] for i in mine]
        platt = calibration.families[name]
        fitted = precision_at(subset, [platt(s.score, s.verdict) for s in subset], 60)
        out = precision_at(subset, [held_out[i] for i in mine], 60)
        print(
            f"{name:10s} {len(subset):7d} {sum(s.right for s in subset):5d} {platt.slope:6.2f} "
            f"{platt.intercept:9.2f} {platt.unread:6.2f} {platt.unsupported:11.2f}"
            f"  {fitted[0]:>8d}/{fitted[1]:<10d} "
            f"{out[0]:>10d}/{out[1]}"
        )
    total_fitted = precision_at(
        samples,
        [calibration.confidence(s.family, s.score, s.verdict) for s in samples],
        60,
    )
    total_out = precision_at(samples, held_out, 60)
    print(
        f"all        {len(samples):7d} {sum(s.right for s in samples):5d}"
        f"{'':35s}{total_fitted[0]:>8d}/{total_fitted[1]:<10d} {total_out[0]:>10d}/{total_out[1]}"
    )
    if args.write:
        DATA.write_text(json.dumps(calibration.to_json(), indent=2) + "\n")
        print(f"wrote {DATA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
