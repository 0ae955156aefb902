import uuid

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0003_coverage_public_id"),
    ]

    operations = [
        migrations.AlterField(
            model_name="coverage",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
