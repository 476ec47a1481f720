"""Search terms from labels under the pipeline's minimum confidence go (issue 13).

The local recognizer used to store labels down to 28%; nothing under
PHOTOSHARE_RECOGNITION_MIN_CONFIDENCE (60) is shown now, so nothing under it is searched either.
A term's confidence is its most confident label's (a parent's too), and an own tag's is 100, so
one DELETE removes exactly the terms only such labels gave. ``Photo.labels`` keeps what the
recognizer said; the reading filters it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import migrations


def forget_unsure_terms(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    floor = settings.PHOTOSHARE_PIPELINE.min_confidence
    apps.get_model("albums", "PhotoLabel").objects.filter(confidence__lt=floor).delete()


class Migration(migrations.Migration):
    dependencies = [("albums", "0010_label_corrections")]

    operations = [migrations.RunPython(forget_unsure_terms, migrations.RunPython.noop)]
