"""Admin: devices (revoke) and monitoring plans for everyone with the permission; readings, scores, alerts and
targets are clinical content, for clinicians only (records.admin.ClinicalRecordAdmin: a doctor's or nurse's list
holds the patients in their care, and each row opened is checked and audited by records.access)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_actions import act_on_all_or_report
from records.admin import ClinicalRecordAdmin
from telemonitor.models import Alert, Device, MonitoringPlan, PatientTarget, Reading, Score
from telemonitor.services import alerts, devices, plans

PATIENT_SEARCH = ("patient__mrn", "patient__name", "patient__name_initials", "patient__name_pinyin")


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
    list_filter = ("kind", ("revoked_at", admin.EmptyFieldListFilter), ("last_seen_at", admin.DateFieldListFilter))
    search_fields = ("serial", *PATIENT_SEARCH)
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
        count = 0
        for device in queryset:
            devices.device_revoke(device=device)
            count += 1
        self.message_user(request, ngettext("Revoked %(count)d device.", "Revoked %(count)d devices.", count)
                          % {"count": count})


@admin.register(Reading)
class ReadingAdmin(ClinicalRecordAdmin, ReadOnlyAdmin):
    clinical_object_type = "reading"
    list_display = ("measured_at", "patient", "kind", "value", "value2", "acvpu", "category", "raw_value", "raw_unit",
                    "received_at", "scored_at")
    list_filter = ("kind", "category")
    search_fields = ("patient__mrn", "patient__name_initials", "device__serial", "device_reading_id")
    list_select_related = ("patient",)
    raw_id_fields = ("patient", "device")
    show_full_result_count = False
    date_hierarchy = "measured_at"


@admin.register(Score)
class ScoreAdmin(ClinicalRecordAdmin, ReadOnlyAdmin):
    clinical_object_type = "score"
    list_display = ("at", "patient", "total", "risk", "partial", "algorithm_version")
    list_filter = ("risk", "partial", "algorithm_version")
    search_fields = ("patient__mrn", "patient__name_initials")
    list_select_related = ("patient",)
    show_full_result_count = False


@admin.register(Alert)
class AlertAdmin(ClinicalRecordAdmin):
    clinical_object_type = "alert"
    list_display = ("last_seen_at", "patient", "kind", "severity", "status", "occurrences", "reason", "ack_due_at",
                    "acknowledged_by")
    list_filter = ("status", "severity", "kind")
    search_fields = PATIENT_SEARCH
    list_select_related = ("patient", "acknowledged_by")
    readonly_fields = [*(f.name for f in Alert._meta.fields), "reason"]
    actions = ["acknowledge"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Acknowledge the selected alerts"), permissions=["change"])
    def acknowledge(self, request, queryset):
        # All or nothing: one alert that cannot be acknowledged (closed meanwhile) leaves every other one as it was.
        done = act_on_all_or_report(
            self, request, list(queryset.select_related("patient")),
            lambda alert: alerts.alert_acknowledge(alert=alert, by=request.user,
                                                   note=str(_("Acknowledged in the admin site"))))
        if done is not None:
            self.message_user(request, ngettext("Acknowledged %(count)d alert.", "Acknowledged %(count)d alerts.",
                                                len(done)) % {"count": len(done)})


@admin.register(MonitoringPlan)
class MonitoringPlanAdmin(admin.ModelAdmin):
    """Plans are services the hospital sells (their kind is what is charged); the SpO2 scale is a clinical judgement
    (hypercapnic respiratory failure) and is shown to clinicians only."""

    CLINICAL_FIELDS = frozenset({"spo2_scale", "spo2_scale_set_by", "spo2_scale_set_at"})
    list_display = ("patient", "kind", "lead_doctor", "department_code", "spo2_scale", "starts_on", "ends_on")
    list_filter = ("kind", "spo2_scale", ("ends_on", admin.EmptyFieldListFilter))
    search_fields = (*PATIENT_SEARCH, "lead_doctor__email", "lead_doctor__name")
    list_select_related = ("patient", "lead_doctor")
    autocomplete_fields = ("patient", "lead_doctor", "care_team")
    # Scale 2 is set by a clinician in the portal, recorded with who and when.
    readonly_fields = ("spo2_scale", "spo2_scale_set_by", "spo2_scale_set_at", "created_by")

    def _without_clinical(self, request, names):
        if request.user.is_clinician:
            return names
        return type(names)(name for name in names if (name[0] if isinstance(name, tuple) else name)
                           not in self.CLINICAL_FIELDS)

    def get_list_display(self, request):
        return self._without_clinical(request, super().get_list_display(request))

    def get_list_filter(self, request):
        return self._without_clinical(request, super().get_list_filter(request))

    def get_fields(self, request, obj=None):
        return self._without_clinical(request, list(super().get_fields(request, obj)))

    def get_readonly_fields(self, request, obj=None):
        return self._without_clinical(request, tuple(super().get_readonly_fields(request, obj)))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change:  # an enrolment made here is announced like one from the portal (payments charges its fee)
            plans.plan_enrolled_announce(plan=obj, by=request.user)


@admin.register(PatientTarget)
class PatientTargetAdmin(ClinicalRecordAdmin):
    clinical_object_type = "monitoring_target"
    list_display = ("patient", "parameter", "low", "high", "set_by", "set_at")
    list_filter = ("parameter",)
    search_fields = ("patient__mrn", "patient__name_initials")
    list_select_related = ("patient", "set_by")
    autocomplete_fields = ("patient",)
    readonly_fields = ("set_by",)

    def save_model(self, request, obj, form, change):
        obj.set_by = request.user
        super().save_model(request, obj, form, change)
