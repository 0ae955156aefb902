"""Admin: devices (revoke), monitoring plans and targets; readings and scores read-only; alerts with acknowledge."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from telemonitor.models import Alert, Device, MonitoringPlan, PatientTarget, Reading, Score
from telemonitor.services import alerts, devices


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("serial", "kind", "patient", "label", "paired_at", "last_seen_at", "revoked_at")
    list_filter = ("kind",)
    search_fields = ("serial", "patient__mrn", "patient__name")
    list_select_related = ("patient",)
    readonly_fields = ("public_id", "kind", "serial", "patient", "paired_at", "paired_by", "revoked_at", "last_seen_at")
    fields = ("public_id", "kind", "serial", "patient", "label", "paired_at", "paired_by", "last_seen_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # pairing issues the token, which has to be shown to someone: done in the portal

    def has_delete_permission(self, request, obj=None):
        return False  # readings keep their device; revoke instead

    @admin.action(description=_("Revoke the selected devices (their tokens stop working)"), permissions=["change"])
    def revoke(self, request, queryset):
        for device in queryset:
            devices.device_revoke(device=device)
        self.message_user(request, _("Revoked %(count)d device(s).") % {"count": queryset.count()})


@admin.register(Reading)
class ReadingAdmin(ReadOnlyAdmin):
    list_display = ("measured_at", "patient", "kind", "value", "value2", "acvpu", "category", "raw_value", "raw_unit",
                    "received_at", "scored_at")
    list_filter = ("kind", "category")
    search_fields = ("patient__mrn", "device__serial", "device_reading_id")
    list_select_related = ("patient",)
    raw_id_fields = ("patient", "device")
    show_full_result_count = False
    date_hierarchy = "measured_at"


@admin.register(Score)
class ScoreAdmin(ReadOnlyAdmin):
    list_display = ("at", "patient", "total", "risk", "partial", "algorithm_version")
    list_filter = ("risk", "partial", "algorithm_version")
    search_fields = ("patient__mrn",)
    list_select_related = ("patient",)
    show_full_result_count = False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("last_seen_at", "patient", "kind", "severity", "status", "occurrences", "reason", "ack_due_at",
                    "acknowledged_by")
    list_filter = ("status", "severity", "kind")
    search_fields = ("patient__mrn", "patient__name")
    list_select_related = ("patient", "acknowledged_by")
    readonly_fields = [f.name for f in Alert._meta.fields]
    actions = ["acknowledge"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Acknowledge the selected alerts"), permissions=["change"])
    def acknowledge(self, request, queryset):
        done = 0
        for alert in queryset:
            try:
                alerts.alert_acknowledge(alert=alert, by=request.user, note=str(_("Acknowledged in the admin site")))
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{alert}: {exc.message}", level=messages.WARNING)
        self.message_user(request, _("Acknowledged %(count)d alert(s).") % {"count": done})


@admin.register(MonitoringPlan)
class MonitoringPlanAdmin(admin.ModelAdmin):
    list_display = ("patient", "kind", "lead_doctor", "department_code", "spo2_scale", "starts_on", "ends_on")
    list_filter = ("kind", "spo2_scale")
    search_fields = ("patient__mrn", "patient__name", "lead_doctor__email")
    list_select_related = ("patient", "lead_doctor")
    autocomplete_fields = ("patient", "lead_doctor", "care_team")
    readonly_fields = ("spo2_scale", "spo2_scale_set_by")  # scale 2 is set by a clinician in the portal, recorded


@admin.register(PatientTarget)
class PatientTargetAdmin(admin.ModelAdmin):
    list_display = ("patient", "parameter", "low", "high", "set_by", "set_at")
    list_filter = ("parameter",)
    search_fields = ("patient__mrn",)
    list_select_related = ("patient", "set_by")
    autocomplete_fields = ("patient",)
    readonly_fields = ("set_by",)

    def save_model(self, request, obj, form, change):
        obj.set_by = request.user
        super().save_model(request, obj, form, change)
