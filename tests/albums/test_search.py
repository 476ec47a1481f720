"""Search by label: across the user's albums, by label or parent, never anyone else's photos."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from albums.models import Album, Photo, PhotoLabel
from processing.recognition.labels import BoundingBox, Instance, Label
from tests.albums.photo_helpers import finished_photo

pytestmark = pytest.mark.django_db

DOG = Label("Dog", 91.0, "local", "nanodet-g/test", parents=("Pet", "Mammal", "Animal"))
SHEPHERD = Label("German Shepherd", 64.0, "local", "efficientnet/test", parents=("Dog", "Animal"))
BICYCLE = Label("Bicycle", 70.0, "local", "nanodet-g/test", parents=("Vehicle",))
CROWD = Label(
    "Person",
    88.0,
    "local",
    "nanodet-g/test",
    instances=tuple(Instance(BoundingBox(i / 10, 0.1, 0.05, 0.3), 80.0) for i in range(7)),
)


def found(client: Client, query: str) -> list[str]:
    response = client.get(reverse("albums:search"), {"q": query})
    assert response.status_code == 200
    page = response.context["page"]
    return sorted(photo.original_filename for photo in page.object_list) if page else []


@pytest.fixture
def alices_photos(alice: User, alices_album: Album) -> None:
    holidays = Album.objects.create(owner=alice, name="Holidays")
    finished_photo(alices_album, "rex.jpg", [DOG, SHEPHERD, BICYCLE])
    finished_photo(holidays, "crowd.jpg", [CROWD])


@pytest.mark.usefixtures("alices_photos")
def test_a_label_finds_photos_in_every_album(alice_client: Client) -> None:
    assert found(alice_client, "Dog") == ["rex.jpg"]
    assert found(alice_client, "person") == ["crowd.jpg"]


@pytest.mark.usefixtures("alices_photos")
def test_a_parent_finds_its_kinds(alice_client: Client) -> None:
    assert found(alice_client, "Animal") == ["rex.jpg"]
    assert found(alice_client, "vehicle") == ["rex.jpg"]


@pytest.mark.usefixtures("alices_photos")
def test_case_spacing_and_plurals_do_not_matter(alice_client: Client) -> None:
    assert found(alice_client, "  german   SHEPHERD ") == ["rex.jpg"]
    assert found(alice_client, "dogs") == ["rex.jpg"]
    assert found(alice_client, "bicycles") == ["rex.jpg"]
    assert found(alice_client, "people") == ["crowd.jpg"]
    assert found(alice_client, "cat") == []


@pytest.mark.usefixtures("alices_photos")
def test_a_search_that_finds_nothing_says_so(alice_client: Client) -> None:
    html = alice_client.get(reverse("albums:search"), {"q": "giraffe"}).content.decode()
    assert "0 photos in all your albums" in html
    assert "No photos labelled “giraffe”" in html


@pytest.mark.usefixtures("alices_photos")
def test_it_never_finds_anyone_elses_photos(bob: User, bob_client: Client) -> None:
    assert found(bob_client, "dog") == []
    bobs_album = Album.objects.create(owner=bob, name="Bob's")
    finished_photo(bobs_album, "bobs-dog.jpg", [DOG])
    assert found(bob_client, "dog") == ["bobs-dog.jpg"]
    suggestions = bob_client.get(reverse("albums:search")).context["suggestions"]
    assert [s["term"] for s in suggestions] == ["Dog"]


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    response = client.get(reverse("albums:search"), {"q": "dog"})
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.usefixtures("alices_photos")
def test_each_term_is_indexed_once_per_photo(alice: User) -> None:
    rex = Photo.objects.get(original_filename="rex.jpg")
    terms = PhotoLabel.objects.filter(photo=rex)
    assert sorted(t.term for t in terms) == [
        "Animal",
        "Bicycle",
        "Dog",
        "German Shepherd",
        "Mammal",
        "Pet",
        "Vehicle",
    ]
    dog = terms.get(term_key="dog")
    assert not dog.is_parent  # a label in its own right, though also the Shepherd's parent
    assert dog.confidence == 91.0


@pytest.mark.usefixtures("alices_photos")
def test_chips_show_counts_and_confidence_on_hover(alice_client: Client, alice: User) -> None:
    # The chips are on the photo page; the gallery's tiles show the pictures alone.
    crowd = Photo.objects.get(original_filename="crowd.jpg")
    html = alice_client.get(reverse("albums:photo", args=[crowd.pk])).content.decode()
    assert 'Person <span class="chip__count">×7</span>' in html
    assert 'title="Person: 88% confident' in html
    rex = Photo.objects.get(original_filename="rex.jpg")
    page = alice_client.get(reverse("albums:photo", args=[rex.pk])).content.decode()
    assert "German Shepherd" in page
    assert "a kind of Dog, Animal" in page
    assert f'href="{reverse("albums:search")}?q=German%20Shepherd"' in page


def test_results_are_paged_and_the_pages_keep_the_query(
    alice_client: Client, alices_album: Album
) -> None:
    for number in range(49):
        finished_photo(alices_album, f"dog-{number:02}.jpg", [DOG])
    first = alice_client.get(reverse("albums:search"), {"q": "dog"})
    assert len(first.context["page"].object_list) == 48
    assert 'href="?q=dog&amp;page=2"' in first.content.decode()
    second = alice_client.get(reverse("albums:search"), {"q": "dog", "page": 2})
    assert [p.original_filename for p in second.context["page"].object_list] == ["dog-00.jpg"]
