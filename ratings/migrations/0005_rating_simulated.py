"""Rating.simulated: the demo's made-up ratings, marked in the data.

SQLite adds a NOT NULL column by rebuilding the table, which drops the table's triggers; the
data revision triggers of 0002 are therefore created again after the change (both ways).
"""

import importlib

from django.db import migrations, models

revision_triggers = importlib.import_module("ratings.migrations.0002_campaign_data_revision")


def recreate_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL adds the column in place and keeps its triggers
    for name in revision_triggers.SQLITE_TRIGGER_NAMES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in revision_triggers._sqlite_triggers():
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('ratings', '0004_redaction_review'),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, recreate_sqlite_triggers),
        migrations.AddField(
            model_name='rating',
            name='simulated',
            field=models.BooleanField(default=False, help_text='Made up by the demo set-up, not given by a person; counted like any other rating.'),
        ),
        migrations.RunPython(recreate_sqlite_triggers, migrations.RunPython.noop),
    ]
