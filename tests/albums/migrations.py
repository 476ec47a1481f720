"""Running a data migration in a test: the database at one migration, then at another, then
back at the latest for the tests after (those need ``transaction=True``)."""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrated_to(app: str, migration: str) -> Apps:
    """Migrates the database to ``app``'s ``migration`` and returns the models as they were."""
    target = [(app, migration)]
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
