"""The what-if rows also hold the case's stored targets, and exist for the case's own package too,
so that a what-if reads only them, found by their reseller. The rows made before hold no stored targets: they are derived
data (caredesk/reports/models.py), so they are deleted and made again by the next what-if or the
worker's preparation."""

from django.db import migrations, models


def forget_rows(apps, schema_editor):  # noqa: ANN001
    apps.get_model("reports", "WhatIfReplay").objects.all().delete()


KINDS = ("response", "restoration", "resolution")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_redundant_indexes"),
    ]

    operations = [
        migrations.RunPython(forget_rows, migrations.RunPython.noop),
        *(
            operation
            for kind in KINDS
            for operation in (
                migrations.AddField(
                    model_name="whatifreplay",
                    name=f"actual_{kind}_state",
                    field=models.CharField(default="not_applicable", max_length=16),
                    preserve_default=False,
                ),
                migrations.AddField(
                    model_name="whatifreplay",
                    name=f"actual_{kind}_due_at",
                    field=models.DateTimeField(null=True),
                ),
            )
        ),
        migrations.AddIndex(
            model_name="whatifreplay",
            index=models.Index(fields=["reseller", "package"], name="whatif_reseller_package"),
        ),
    ]
