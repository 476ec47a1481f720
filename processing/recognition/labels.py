"""Labels in Amazon Rekognition's DetectLabels shape, whichever recognizer produced them.

This module owns the label schema in results items: Name, Confidence (0-100), Instances with a
BoundingBox in fractions of the upright image, Parents, plus where the label came from
(Recognizer and ModelVersion), which Rekognition leaves implicit and Photoshare records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class BoundingBox:
    left: float  # fractions of the image's width and height, as Rekognition gives them
    top: float
    width: float
    height: float

    def to_item(self) -> dict[str, float]:
        return {
            "Left": round(self.left, 4),
            "Top": round(self.top, 4),
            "Width": round(self.width, 4),
            "Height": round(self.height, 4),
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> BoundingBox:
        return cls(
            float(item["Left"]), float(item["Top"]), float(item["Width"]), float(item["Height"])
        )


@dataclass(frozen=True, slots=True)
class Instance:
    box: BoundingBox
    confidence: float

    def to_item(self) -> dict[str, Any]:
        return {"BoundingBox": self.box.to_item(), "Confidence": round(self.confidence, 2)}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Instance:
        return cls(BoundingBox.from_item(item["BoundingBox"]), float(item["Confidence"]))


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    confidence: float  # 0-100
    recognizer: str  # "local" or "rekognition"
    model_version: str
    instances: tuple[Instance, ...] = field(default_factory=tuple)
    parents: tuple[str, ...] = field(default_factory=tuple)

    def to_item(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "Confidence": round(self.confidence, 2),
            "Instances": [instance.to_item() for instance in self.instances],
            "Parents": [{"Name": parent} for parent in self.parents],
            "Recognizer": self.recognizer,
            "ModelVersion": self.model_version,
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Label:
        return cls(
            name=str(item["Name"]),
            confidence=float(item["Confidence"]),
            recognizer=str(item.get("Recognizer", "")),
            model_version=str(item.get("ModelVersion", "")),
            instances=tuple(Instance.from_item(i) for i in item.get("Instances", [])),
            parents=tuple(str(p["Name"]) for p in item.get("Parents", [])),
        )


def at_least(labels: Iterable[Label], floor: float) -> list[Label]:
    """The labels at or over ``floor`` (MinConfidence), each with only its instances that are:
    nothing under the pipeline's minimum confidence is stored or shown, whichever recognizer
    produced it or when."""
    return [
        replace(label, instances=tuple(i for i in label.instances if i.confidence >= floor))
        for label in labels
        if label.confidence >= floor
    ]


def strongest_first(labels: Iterable[Label], *, limit: int) -> list[Label]:
    """At most ``limit`` labels, the most confident first (Rekognition's MaxLabels)."""
    return sorted(labels, key=lambda label: (-label.confidence, label.name))[:limit]
