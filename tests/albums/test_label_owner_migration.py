"""Migration 0005 gives existing label terms their photo's owner, on either database."""

from __future__ import annotations

import pytest

from tests.albums.migrations import migrate_to_latest, migrated_to, photo_in_new_album


@pytest.mark.django_db(transaction=True)
def test_existing_terms_take_the_owner_of_their_photos_album() -> None:
    old = migrated_to("albums", "0005_photo_original_purged_at")
    photo = photo_in_new_album(old, "Lisbon")
    old.get_model("albums", "PhotoLabel").objects.create(
        photo=photo, term="Dog", term_key="dog", confidence=90.0
    )

    new = migrated_to("albums", "0006_label_owner_and_album_status")
    label = new.get_model("albums", "PhotoLabel").objects.get()
    assert label.owner_id == photo.album.owner_id

    migrate_to_latest()
