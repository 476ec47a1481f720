"""The owner corrects a photo's labels: removed labels leave chips and search for good, own tags
are found like any label, and nobody else can see the controls or post them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from albums.corrections import (
    MAX_OWN_TAGS,
    MAX_TAG_LENGTH,
    CorrectionRefused,
    label_remove,
    label_restore,
    labels_of,
    tag_add,
    tag_delete,
)
from albums.models import (
    Album,
    AlbumShare,
    LabelCorrection,
    Photo,
    PhotoLabel,
    ShareLink,
    share_token_digest,
)
from albums.outcomes import refresh_photos
from processing.recognition.labels import BoundingBox, Instance, Label
from processing.results import ResultItem, Status
from processing.runtime import config
from tests.albums.photo_helpers import finished_photo

pytestmark = pytest.mark.django_db

COW = Label(
    "Cow",
    61.0,
    "local",
    "nanodet-g/test",
    instances=(Instance(BoundingBox(0.1, 0.2, 0.3, 0.4), 61.0),),
    parents=("Mammal", "Animal"),
)
HORSE = Label("Horse", 72.0, "local", "nanodet-g/test", parents=("Mammal", "Animal"))
PERSON = Label("Person", 90.0, "local", "nanodet-g/test")


def found(client: Client, query: str) -> list[str]:
    response = client.get(reverse("albums:search"), {"q": query})
    assert response.status_code == 200
    page = response.context["page"]
    return sorted(photo.original_filename for photo in page.object_list) if page else []


def post(client: Client, photo: Photo, query: str = "", json: bool = False, **data: str) -> Any:
    url = reverse("albums:photo-labels", args=[photo.id]) + query
    headers = {"Accept": "application/json"} if json else {}
    return client.post(url, data, headers=headers)


@pytest.fixture
def horses(alices_album: Album) -> Photo:
    return finished_photo(alices_album, "horses.jpg", [COW, HORSE])


def test_a_removed_label_leaves_the_chips_and_search_but_not_the_recognizers_answer(
    alice_client: Client, horses: Photo
) -> None:
    label_remove(photo=horses, name="cow")
    assert found(alice_client, "cow") == []
    assert found(alice_client, "horse") == ["horses.jpg"]
    labels = labels_of(horses)
    assert [label.name for label in labels.shown] == ["Horse"]
    assert [label.name for label in labels.removed] == ["Cow"]
    horses.refresh_from_db()
    assert [label.name for label in horses.recognized_labels] == ["Cow", "Horse"]


def test_parents_stay_while_a_label_that_stands_implies_them(
    alice_client: Client, horses: Photo
) -> None:
    label_remove(photo=horses, name="Cow")
    assert found(alice_client, "mammal") == ["horses.jpg"]
    label_remove(photo=horses, name="Horse")
    assert found(alice_client, "mammal") == []
    assert found(alice_client, "animal") == []


def test_a_rerun_and_a_later_results_poll_never_bring_a_removed_label_back(
    alice_client: Client, horses: Photo
) -> None:
    label_remove(photo=horses, name="Cow")
    tag_add(photo=horses, text="Blaze")
    # The pipeline runs the photo again and says Cow again; the page polls its result.
    store = config().result_store()
    store.record_final(
        ResultItem(str(horses.id), Status.SUCCEEDED, labels=(COW, HORSE, PERSON)), overwrite=True
    )
    Photo.objects.filter(pk=horses.pk).update(status=Photo.Status.PROCESSING)
    assert refresh_photos([Photo.objects.get(pk=horses.pk)])
    assert found(alice_client, "cow") == []
    assert found(alice_client, "person") == ["horses.jpg"]
    assert found(alice_client, "blaze") == ["horses.jpg"]
    page = alice_client.get(reverse("albums:photo", args=[horses.id])).content.decode()
    assert 'data-label="Cow"' not in page
    assert 'data-label="Person"' not in page  # no boxes: a chip, not a button
    assert "Person" in page


def test_an_own_tag_is_found_and_suggested_like_any_label(
    alice_client: Client, horses: Photo
) -> None:
    assert tag_add(photo=horses, text="  Summer   Camp\x00 ") == "Summer Camp"
    assert found(alice_client, "summer camp") == ["horses.jpg"]
    suggestions = alice_client.get(reverse("albums:search")).context["suggestions"]
    assert "Summer Camp" in [row["term"] for row in suggestions]
    assert labels_of(horses).tags == ["Summer Camp"]


def test_tags_are_deduplicated_case_insensitively_limited_and_bounded(horses: Photo) -> None:
    tag_add(photo=horses, text="Blaze")
    with pytest.raises(CorrectionRefused):
        tag_add(photo=horses, text="BLAZE")
    with pytest.raises(CorrectionRefused):
        tag_add(photo=horses, text="horse")  # already a label
    with pytest.raises(CorrectionRefused):
        tag_add(photo=horses, text="   ")
    assert len(tag_add(photo=horses, text="x" * 500)) == MAX_TAG_LENGTH
    for i in range(MAX_OWN_TAGS - 2):
        tag_add(photo=horses, text=f"tag {i}")
    with pytest.raises(CorrectionRefused):
        tag_add(photo=horses, text="one too many")
    assert len(labels_of(horses).tags) == MAX_OWN_TAGS


def test_undo_puts_a_label_back_and_deletes_a_tag(alice_client: Client, horses: Photo) -> None:
    label_remove(photo=horses, name="Cow")
    tag_add(photo=horses, text="Blaze")
    label_restore(photo=horses, name="Cow")
    tag_delete(photo=horses, name="blaze")
    assert found(alice_client, "cow") == ["horses.jpg"]
    assert found(alice_client, "blaze") == []
    assert not LabelCorrection.objects.exists()


def test_tagging_a_removed_labels_name_puts_it_back(alice_client: Client, horses: Photo) -> None:
    label_remove(photo=horses, name="Cow")
    assert tag_add(photo=horses, text="cow") == "Cow"
    assert [label.name for label in labels_of(horses).shown] == ["Cow", "Horse"]
    assert labels_of(horses).tags == []


def test_removing_a_label_a_rerun_gave_an_own_tags_name_removes_both(
    alice_client: Client, horses: Photo
) -> None:
    tag_add(photo=horses, text="person")
    store = config().result_store()
    store.record_final(
        ResultItem(str(horses.id), Status.SUCCEEDED, labels=(HORSE, PERSON)), overwrite=True
    )
    Photo.objects.filter(pk=horses.pk).update(status=Photo.Status.PROCESSING)
    refresh_photos([Photo.objects.get(pk=horses.pk)])
    label_remove(photo=horses, name="Person")
    assert found(alice_client, "person") == []
    horses.refresh_from_db()
    assert labels_of(horses).tags == []
    assert [label.name for label in labels_of(horses).removed] == ["Person"]


def test_only_a_label_the_photo_has_can_be_removed(horses: Photo) -> None:
    with pytest.raises(CorrectionRefused):
        label_remove(photo=horses, name="Giraffe")


def test_the_form_comes_back_to_the_same_viewer_url_in_its_grid(
    alice_client: Client, horses: Photo
) -> None:
    response = post(alice_client, horses, "?q=horse", action="remove", name="Cow")
    assert response.status_code == 302
    assert response.url == reverse("albums:photo", args=[horses.id]) + "?q=horse"
    response = post(alice_client, horses, "?q=horse&next=//evil.example", action="add", tag="x")
    assert response.url == reverse("albums:photo", args=[horses.id]) + "?q=horse"
    page = alice_client.get(response.url).content.decode()
    assert "Put back the label Cow" in page
    assert "Delete your tag x" in page


def test_fetch_gets_the_labels_and_boxes_to_swap_in(alice_client: Client, horses: Photo) -> None:
    response = post(alice_client, horses, json=True, action="remove", name="Cow")
    assert response.status_code == 200
    answer = response.json()
    assert answer["message"] == "Removed “Cow”."
    assert 'data-label="Cow"' not in answer["labels"] + answer["boxes"]
    assert "Put back the label Cow" in answer["labels"]
    refused = post(alice_client, horses, json=True, action="add", tag="horse")
    assert refused.status_code == 400
    assert "already labelled" in refused.json()["message"]


def test_the_owners_viewer_has_the_controls(alice_client: Client, horses: Photo) -> None:
    page = alice_client.get(reverse("albums:photo", args=[horses.id])).content.decode()
    assert "Remove the label Cow" in page
    assert 'name="tag"' in page
    assert 'button type="button" class="chip chip--located" data-label="Cow"' in page


@pytest.mark.parametrize("action", ["remove", "restore", "add", "delete"])
def test_bob_gets_not_found_and_changes_nothing(
    bob_client: Client, horses: Photo, action: str
) -> None:
    response = post(bob_client, horses, action=action, name="Cow", tag="Mine")
    assert response.status_code == 404
    assert not LabelCorrection.objects.exists()


def test_a_signed_out_visitor_is_sent_to_log_in(client: Client, horses: Photo) -> None:
    response = post(client, horses, action="remove", name="Cow")
    assert response.status_code == 302
    assert "login" in response.url
    assert not LabelCorrection.objects.exists()


def test_shared_pages_show_the_corrected_labels_without_controls(
    client: Client, bob_client: Client, bob: User, alices_album: Album, horses: Photo
) -> None:
    label_remove(photo=horses, name="Cow")
    tag_add(photo=horses, text="Blaze")
    token = ShareLink.new_token()
    ShareLink.objects.create(album=alices_album, token_digest=share_token_digest(token))
    AlbumShare.objects.create(album=alices_album, recipient=bob)
    for viewer, url in [
        (client, reverse("albums:link-photo", args=[token, horses.id])),
        (bob_client, reverse("albums:shared-photo", args=[alices_album.pk, horses.id])),
    ]:
        page = viewer.get(url).content.decode()
        assert "Horse" in page
        assert "Blaze" in page
        assert "Cow" not in page
        assert "data-labels-form" not in page
        assert 'name="tag"' not in page
    assert post(bob_client, horses, action="restore", name="Cow").status_code == 404


def test_a_photo_not_yet_done_cannot_be_corrected(
    alice_client: Client, alices_album: Album
) -> None:
    waiting = Photo.objects.create(album=alices_album, original_filename="wait.jpg")
    response = post(alice_client, waiting, action="add", tag="Later")
    assert response.status_code == 302
    assert not LabelCorrection.objects.exists()
    page = alice_client.get(reverse("albums:photo", args=[waiting.id])).content.decode()
    assert "data-labels-form" not in page


def test_a_correction_costs_a_fixed_number_of_queries(
    alice_client: Client, horses: Photo, django_assert_max_num_queries: Any
) -> None:
    for i in range(MAX_OWN_TAGS - 1):
        tag_add(photo=horses, text=f"tag {i}")
    # However many tags: session and user, the photo, then under a savepoint the photo locked,
    # its removals counted, a same-named tag deleted, the removal, the index's delete,
    # corrections and insert; then the answer's photo and corrections.
    with django_assert_max_num_queries(14):
        response = post(alice_client, horses, json=True, action="remove", name="Cow")
    assert response.status_code == 200
    assert PhotoLabel.objects.filter(photo=horses).count() == 1 + 2 + MAX_OWN_TAGS - 1
