"""Running a data migration in a test: the database at one migration, then at another, then
back at the latest for the tests after (those need ``transaction=True``)."""

from __future__ import annotations

from typing import Any

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrated_to(app: str, migration: str) -> Apps:
    """Migrates the database to ``app``'s ``migration`` and returns the models as they were."""
    target = [(app, migration)]
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def photo_in_new_album(apps: Apps, album_name: str) -> Any:
    """A photo in a new album of a new user (alice@example.com), made with the models as they
    were at a migration; its ``album.owner_id`` is the user's."""
    user = apps.get_model("accounts", "User").objects.create(email="alice@example.com")
    album = apps.get_model("albums", "Album").objects.create(owner_id=user.pk, name=album_name)
    return apps.get_model("albums", "Photo").objects.create(album=album, original_filename="a")


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
