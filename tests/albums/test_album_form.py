import pytest

from accounts.models import User
from albums.forms import AlbumForm
from albums.models import Album

pytestmark = pytest.mark.django_db


def form_for(owner: User, name: str, instance: Album | None = None) -> AlbumForm:
    return AlbumForm({"name": name}, owner=owner, instance=instance)


def test_it_trims_the_name_and_folds_runs_of_spaces(alice: User) -> None:
    form = form_for(alice, "   Summer \t in   Lisbon  ")
    assert form.is_valid()
    assert form.save().name == "Summer in Lisbon"


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_it_rejects_a_blank_name(alice: User, name: str) -> None:
    form = form_for(alice, name)
    assert not form.is_valid()
    assert form.errors["name"] == ["Give the album a name."]


def test_it_accepts_one_hundred_characters_and_rejects_one_hundred_and_one(alice: User) -> None:
    assert form_for(alice, "x" * 100).is_valid()
    too_long = form_for(alice, "x" * 101)
    assert not too_long.is_valid()
    assert too_long.errors["name"] == ["Keep the name to 100 characters or fewer."]


def test_it_accepts_unicode_names(alice: User) -> None:
    form = form_for(alice, "Été à Kyōto 🌸")
    assert form.is_valid()
    assert form.save().name == "Été à Kyōto 🌸"


def test_it_rejects_a_name_the_owner_already_uses_in_any_case(alice: User) -> None:
    Album.objects.create(owner=alice, name="Lisbon")
    form = form_for(alice, "  LISBON ")
    assert not form.is_valid()
    assert form.errors["name"] == ["You already have an album called “LISBON”."]


def test_another_person_may_use_the_same_name(alice: User, bob: User) -> None:
    Album.objects.create(owner=alice, name="Lisbon")
    assert form_for(bob, "Lisbon").is_valid()


def test_renaming_to_the_same_name_in_another_case_is_allowed(alice: User) -> None:
    album = Album.objects.create(owner=alice, name="lisbon")
    form = form_for(alice, "Lisbon", instance=album)
    assert form.is_valid()
    assert form.save().name == "Lisbon"


def test_a_null_character_is_a_form_error_not_a_crash(alice: User) -> None:
    form = form_for(alice, "bad\x00name")
    assert not form.is_valid()
    assert "name" in form.errors
