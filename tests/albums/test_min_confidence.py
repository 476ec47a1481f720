"""Nothing under the pipeline's minimum confidence (PHOTOSHARE_RECOGNITION_MIN_CONFIDENCE) is
shown or searched, whenever it was stored: labels from before the local recognizer applied it
included."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from albums.models import Album, Photo, PhotoLabel
from processing.recognition.labels import BoundingBox, Instance, Label
from tests.albums.migrations import migrate_to_latest, migrated_to, photo_in_new_album
from tests.albums.photo_helpers import finished_photo
from tests.conftest import UsePipeline

SURE = Label(
    "Horse",
    88.0,
    "local",
    "nanodet-g/test",
    instances=(
        Instance(BoundingBox(0.1, 0.2, 0.3, 0.4), 88.0),
        Instance(BoundingBox(0.5, 0.2, 0.3, 0.4), 41.0),
    ),
    parents=("Mammal", "Animal"),
)
UNSURE = Label("Giraffe", 35.0, "local", "nanodet-g/test", parents=("Mammal", "Animal"))


@pytest.mark.django_db
def test_a_label_or_instance_under_the_minimum_is_neither_shown_nor_found(
    alice_client: Client, alices_album: Album
) -> None:
    photo = finished_photo(alices_album, "eagle.jpg", [SURE, UNSURE])
    (horse,) = photo.recognized_labels
    assert horse.name == "Horse"
    assert len(horse.instances) == 1
    page = alice_client.get(reverse("albums:photo", args=[photo.id])).content.decode()
    assert "Horse" in page
    assert "Giraffe" not in page
    assert set(PhotoLabel.objects.values_list("term", flat=True)) == {"Horse", "Mammal", "Animal"}


@pytest.mark.django_db
def test_the_minimum_is_the_configured_one(alices_album: Album, use_pipeline: UsePipeline) -> None:
    use_pipeline(PHOTOSHARE_RECOGNITION_MIN_CONFIDENCE="30")
    photo = finished_photo(alices_album, "eagle.jpg", [SURE, UNSURE])
    assert [label.name for label in photo.recognized_labels] == ["Horse", "Giraffe"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_forgets_terms_only_unsure_labels_gave() -> None:
    old = migrated_to("albums", "0010_label_corrections")
    photo = photo_in_new_album(old, "Zoo")
    terms = old.get_model("albums", "PhotoLabel").objects
    for term, confidence in (("Giraffe", 35.0), ("Horse", 88.0), ("Animal", 88.0), ("Mine", 100)):
        terms.create(
            photo=photo,
            owner_id=photo.album.owner_id,
            term=term,
            term_key=term.lower(),
            confidence=confidence,
        )

    new = migrated_to("albums", "0011_labels_under_min_confidence")
    kept = new.get_model("albums", "PhotoLabel").objects.values_list("term", flat=True)
    assert sorted(kept) == ["Animal", "Horse", "Mine"]

    migrate_to_latest()
    assert Photo.objects.count() == 1
