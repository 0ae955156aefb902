"""Alert reasons stored as a code and its parameters instead of English text (shown in the reader's language), and
the time SpO2 Scale 2 was set beside who set it.

Existing alerts: the four English forms the scorer wrote are read back into (code, parameters)
(telemonitor.reasons.reason_parse_legacy); anything else is kept word for word as a ``legacy`` reason. Plans whose
scale was set before get the plan's creation time as the time it was set (the closest recorded time).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def reasons_forward(apps, schema_editor):
    from telemonitor.reasons import reason_parse_legacy

    Alert = apps.get_model("telemonitor", "Alert")
    for alert in Alert.objects.only("pk", "reason").iterator(chunk_size=2000):
        code, params = reason_parse_legacy(alert.reason)
        Alert.objects.filter(pk=alert.pk).update(reason_code=code, reason_params=params)
    MonitoringPlan = apps.get_model("telemonitor", "MonitoringPlan")
    MonitoringPlan.objects.filter(spo2_scale_set_by__isnull=False, spo2_scale_set_at__isnull=True).update(
        spo2_scale_set_at=models.F("created_at"))


def reasons_backward(apps, schema_editor):
    from django.utils import translation

    from telemonitor.reasons import reason_text

    Alert = apps.get_model("telemonitor", "Alert")
    with translation.override("en"):
        for alert in Alert.objects.only("pk", "reason_code", "reason_params").iterator(chunk_size=2000):
            Alert.objects.filter(pk=alert.pk).update(reason=reason_text(alert.reason_code, alert.reason_params)[:200])


class Migration(migrations.Migration):

    dependencies = [
        ("telemonitor", "0002_reading_integrity_per_statement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="reason_code",
            field=models.CharField(default="legacy", max_length=32, verbose_name="reason"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="alert",
            name="reason_params",
            field=models.JSONField(default=dict),
        ),
        migrations.AddField(
            model_name="monitoringplan",
            name="spo2_scale_set_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="SpO2 scale set"),
        ),
        migrations.AlterField(
            model_name="monitoringplan",
            name="spo2_scale_set_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to=settings.AUTH_USER_MODEL, verbose_name="SpO2 scale set by"),
        ),
        migrations.AlterField(
            model_name="alert",
            name="reason",
            field=models.CharField(blank=True, default="", max_length=200, verbose_name="reason"),
        ),
        migrations.RunPython(reasons_forward, reasons_backward),
        migrations.RemoveField(model_name="alert", name="reason"),
        migrations.AddConstraint(
            model_name="monitoringplan",
            constraint=models.CheckConstraint(
                condition=models.Q(("spo2_scale_set_by__isnull", True), ("spo2_scale_set_at__isnull", False),
                                   _connector="OR"),
                name="plan_spo2_scale_set_when"),
        ),
    ]
