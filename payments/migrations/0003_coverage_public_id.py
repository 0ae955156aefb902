"""Coverage.public_id: the id patients' pages and the API name a coverage by (never the row's pk).

Added empty and filled here; made unique in 0004 (PostgreSQL refuses to alter a table with pending trigger events
in the migration that wrote its rows)."""

import uuid

from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    Coverage = apps.get_model("payments", "Coverage")
    for coverage in Coverage.objects.filter(public_id__isnull=True).only("pk"):
        coverage.public_id = uuid.uuid4()
        coverage.save(update_fields=["public_id"])


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0002_payment_event_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="coverage",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
    ]
