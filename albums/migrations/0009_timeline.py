"""The timeline: every done photo gets its owner and its time (taken, or uploaded when the file
does not say) in columns one index serves, so a person's photos across albums are one range.
And an index per album sort (albums.ordering), so a sorted album's first page reads 48 rows.

Existing done photos are filled here, 1,000 at a time by primary key, so a big table is never
one long UPDATE; new ones are filled when their result arrives (albums.outcomes).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce, Lower

BATCH = 1_000
UNDATED = models.ExpressionWrapper(
    models.Q(("taken_at__isnull", True)), output_field=models.BooleanField()
)


def place_done_photos(apps, schema_editor):
    Album = apps.get_model("albums", "Album")
    Photo = apps.get_model("albums", "Photo")
    owner = Album.objects.filter(pk=OuterRef("album_id")).values("owner_id")[:1]
    done = Photo.objects.filter(status="SUCCEEDED").order_by("pk")
    last = None
    while True:
        batch = done.filter(pk__gt=last) if last is not None else done
        ids = list(batch.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return
        Photo.objects.filter(pk__in=ids).update(
            timeline_owner_id=Subquery(owner),
            timeline_at=Coalesce("taken_at", "created_at"),
        )
        last = ids[-1]


class Migration(migrations.Migration):
    dependencies = [
        ("albums", "0008_photo_upload_album"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="timeline_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="photo",
            name="timeline_owner",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(place_done_photos, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                condition=models.Q(("timeline_owner__isnull", False)),
                fields=["timeline_owner", "-timeline_at", "-id"],
                name="photo_timeline",
            ),
        ),
        # An album's pages under each sort (albums.ordering.ALBUM_SORT_INDEXES).
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                models.F("album"),
                models.OrderBy(UNDATED),
                models.OrderBy(models.F("taken_at"), descending=True),
                models.OrderBy(models.F("created_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="photo_album_taken",
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                models.F("album"),
                models.OrderBy(UNDATED),
                models.OrderBy(models.F("taken_at")),
                models.OrderBy(models.F("created_at")),
                models.OrderBy(models.F("id")),
                name="photo_album_taken_reversed",
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                models.F("album"),
                models.OrderBy(Lower("original_filename")),
                models.OrderBy(models.F("id")),
                name="photo_album_name",
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                models.F("album"),
                models.OrderBy(Coalesce("file_size", "upload_size"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="photo_album_size",
            ),
        ),
    ]
