"""The database cache's table (settings.CACHES), created by `migrate` so that every deployment and
`make run` has it without a separate `createcachetable` step."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor) -> None:
    # The table this migration's createcachetable made, by the name settings.CACHES gave it then.
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name('photoshare_cache')}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
