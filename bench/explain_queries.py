"""The query plans PostgreSQL chooses for what each page runs, at 10,000 photos for one user.

    scripts/with-postgres .venv/bin/python bench/explain_queries.py [--photos 10000]

Needs a PostgreSQL DATABASE_URL (scripts/with-postgres gives a throwaway cluster). The data go
into a scratch database beside the one named, dropped at the end (bench/stack.py's
ScratchDatabase), never into the named one. One user (alice) owns ``--photos`` photos in a big
camera-roll album and nine small ones, each with three labels and their parents indexed by the
real code (albums.outcomes); four other users own as many each, so alice has a fifth of the
table and a plan that reads everyone's rows to find hers shows. A few hundred photos are still
open (uploading, processing), a few rejected or failed. After ANALYZE, each query is explained with
EXPLAIN (ANALYZE, BUFFERS): querysets built by the app's own QuerySet methods through
``QuerySet.explain``; what a function runs and returns no queryset for (the album's counts, the
paginators' counts) is captured while the real function runs and explained as sent.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from stack import ScratchDatabase  # noqa: E402  (bench/stack.py)

LABELS: list[tuple[str, tuple[str, ...]]] = [
    ("Dog", ("Pet", "Mammal", "Animal")),
    ("Cat", ("Pet", "Mammal", "Animal")),
    ("Horse", ("Mammal", "Animal")),
    ("Bird", ("Animal",)),
    ("Person", ()),
    ("Car", ("Vehicle", "Transportation")),
    ("Bicycle", ("Vehicle", "Transportation")),
    ("Boat", ("Vehicle", "Transportation")),
    ("Bench", ("Furniture",)),
    ("Chair", ("Furniture",)),
    ("Cup", ("Tableware",)),
    ("Espresso", ("Beverage", "Food")),
    ("Pizza", ("Food",)),
    ("Umbrella", ()),
    ("Kite", ("Toy",)),
    ("Laptop", ("Electronics", "Computer")),
    ("Clock", ()),
    ("Tree", ("Plant",)),
    ("Mountain", ("Outdoors", "Nature")),
    ("Beach", ("Outdoors", "Nature")),
]
# The camera roll's share of the user's photos; the rest spread over nine small albums.
CAMERA_ROLL_SHARE = 0.8
# Other users, each with as many photos as alice, in two albums: by default alice holds a fifth
# of the table; a realistic site has her a sliver of it (--other-users 49: 2 %).
OTHER_USERS = 4
BATCH = 2_000


def _setup_django() -> None:
    url = os.environ.get("DATABASE_URL", "")
    scratch = ScratchDatabase(url)
    if scratch.url is None:
        sys.exit(
            "explain_queries: needs a PostgreSQL DATABASE_URL (run it under scripts/with-postgres)"
        )
    scratch.create()
    os.environ["DATABASE_URL"] = scratch.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "photoshare.settings")
    import atexit

    import django

    django.setup()

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        scratch.drop()

    atexit.register(drop)


def _fill(photos_for_alice: int, other_users: int) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from albums.corrections import index_labels
    from albums.models import Album, Photo
    from processing.recognition.labels import Label

    rng = random.Random(11)
    statuses = [Photo.Status.SUCCEEDED] * 95 + [
        Photo.Status.PROCESSING,
        Photo.Status.UPLOADING,
        Photo.Status.REJECTED,
        Photo.Status.FAILED,
        Photo.Status.INTERRUPTED,
    ]

    # Capture times over eight years; one photo in ten has none (a scan, a screenshot) and is
    # placed in the timeline by its upload, as albums.outcomes does.
    first_day = timezone.now() - timedelta(days=8 * 365)

    def photos_of(album: Album, count: int, start: int) -> Iterator[Photo]:
        for number in range(count):
            status = rng.choice(statuses)
            taken = first_day + timedelta(seconds=rng.uniform(0, 8 * 365 * 86400))
            taken_at = taken if rng.random() < 0.9 else None
            done = status == Photo.Status.SUCCEEDED
            chosen = rng.sample(LABELS, 3)
            labels = [
                Label(name, rng.uniform(60, 99), "local", "bench", parents=parents).to_item()
                for name, parents in chosen
            ]
            yield Photo(
                album=album,
                original_filename=f"IMG_{start + number:05d}.jpg",
                sha256=f"{rng.getrandbits(256):064x}",
                status=status,
                change_seq=start + number + 1,
                ticket_issued_at=timezone.now() - timedelta(minutes=5),
                labels=labels if status == Photo.Status.SUCCEEDED else [],
                thumbnails=[{"size": 250, "key": f"k/{start + number}/250.jpg"}],
                camera_make="Canon",
                width=4000,
                height=3000,
                file_size=rng.randrange(500_000, 9_000_000),
                upload_size=rng.randrange(500_000, 9_000_000),
                taken_at=taken_at,
                timeline_owner_id=album.owner_id if done else None,
                timeline_at=(taken_at or timezone.now()) if done else None,
            )

    def fill_album(album: Album, count: int) -> None:
        made = 0
        while made < count:
            size = min(BATCH, count - made)
            with transaction.atomic():
                batch = Photo.objects.bulk_create(photos_of(album, size, made))
                index_labels([p for p in batch if p.status == Photo.Status.SUCCEEDED])
            made += size
        Album.objects.filter(pk=album.pk).update(change_seq=count)

    alice = User.objects.create_user("alice@example.com", "x")
    roll = Album.objects.create(owner=alice, name="Camera roll")
    in_roll = int(photos_for_alice * CAMERA_ROLL_SHARE)
    fill_album(roll, in_roll)
    small = (photos_for_alice - in_roll) // 9
    for number in range(9):
        album = Album.objects.create(owner=alice, name=f"Trip {number + 1}")
        fill_album(album, small if number < 8 else photos_for_alice - in_roll - 8 * small)
    for number in range(other_users):
        user = User.objects.create_user(f"user{number}@example.com", "x")
        for album_number in range(2):
            album = Album.objects.create(owner=user, name=f"Album {album_number}")
            fill_album(album, photos_for_alice // 2)
    some_photo = Photo.objects.filter(album=roll).order_by("change_seq")[in_roll // 2]
    return {"alice": alice, "roll": roll, "photo": some_photo}


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _print_plan(title: str, plan: str) -> None:
    print(f"\n=== {title}")
    print(plan)
    scans = sorted(set(re.findall(r"Seq Scan on (\w+)", plan)))
    if scans:
        print(f"--- sequential scans: {', '.join(scans)}")


def _explain_queryset(title: str, queryset: Any) -> None:
    _print_plan(title, queryset.explain(analyze=True, buffers=True))


def _explain_calls(title: str, call: Callable[[], object], *, only: str = "") -> None:
    """Runs ``call`` as the app does and explains each SELECT it sent (containing ``only``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    for number, sql in enumerate(s for s in selects if only in s):
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        _print_plan(f"{title}{f' ({number + 1})' if number else ''}", plan)


def explain_everything(data: dict[str, Any]) -> None:
    from django.core.paginator import Paginator

    from albums.changes import album_counts, current_cursor
    from albums.models import Album, Photo, PhotoLabel
    from albums.views import PHOTOS_PER_PAGE, SUGGESTIONS

    alice, roll, photo = data["alice"], data["roll"], data["photo"]
    print(f"\nalice: {Photo.objects.owned_by(alice).count()} photos in 10 albums; ", end="")
    print(f"camera roll {roll.photos.count()}; all users {Photo.objects.count()} photos, ", end="")
    print(f"{PhotoLabel.objects.count()} label terms")

    # The album page (albums.views.album_detail).
    gallery = roll.photos.select_related("album").newest_first()
    _explain_queryset("album page: first page of photos", gallery[:PHOTOS_PER_PAGE])
    middle = roll.photos.count() // 2
    _explain_queryset(
        "album page: a page in the middle", gallery[middle : middle + PHOTOS_PER_PAGE]
    )
    _explain_calls("album page: the paginator's count", lambda: Paginator(gallery, 48).count)
    _explain_calls("album page and change feed: the album's counts", lambda: album_counts(roll))
    _explain_calls("album page and change feed: the cursor", lambda: current_cursor(roll))

    # The album list (albums.views.album_list).
    _explain_queryset(
        "album list with stats",
        Album.objects.owned_by(alice).with_photo_stats().order_by("-last_change"),
    )

    # The change feed (albums.photo_views.album_changes): each look, every 0.1 to 1 s.
    _explain_queryset(
        "outcomes refresh: the album's open photos",
        roll.photos.still_open().values_list("id", "status", "ticket_issued_at", "resubmitted_at"),
    )
    cursor = roll.change_seq - 20
    _explain_queryset(
        "change feed: changes since a recent cursor",
        roll.photos.changed_after(cursor).select_related("album")[:201],
    )
    _explain_queryset(
        "change feed: changes since 0 (a page opened on an old cursor)",
        roll.photos.changed_after(0).select_related("album")[:201],
    )

    # Search (albums.views.photo_search).
    found = Photo.objects.labelled("animals", owner=alice).select_related("album")
    _explain_queryset("search 'animals': first page", found.newest_first()[:PHOTOS_PER_PAGE])
    _explain_calls(
        "search 'animals': the paginator's count",
        lambda: Paginator(found.newest_first(), PHOTOS_PER_PAGE).count,
    )
    rare = Photo.objects.labelled("espresso", owner=alice).newest_first()
    _explain_queryset("search 'espresso': first page", rare[:PHOTOS_PER_PAGE])
    _explain_queryset(
        "search suggestions", PhotoLabel.objects.most_frequent_for(alice)[:SUGGESTIONS]
    )

    # The timeline (albums.timeline_views.timeline): alice's done photos across her albums.
    from albums.timeline import TIMELINE_PAGE, Cursor, Month, month_index, month_of, timeline_page

    timeline = Photo.objects.in_timeline_of(alice).timeline_order()
    _explain_queryset("timeline: first page", timeline[: TIMELINE_PAGE + 1])
    done = timeline.count()
    middle_photo = timeline[done // 2]
    deep = Cursor.of(middle_photo)
    _explain_calls(
        "timeline: a page in the middle (keyset), and 'anything newer?'",
        lambda: timeline_page(user=alice, before=deep),
    )
    _explain_calls(
        "timeline: the previous page (after=)", lambda: timeline_page(user=alice, after=deep)
    )
    assert middle_photo.timeline_at is not None
    month = month_of(middle_photo.timeline_at)
    _explain_calls(
        f"timeline: jump to {month.label}",
        lambda: timeline_page(user=alice, before=Cursor(Month(month.year, month.month).end())),
    )
    _explain_calls("timeline: the month index", lambda: month_index(user=alice))

    # The album page under each sort (albums.ordering): the first page and one in the middle.
    from albums.ordering import ALBUM_SORTS

    for sort in ALBUM_SORTS:
        if sort.reverse:
            continue
        sorted_photos = roll.photos.select_related("album").sorted_by(sort)
        _explain_queryset(f"album page sorted by {sort.label}: first page", sorted_photos[:48])
        _explain_queryset(
            f"album page sorted by {sort.label}: a page in the middle",
            sorted_photos[middle : middle + PHOTOS_PER_PAGE],
        )

    # The photo page, tickets.
    _explain_queryset(
        "photo page: the photo, if it is the user's",
        Photo.objects.owned_by(alice).select_related("album").filter(pk=photo.pk),
    )
    _explain_queryset(
        "tickets: the album's photos with these hashes",
        roll.photos.filter(sha256__in=[photo.sha256, "0" * 64]),
    )


@contextmanager
def timed(what: str) -> Iterator[None]:
    began = time.monotonic()
    yield
    print(f"({what}: {time.monotonic() - began:.1f} s)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000, help="alice's photos")
    parser.add_argument(
        "--other-users", type=int, default=OTHER_USERS, help="users with as many photos as alice"
    )
    args = parser.parse_args()
    _setup_django()
    from django.conf import settings

    # Static URLs unhashed: the bench renders pages without having run collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.management import call_command
    from django.db import connection

    with timed("migrate"):
        call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0])
    with timed("fill"):
        data = _fill(args.photos, args.other_users)
    _analyze()
    explain_everything(data)
    time_timeline(data)


def time_timeline(data: dict[str, Any], repeats: int = 30) -> None:
    """Wall time of what the timeline page runs, median of ``repeats``, at this size."""
    from statistics import median

    from albums.models import Photo
    from albums.timeline import Cursor, month_index, timeline_page

    alice = data["alice"]
    timeline = Photo.objects.in_timeline_of(alice).timeline_order()
    done = timeline.count()
    middle, last = Cursor.of(timeline[done // 2]), Cursor.of(timeline[done - 2])

    def whole_page(**query: str) -> Callable[[], object]:
        """The view itself, template and 120 presigned thumbnail URLs included."""
        from django.test import RequestFactory

        from albums.timeline_views import timeline as timeline_view

        def render() -> object:
            request = RequestFactory().get("/timeline/", query)
            request.META["SERVER_NAME"] = "localhost"  # the bench has no allowed test host
            request.user = alice
            response = timeline_view(request)
            assert response.status_code == 200
            return response

        return render

    cases: dict[str, Callable[[], object]] = {
        "whole timeline page (view and template), newest": whole_page(),
        "whole timeline page (view and template), middle": whole_page(before=str(middle)),
        "timeline page, newest": lambda: timeline_page(user=alice),
        "timeline page, middle (keyset)": lambda: timeline_page(user=alice, before=middle),
        "timeline page, oldest": lambda: timeline_page(user=alice, before=last),
        "month index": lambda: month_index(user=alice),
    }
    print(f"\n=== timings ({done} done photos in alice's timeline; median of {repeats})")
    for name, call in cases.items():
        call()  # warm
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            call()
            times.append((time.perf_counter() - began) * 1000)
        print(f"{name}: {median(times):.2f} ms")


if __name__ == "__main__":
    main()
