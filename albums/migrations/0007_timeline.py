"""The timeline: every done photo gets its owner and its time (taken, or uploaded when the file
does not say) in columns one index serves, so a person's photos across albums are one range.

Existing done photos are filled here, 1,000 at a time by primary key, so a big table is never
one long UPDATE; new ones are filled when their result arrives (albums.outcomes).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

BATCH = 1_000


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
        ("albums", "0006_label_owner_and_album_status"),
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
    ]
