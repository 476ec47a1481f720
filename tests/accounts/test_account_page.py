"""The account page, the way on after a password change, and deleting an account with every
album, photo and stored file (alice deletes hers; bob's stay)."""

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from albums.models import Album, Photo
from processing.runtime import config
from tests.albums.photo_helpers import run_worker_until_idle, upload
from tests.conftest import PASSWORD
from tests.processing.images import jpeg

pytestmark = pytest.mark.django_db


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def test_the_header_links_to_the_account_page(alice_client: Client) -> None:
    html = alice_client.get(reverse("albums:list")).content.decode()
    assert f'href="{reverse("account")}"' in html
    page = alice_client.get(reverse("account")).content.decode()
    for name in ("account_change_password", "account_email", "account_delete"):
        assert f'href="{reverse(name)}"' in page


def test_the_account_page_needs_a_login(client: Client) -> None:
    assert client.get(reverse("account"))["Location"].startswith(reverse("account_login"))
    assert client.get(reverse("account_delete"))["Location"].startswith(reverse("account_login"))


def test_a_changed_password_leads_back_to_the_account_page(alice_client: Client) -> None:
    new = "another long passphrase 7"
    response = alice_client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("account")
    assert "Password successfully changed." in response.content.decode()


def test_the_reset_password_done_page_has_a_way_on(client: Client) -> None:
    html = client.get(reverse("account_reset_password_from_key_done")).content.decode()
    assert "Your password is now changed." in html
    assert f'href="{reverse("account_login")}"' in html


def test_the_delete_page_only_asks_and_a_get_deletes_nothing(
    alice: User, alice_client: Client
) -> None:
    html = alice_client.get(reverse("account_delete")).content.decode()
    assert 'method="post"' in html
    assert "csrfmiddlewaretoken" in html
    assert User.objects.filter(pk=alice.pk).exists()


def test_a_wrong_password_deletes_nothing(
    alice: User, alice_client: Client, alices_album: Album
) -> None:
    response = alice_client.post(reverse("account_delete"), {"password": "not it"})
    assert response.status_code == 200
    assert "That is not your password; nothing was deleted." in response.content.decode()
    assert Album.objects.filter(pk=alices_album.pk).exists()
    assert User.objects.filter(pk=alice.pk).exists()


def test_the_delete_form_needs_its_csrf_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(reverse("account_delete"), {"password": PASSWORD}).status_code == 403
    assert User.objects.filter(pk=alice.pk).exists()


def test_deleting_the_account_removes_every_album_photo_and_file_and_only_those(
    alice: User, alice_client: Client, bob: User, bob_client: Client, var_dir: Path
) -> None:
    lisbon = Album.objects.create(owner=alice, name="Lisbon")
    porto = Album.objects.create(owner=alice, name="Porto")
    bobs = Album.objects.create(owner=bob, name="Bob's")
    alices_photos = [
        upload(alice_client, lisbon, jpeg(), filename="a.jpg"),
        upload(alice_client, porto, jpeg(), filename="b.jpg"),
        upload(alice_client, porto, b"not an image", filename="c.jpg"),
    ]
    bobs_photo = upload(bob_client, bobs, jpeg(), filename="bob.jpg")
    run_worker_until_idle()
    alices_files = var_dir / "media" / "private" / str(alice.pk)
    bobs_files = var_dir / "media" / "private" / str(bob.pk)
    assert len(files_under(alices_files)) >= 5  # three originals, two photos' thumbnails
    bobs_before = files_under(bobs_files)
    results = config().result_store()
    assert len(results.get_many([*alices_photos, bobs_photo])) == 4

    response = alice_client.post(reverse("account_delete"), {"password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Goodbye" in response.content.decode()
    assert "_auth_user_id" not in alice_client.session
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not Album.objects.filter(owner_id=alice.pk).exists()
    assert not Photo.objects.filter(pk__in=alices_photos).exists()
    assert files_under(alices_files) == []
    assert set(results.get_many([*alices_photos, bobs_photo])) == {bobs_photo}

    assert files_under(bobs_files) == bobs_before
    assert Photo.objects.filter(pk=bobs_photo, album=bobs).exists()
    assert bob_client.get(reverse("albums:photo", args=[bobs_photo])).status_code == 200
