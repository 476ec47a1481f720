"""manage.py purge_rejected: deletes the originals of photos rejected more than
PHOTOSHARE_REJECTED_RETENTION_DAYS ago, keeping the photos and their reasons.

`make run` runs it at start and then hourly (scripts/run-local); in aws mode run it on a schedule
beside the web app (docs/deploy.md). Safe to run at any time and any number of times.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from albums.services import purge_rejected


class Command(BaseCommand):
    help = "Delete the stored originals of rejected photos older than the retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="retention in days (default: PHOTOSHARE_REJECTED_RETENTION_DAYS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days is None:
            days = settings.PHOTOSHARE_REJECTED_RETENTION_DAYS
        if days < 0:
            self.stderr.write("--days must be 0 or more")
            raise SystemExit(2)
        now = timezone.now()
        purged = purge_rejected(older_than=now - timedelta(days=days), now=now)
        self.stdout.write(
            f"Purged the originals of {purged} rejected photo(s) older than {days} day(s)."
        )
