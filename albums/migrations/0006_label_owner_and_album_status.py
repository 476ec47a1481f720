"""Search reads the user's own labels by index, and an album's statuses are one index.

PostgreSQL at 10,000 photos (docs/performance.md): the term index read every user's rows for a
term and search then scanned every photo; suggestions scanned every label. PhotoLabel gets its
photo's owner (copied from the album for existing rows) leading both of its indexes.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def owners_from_albums(apps, schema_editor):
    """Existing terms take the owner of their photo's album."""
    Photo = apps.get_model("albums", "Photo")
    owner = Photo.objects.filter(pk=OuterRef("photo_id")).values("album__owner_id")[:1]
    apps.get_model("albums", "PhotoLabel").objects.update(owner_id=Subquery(owner))


class Migration(migrations.Migration):
    dependencies = [
        ("albums", "0005_photo_original_purged_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="photolabel",
            name="owner",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(owners_from_albums, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="photolabel",
            name="owner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RemoveIndex(
            model_name="photolabel",
            name="photo_label_term",
        ),
        migrations.AddIndex(
            model_name="photolabel",
            index=models.Index(fields=["owner", "term_key"], name="photo_label_owner_term"),
        ),
        migrations.AddIndex(
            model_name="photolabel",
            index=models.Index(
                fields=["owner", "is_parent", "term"], name="photo_label_owner_terms"
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(fields=["album", "status"], name="photo_album_status"),
        ),
    ]
