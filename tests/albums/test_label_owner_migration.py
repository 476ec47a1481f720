"""Migration 0005 gives existing label terms their photo's owner, on either database."""

from __future__ import annotations

import pytest

from tests.albums.migrations import migrate_to_latest, migrated_to


@pytest.mark.django_db(transaction=True)
def test_existing_terms_take_the_owner_of_their_photos_album() -> None:
    old = migrated_to("albums", "0005_photo_original_purged_at")
    user = old.get_model("accounts", "User").objects.create(email="alice@example.com")
    album = old.get_model("albums", "Album").objects.create(owner_id=user.pk, name="Lisbon")
    photo = old.get_model("albums", "Photo").objects.create(album=album, original_filename="a")
    old.get_model("albums", "PhotoLabel").objects.create(
        photo=photo, term="Dog", term_key="dog", confidence=90.0
    )

    new = migrated_to("albums", "0006_label_owner_and_album_status")
    label = new.get_model("albums", "PhotoLabel").objects.get()
    assert label.owner_id == user.pk

    migrate_to_latest()
