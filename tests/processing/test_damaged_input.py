"""Random damage to real files never produces anything but a result or an ImageRejected."""

import random

import pytest
from PIL import Image

from processing.metadata import extract_metadata
from processing.rejections import ImageRejected
from processing.thumbnails import make_thumbnails
from processing.validation import Limits, validate_image
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import exif_block, jpeg, png

CARD = Image.effect_noise((96, 64), 40).convert("RGB")
ORIGINALS = {
    "jpeg": jpeg(CARD, exif=exif_block(orientation=6, make="Canon", gps=LISBON_GPS)),
    "progressive-jpeg": jpeg(CARD, progressive=True),
    "png": png(CARD, exif=exif_block(orientation=3).tobytes()),
    "palette-png": png(CARD.convert("P"), transparency=0),
}


def damaged_copies(data: bytes, seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    copies = []
    for _ in range(count):
        mutated = bytearray(data)
        action = rng.choice(("cut", "flip", "splice"))
        if action == "cut":
            mutated = mutated[: rng.randrange(1, len(mutated))]
        elif action == "flip":
            for _ in range(rng.randint(1, 8)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        else:
            at = rng.randrange(len(mutated))
            mutated[at:at] = rng.randbytes(rng.randint(1, 64))
        copies.append(bytes(mutated))
    return copies


@pytest.mark.parametrize("name", sorted(ORIGINALS))
def test_damage_is_a_result_or_a_rejection_never_a_crash(name: str) -> None:
    outcomes = {"accepted": 0, "rejected": 0}
    for data in damaged_copies(ORIGINALS[name], seed=len(name), count=150):
        try:
            validate_image(extract_metadata(data), Limits())
            thumbnails = make_thumbnails(data)
        except ImageRejected:
            outcomes["rejected"] += 1
            continue
        assert [t.size for t in thumbnails] == [250, 1024]
        outcomes["accepted"] += 1
    assert outcomes["rejected"] > 0  # the damage was real
