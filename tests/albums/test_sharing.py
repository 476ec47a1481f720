"""Sharing an album: by secret link (no login) and with another account by e-mail.

Personas: alice owns the album, bob is another account nothing was shared with, charlie is an
account alice shares with by e-mail, and a plain ``Client()`` is anyone holding a link.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import User
from albums import sharing
from albums.models import Album, AlbumShare, Photo, ShareLink
from albums.outcomes import refresh_photos
from processing.exif import TAG_GPS_IFD
from processing.metadata import extract_metadata, read_header
from tests.albums.photo_helpers import run_worker_until_idle, upload
from tests.conftest import make_user
from tests.processing.images import exif_block, jpeg
from tests.processing.test_redaction import gps_value_bytes, jpeg_with_xmp, png_with_exif_and_xmp

pytestmark = pytest.mark.django_db

# LISBON_GPS (tests/processing/exif_fixtures.py) and the XMP of tests/processing/test_redaction.py
# as text, in every form a page could print them.
GPS_TEXTS = (b"38.7139", b"38.71390", b"9.1394", b"9.13940", b"38,42.834N", b"9,8.364W")


@pytest.fixture
def charlie(db: None) -> User:
    return make_user("charlie@example.com")


@pytest.fixture
def charlie_client(charlie: User) -> Client:
    client = Client()
    client.force_login(charlie)
    return client


def finish(album: Album) -> list[Photo]:
    """Runs the pipeline and syncs the album's photos, as the owner's gallery would."""
    run_worker_until_idle()
    photos = list(Photo.objects.in_album(album).select_related("album"))
    refresh_photos(photos)
    return photos


@pytest.fixture
def located(alice_client: Client, alices_album: Album) -> dict[str, Photo]:
    """A JPEG and a PNG, both with Lisbon's position in EXIF and in XMP, processed."""
    upload(alice_client, alices_album, jpeg_with_xmp(), filename="tram.jpg")
    upload(
        alice_client,
        alices_album,
        png_with_exif_and_xmp(),
        filename="river.png",
        content_type="image/png",
    )
    photos = {photo.original_filename: photo for photo in finish(alices_album)}
    assert all(photo.status == Photo.Status.SUCCEEDED for photo in photos.values())
    assert photos["tram.jpg"].latitude is not None
    return photos


def make_link(album: Album, **options: object) -> str:
    settings = {
        "expires_in": None,
        "allow_download_original": False,
        "keep_gps_in_originals": False,
        **options,
    }
    return sharing.share_link_create(album=album, **settings).token  # type: ignore[arg-type]


def links_in(html: bytes) -> set[str]:
    """Every same-site URL a page references, the viewer's preloaded neighbours and zoomed
    original (data-preview, data-original) included, without its #fragment (the same response)."""
    found = re.findall(rb'(?:href|src|data-preview|data-original)="(/[^"#]*)', html)
    return {unescape(m.decode()) for m in found}


def crawl(client: Client, start: str, inside: tuple[str, ...]) -> dict[str, bytes]:
    """Every response reachable from ``start`` through links and images whose path starts with
    one of ``inside``: each page, each thumbnail URL, each download."""
    seen: dict[str, bytes] = {}
    todo = [start]
    while todo:
        url = todo.pop()
        if url in seen or not urlsplit(url).path.startswith(inside):
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        seen[url] = body
        if response["Content-Type"].startswith("text/html"):
            todo.extend(links_in(body))
        assert len(seen) < 50
    return seen


def assert_no_gps(body: bytes, originals: list[bytes]) -> None:
    for text in GPS_TEXTS:
        assert text not in body
    assert b"exif:GPS" not in body
    for original in originals:
        for value in gps_value_bytes(original):
            assert value not in body
    if body.startswith((b"\xff\xd8", b"\x89PNG")):
        assert extract_metadata(body).gps is None
        tiff = read_header(body).exif
        if tiff is not None:
            exif = Image.Exif()
            exif.load(b"Exif\x00\x00" + tiff)
            assert TAG_GPS_IFD not in exif


# --- No GPS byte in anything a share serves ---------------------------------------------------


def test_nothing_a_link_serves_holds_a_gps_byte(
    alice_client: Client, alices_album: Album, located: dict[str, Photo]
) -> None:
    token = make_link(alices_album, allow_download_original=True)
    served = crawl(Client(), f"/s/{token}/", ("/s/", "/local-s3/"))
    pages = [url for url in served if url.startswith("/s/") and "/original/" not in url]
    thumbnails = [url for url in served if url.startswith("/local-s3/")]
    downloads = [url for url in served if "/original/" in url]
    assert len(pages) == 3  # the gallery and both photos
    assert len(thumbnails) == 4  # 250 and 1024 px of each
    assert len(downloads) == 2
    originals = [jpeg_with_xmp(), png_with_exif_and_xmp()]
    for url, body in served.items():
        try:
            assert_no_gps(body, originals)
        except AssertionError as error:
            raise AssertionError(url) from error
    # The downloads are the originals, whole but for their location.
    for url in downloads:
        assert extract_metadata(served[url]).camera_model == "Canon EOS R6"
        assert len(served[url]) in {len(original) for original in originals}
    # The check can fail: the owner's own photo page and original show the position.
    owner_page = alice_client.get(reverse("albums:photo", args=[located["tram.jpg"].pk]))
    assert b"38.71390" in owner_page.content


def test_a_link_that_keeps_gps_serves_the_original_as_it_was(
    alices_album: Album, located: dict[str, Photo]
) -> None:
    token = make_link(alices_album, allow_download_original=True, keep_gps_in_originals=True)
    photo = located["tram.jpg"]
    response = Client().get(reverse("albums:link-original", args=[token, photo.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == jpeg_with_xmp()
    assert response["Content-Disposition"].startswith('attachment; filename="tram.jpg"')
    # Its pages still show no position.
    page = Client().get(reverse("albums:link-photo", args=[token, photo.pk]))
    assert_no_gps(page.content, [])


def test_originals_are_not_offered_unless_the_owner_allows_it(
    alices_album: Album, located: dict[str, Photo]
) -> None:
    token = make_link(alices_album)
    photo = located["tram.jpg"]
    page = Client().get(reverse("albums:link-photo", args=[token, photo.pk]))
    assert b"Download original" not in page.content
    assert b"/original/" not in page.content
    original = reverse("albums:link-original", args=[token, photo.pk])
    assert Client().get(original).status_code == 404


def test_keeping_gps_without_originals_is_not_stored(alices_album: Album) -> None:
    made = sharing.share_link_create(
        album=alices_album,
        expires_in=None,
        allow_download_original=False,
        keep_gps_in_originals=True,
    )
    assert made.link.keep_gps_in_originals is False


# --- A link opens its album's finished photos and nothing else --------------------------------


def test_revoked_expired_and_unknown_links_are_the_same_404(
    alices_album: Album, located: dict[str, Photo]
) -> None:
    photo = located["tram.jpg"]
    revoked = make_link(alices_album, allow_download_original=True)
    sharing.share_link_revoke(link=ShareLink.objects.for_token(revoked).get())
    expired = make_link(alices_album, allow_download_original=True)
    ShareLink.objects.for_token(expired).update(expires_at=timezone.now() - timedelta(seconds=1))
    unknown = ShareLink.new_token()
    bodies = set()
    for token in (revoked, expired, unknown, "short", revoked[:-1]):
        for name, args in (
            ("albums:link-gallery", [token]),
            ("albums:link-photo", [token, photo.pk]),
            ("albums:link-original", [token, photo.pk]),
        ):
            response = Client().get(reverse(name, args=args))
            assert response.status_code == 404, (token, name)
            if name == "albums:link-gallery":
                bodies.add(response.content)
    assert len(bodies) == 1


def test_a_link_that_expires_later_works_until_then(
    alices_album: Album, located: dict[str, Photo]
) -> None:
    token = make_link(alices_album, expires_in=timedelta(days=1))
    assert Client().get(reverse("albums:link-gallery", args=[token])).status_code == 200


def test_a_link_reaches_no_photo_of_another_album(
    alice: User, alice_client: Client, bob: User, alices_album: Album, located: dict[str, Photo]
) -> None:
    other = Album.objects.create(owner=alice, name="Private")
    bobs = Album.objects.create(owner=bob, name="Bob's")
    upload(alice_client, other, jpeg(), filename="secret.jpg")
    bob_client = Client()
    bob_client.force_login(bob)
    upload(bob_client, bobs, jpeg(exif=exif_block(make="Nikon")), filename="bobs.jpg")
    finish(other)
    finish(bobs)
    token = make_link(alices_album, allow_download_original=True)
    for photo in Photo.objects.filter(album__in=[other, bobs]):
        assert photo.status == Photo.Status.SUCCEEDED
        for name in ("albums:link-photo", "albums:link-original"):
            assert Client().get(reverse(name, args=[token, photo.pk])).status_code == 404
    gallery = Client().get(reverse("albums:link-gallery", args=[token])).content
    assert b"secret.jpg" not in gallery
    assert b"bobs.jpg" not in gallery


def test_a_link_shows_only_finished_photos(
    alice_client: Client, alices_album: Album, located: dict[str, Photo]
) -> None:
    rejected = upload(alice_client, alices_album, b"not an image", filename="notes.jpg")
    waiting = Photo.objects.create(album=alices_album, original_filename="waiting.jpg")
    finish(alices_album)
    assert Photo.objects.get(pk=rejected).status == Photo.Status.REJECTED
    token = make_link(alices_album)
    gallery = Client().get(reverse("albums:link-gallery", args=[token])).content
    assert b"notes.jpg" not in gallery
    assert b"waiting.jpg" not in gallery
    assert b"2 photos" in gallery
    for photo_id in (rejected, waiting.pk):
        page = Client().get(reverse("albums:link-photo", args=[token, photo_id]))
        assert page.status_code == 404


def test_a_link_page_offers_nothing_of_the_owners(
    alices_album: Album, located: dict[str, Photo]
) -> None:
    token = make_link(alices_album)
    photo = located["tram.jpg"]
    pages = [
        Client().get(reverse("albums:link-gallery", args=[token])).content,
        Client().get(reverse("albums:link-photo", args=[token, photo.pk])).content,
    ]
    owner_urls = [
        reverse("albums:detail", args=[alices_album.pk]),
        reverse("albums:photo", args=[photo.pk]),
        reverse("albums:execution", args=[photo.pk]),
        reverse("albums:photo-delete", args=[photo.pk]),
        reverse("albums:search"),
    ]
    for page in pages:
        for url in owner_urls:
            # As a link's target: "/photos/<id>/" is also the end of the share's own photo URL.
            assert f'"{url}'.encode() not in page
        assert b"openstreetmap" not in page
        assert b"upload" not in page.lower()


def test_anyone_with_a_link_still_cannot_open_the_owners_pages(
    alices_album: Album, located: dict[str, Photo]
) -> None:
    token = make_link(alices_album)
    anyone = Client()
    assert anyone.get(reverse("albums:link-gallery", args=[token])).status_code == 200
    photo = located["tram.jpg"]
    for url in (
        reverse("albums:detail", args=[alices_album.pk]),
        reverse("albums:photo", args=[photo.pk]),
        reverse("albums:execution", args=[photo.pk]),
        reverse("albums:share", args=[alices_album.pk]),
    ):
        response = anyone.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_the_photo_page_links_its_neighbours_newest_first(
    alices_album: Album, located: dict[str, Photo]
) -> None:
    token = make_link(alices_album)
    newest = Photo.objects.in_album(alices_album).newest_first()
    first, second = list(newest)
    page_one = Client().get(reverse("albums:link-photo", args=[token, first.pk])).content.decode()
    page_two = Client().get(reverse("albums:link-photo", args=[token, second.pk])).content.decode()
    assert reverse("albums:link-photo", args=[token, second.pk]) in page_one
    assert 'rel="prev"' not in page_one
    assert reverse("albums:link-photo", args=[token, first.pk]) in page_two
    assert 'rel="next"' not in page_two


def test_a_large_shared_album_pages_by_keyset_at_a_fixed_number_of_queries(
    alices_album: Album, django_assert_max_num_queries: object
) -> None:
    thumbnails = [
        {"size": 250, "key": "private/1/resized/p/250.jpg", "width": 250, "height": 250},
        {"size": 1024, "key": "private/1/resized/p/1024.jpg", "width": 1024, "height": 768},
    ]
    made = Photo.objects.bulk_create(
        Photo(
            album=alices_album,
            original_filename=f"p{i}.jpg",
            status=Photo.Status.SUCCEEDED,
            thumbnails=thumbnails,
        )
        for i in range(300)
    )
    # Some photos of the same instant: the id settles their order, and no page loses one.
    Photo.objects.filter(pk__in=[photo.pk for photo in made[40:60]]).update(
        created_at=made[40].created_at
    )
    token = make_link(alices_album)
    gallery = reverse("albums:link-gallery", args=[token])
    seen: list[str] = []
    page_urls: list[str] = []
    url: str | None = gallery
    while url is not None:
        page_urls.append(url)
        with django_assert_max_num_queries(3):  # type: ignore[operator]
            response = Client().get(url)
        html = response.content.decode()
        assert "300 photos" in html
        seen += re.findall(r'/photos/([0-9a-f-]{36})/"', html)
        older = re.search(r'href="\?after=([^"]+)"', html)
        url = f"{gallery}?after={unescape(older.group(1))}" if older else None
    assert len(seen) == 300
    assert len(set(seen)) == 300
    assert seen == [str(p.pk) for p in Photo.objects.in_album(alices_album).newest_first()]
    newest = list(Photo.objects.in_album(alices_album).newest_first())
    # The viewer's page: the photo, its label corrections, its two neighbours, and where closing
    # goes (a COUNT and the row ending the page before), whatever the album's size.
    for index in (150, 47, 48, 299):
        with django_assert_max_num_queries(7):  # type: ignore[operator]
            page = Client().get(reverse("albums:link-photo", args=[token, newest[index].pk]))
        html = unescape(page.content.decode())
        for rel, other in (("prev", index - 1), ("next", index + 1)):
            if 0 <= other < 300:
                link = reverse("albums:link-photo", args=[token, newest[other].pk])
                assert f'href="{link}" rel="{rel}"' in html
            else:
                assert f'rel="{rel}"' not in html
        # Closing lands on the very gallery page (by its own Older cursor) that holds the photo.
        close = re.search(r'data-close-url="([^"]+)"', html)
        assert close is not None
        holder = page_urls[index // 48]
        assert close.group(1) == f"{holder}#photo-{newest[index].pk}"


def test_a_malformed_page_cursor_shows_the_newest_photos(
    alices_album: Album, located: dict[str, Photo]
) -> None:
    token = make_link(alices_album)
    for cursor in ("nonsense", "12_not-a-uuid", "99999999999999999999999_x"):
        response = Client().get(reverse("albums:link-gallery", args=[token]), {"after": cursor})
        assert response.status_code == 200
        assert response.content.count(b'class="photo-card ') == 2


# --- The owner's Share page -------------------------------------------------------------------


def test_the_owner_creates_a_link_shown_once_and_revokes_it(
    alice_client: Client, alices_album: Album, located: dict[str, Photo]
) -> None:
    share_url = reverse("albums:share", args=[alices_album.pk])
    created = alice_client.post(
        reverse("albums:share-link-create", args=[alices_album.pk]),
        {"expires_in": "7", "allow_download_original": "on"},
        follow=True,
    )
    html = created.content.decode()
    found = re.search(r'value="http://testserver/s/([A-Za-z0-9_-]+)/"', html)
    assert found
    token = found.group(1)
    assert len(token) >= 43  # 256 random bits
    link = ShareLink.objects.get()
    assert link.token_digest != token  # only its digest is kept
    assert link.allow_download_original
    assert link.expires_at is not None
    assert timedelta(days=6) < link.expires_at - timezone.now() <= timedelta(days=7)
    # Shown once: the next visit lists the link but cannot show it again.
    again = alice_client.get(share_url).content.decode()
    assert token not in again
    assert "originals without their location" in again
    assert Client().get(f"/s/{token}/").status_code == 200

    revoke = reverse("albums:share-link-revoke", args=[alices_album.pk, link.pk])
    alice_client.post(revoke)
    assert Client().get(f"/s/{token}/").status_code == 404
    assert f"link-{link.pk}" not in alice_client.get(share_url).content.decode()


def test_an_unknown_expiry_is_refused(alice_client: Client, alices_album: Album) -> None:
    url = reverse("albums:share-link-create", args=[alices_album.pk])
    response = alice_client.post(url, {"expires_in": "9999"}, follow=True)
    assert "Choose when the link expires" in response.content.decode()
    assert not ShareLink.objects.exists()


def test_bob_cannot_see_or_change_alices_sharing(
    bob_client: Client, alices_album: Album, charlie: User
) -> None:
    token = make_link(alices_album)
    link = ShareLink.objects.for_token(token).get()
    share = AlbumShare.objects.create(album=alices_album, recipient=charlie)
    album_id = alices_album.pk
    assert bob_client.get(reverse("albums:share", args=[album_id])).status_code == 404
    for name, args, data in (
        ("albums:share-link-create", [album_id], {}),
        ("albums:share-link-revoke", [album_id, link.pk], {}),
        ("albums:share-add", [album_id], {"email": "bob@example.com"}),
        ("albums:share-remove", [album_id, share.pk], {}),
    ):
        assert bob_client.post(reverse(name, args=args), data).status_code == 404, name
    assert ShareLink.objects.active().count() == 1
    assert AlbumShare.objects.count() == 1
    assert bob_client.get(reverse("albums:shared-album", args=[album_id])).status_code == 404


# --- Sharing with an account ------------------------------------------------------------------


def test_sharing_with_charlie_mails_him_and_shows_him_the_album_read_only(
    alice_client: Client,
    charlie_client: Client,
    alices_album: Album,
    located: dict[str, Photo],
    mailoutbox: list[EmailMessage],
) -> None:
    added = alice_client.post(
        reverse("albums:share-add", args=[alices_album.pk]),
        {"email": "Charlie@Example.com"},
        follow=True,
    )
    assert "Shared with charlie@example.com" in added.content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["charlie@example.com"]
    assert "Photoshare" in mail.subject
    album_url = reverse("albums:shared-album", args=[alices_album.pk])
    assert f"http://testserver{album_url}" in mail.body

    listing = charlie_client.get(reverse("albums:list")).content.decode()
    assert "Shared with you" in listing
    assert album_url in listing
    served = crawl(charlie_client, album_url, ("/shared/", "/local-s3/"))
    assert len(served) == 7  # the gallery, two photo pages, four thumbnails
    for body in served.values():
        assert_no_gps(body, [jpeg_with_xmp(), png_with_exif_and_xmp()])
    photo = located["tram.jpg"]
    page = served[reverse("albums:shared-photo", args=[alices_album.pk, photo.pk])]
    assert b"Canon EOS R6" in page
    assert b"Shared with you by alice@example.com" in served[album_url]


def test_charlie_cannot_change_a_shared_album(
    charlie: User, charlie_client: Client, alices_album: Album, located: dict[str, Photo]
) -> None:
    AlbumShare.objects.create(album=alices_album, recipient=charlie)
    photo = located["tram.jpg"]
    album_id = alices_album.pk
    for method, url in (
        ("get", reverse("albums:detail", args=[album_id])),
        ("post", reverse("albums:rename", args=[album_id])),
        ("post", reverse("albums:delete", args=[album_id])),
        ("post", reverse("albums:upload-ticket", args=[album_id])),
        ("get", reverse("albums:share", args=[album_id])),
        ("get", reverse("albums:photo", args=[photo.pk])),
        ("post", reverse("albums:photo-delete", args=[photo.pk])),
        ("get", reverse("albums:execution", args=[photo.pk])),
    ):
        assert getattr(charlie_client, method)(url).status_code == 404, url
    assert Photo.objects.filter(pk=photo.pk).exists()
    assert Album.objects.get(pk=album_id).name == "Lisbon 2026"


def test_removing_charlie_closes_the_album_to_him(
    alice_client: Client,
    charlie: User,
    charlie_client: Client,
    alices_album: Album,
    located: dict[str, Photo],
) -> None:
    share = AlbumShare.objects.create(album=alices_album, recipient=charlie)
    photo = located["tram.jpg"]
    alice_client.post(reverse("albums:share-remove", args=[alices_album.pk, share.pk]))
    for url in (
        reverse("albums:shared-album", args=[alices_album.pk]),
        reverse("albums:shared-photo", args=[alices_album.pk, photo.pk]),
    ):
        assert charlie_client.get(url).status_code == 404
    assert "Shared with you" not in charlie_client.get(reverse("albums:list")).content.decode()


def test_a_photo_of_another_album_is_not_reached_through_a_shared_one(
    alice: User, alice_client: Client, charlie: User, charlie_client: Client, alices_album: Album
) -> None:
    AlbumShare.objects.create(album=alices_album, recipient=charlie)
    other = Album.objects.create(owner=alice, name="Private")
    upload(alice_client, other, jpeg(), filename="secret.jpg")
    (photo,) = finish(other)
    url = reverse("albums:shared-photo", args=[alices_album.pk, photo.pk])
    assert charlie_client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("email", "said"),
    [
        ("nobody@example.com", "No Photoshare account has the address nobody@example.com."),
        ("alice@example.com", "is already visible to alice@example.com"),
        ("", "Enter the e-mail address"),
    ],
)
def test_sharing_with_an_address_without_another_account_says_so(
    alice_client: Client,
    alices_album: Album,
    email: str,
    said: str,
    mailoutbox: list[EmailMessage],
) -> None:
    response = alice_client.post(
        reverse("albums:share-add", args=[alices_album.pk]), {"email": email}, follow=True
    )
    assert said in response.content.decode()
    assert not AlbumShare.objects.exists()
    assert not mailoutbox


def test_sharing_twice_with_charlie_keeps_one_share(
    alice_client: Client, alices_album: Album, charlie: User
) -> None:
    url = reverse("albums:share-add", args=[alices_album.pk])
    alice_client.post(url, {"email": "charlie@example.com"})
    again = alice_client.post(url, {"email": "charlie@example.com"}, follow=True)
    assert "already visible to charlie@example.com" in again.content.decode()
    assert AlbumShare.objects.count() == 1


def test_the_derivatives_a_share_serves_carry_no_metadata(
    alices_album: Album, located: dict[str, Photo]
) -> None:
    token = make_link(alices_album)
    served = crawl(Client(), f"/s/{token}/", ("/s/", "/local-s3/"))
    for url, body in served.items():
        if not url.startswith("/local-s3/"):
            continue
        image = Image.open(io.BytesIO(body))
        assert not image.getexif()
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)


def test_an_album_shared_with_several_people_is_listed_once_for_each(
    alice: User, bob: User, charlie: User, charlie_client: Client, alices_album: Album
) -> None:
    second = Album.objects.create(owner=alice, name="Porto")
    for album in (alices_album, second):
        for person in (bob, charlie):
            AlbumShare.objects.create(album=album, recipient=person)
    listing = charlie_client.get(reverse("albums:list")).content.decode()
    for album in (alices_album, second):
        assert listing.count(reverse("albums:shared-album", args=[album.pk])) == 1


def test_link_pages_stay_out_of_caches_and_search_engines_and_send_no_referrer_away(
    alices_album: Album, located: dict[str, Photo]
) -> None:
    token = make_link(alices_album)
    for url in (
        reverse("albums:link-gallery", args=[token]),
        reverse("albums:link-photo", args=[token, located["tram.jpg"].pk]),
    ):
        response = Client().get(url)
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        # The token is in the page's URL: images from S3 (another origin) must not see it.
        assert response["Referrer-Policy"] == "same-origin"
