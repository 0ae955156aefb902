from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.errors import ApplicationError
from records import services
from records.access import Purpose, access_patient_record, care_patients
from records.models import AccessLog, BreakGlassGrant, Diagnosis, Drug, Encounter, FamilyMember, Patient


class FamilyLinkInline(admin.TabularInline):
    model = FamilyMember
    fk_name = "patient"
    extra = 0
    fields = ("account", "relationship", "is_guardian", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("account",)


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("mrn", "name", "sex", "date_of_birth", "phone", "national_id_masked", "created_at")
    list_filter = ("sex",)
    # name_initials lets staff find 张三明 by typing "zsm"; name_pinyin by "zhang".
    search_fields = ("mrn", "name", "name_initials", "name_pinyin", "phone", "insurance_number")
    readonly_fields = ("public_id", "mrn", "national_id_masked", "created_at", "updated_at", "created_by")
    fields = ("public_id", "mrn", "name", "sex", "date_of_birth", "phone", "national_id_masked", "insurance_number",
              "account", "created_by", "created_at", "updated_at")
    autocomplete_fields = ("account",)
    inlines = [FamilyLinkInline]
    list_select_related = ()
    show_full_result_count = False


@admin.register(FamilyMember)
class FamilyMemberAdmin(admin.ModelAdmin):
    list_display = ("patient", "account", "relationship", "is_guardian", "created_at")
    list_filter = ("relationship", "is_guardian")
    search_fields = ("patient__name", "patient__name_initials", "patient__mrn", "account__email", "account__phone")
    list_select_related = ("patient", "account")
    autocomplete_fields = ("patient", "account")


# --- The clinical record ---------------------------------------------------------------------------------------
# The admin is the hospital's control room, not a way around records.access: administrators search the audit
# trail and review emergency access, and keep the formulary. A note is opened here only by someone records.access
# lets read it (the read is logged like any other); a signed note is read-only, as everywhere.


class ClinicalRecordAdmin(admin.ModelAdmin):
    """A model admin for clinical content (notes, home readings, scores, alerts, targets).

    Only people with a clinical role (doctor, nurse) see it at all, whatever their model permissions or superuser
    status: for anyone else it has no list, no change or view page and no entry on the admin index (issue 8: no
    clinical content for an administrator without a clinical role). A clinician's list holds the patients they have
    a care relationship with (records.access.care_patients, one subquery), and opening a row goes through
    records.access like the portal: refused without a relationship, and every read and refusal audited.
    """

    clinical_object_type = "record"

    @staticmethod
    def is_clinician(request) -> bool:
        return request.user.is_active and request.user.is_clinician

    def has_module_permission(self, request):
        return self.is_clinician(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.is_clinician(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.is_clinician(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self.is_clinician(request) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return self.is_clinician(request) and super().has_delete_permission(request, obj)

    def patient_of(self, obj):
        return obj.patient

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not self.is_clinician(request):
            return queryset.none()
        if getattr(request, "_clinical_object_lookup", False):
            return queryset  # one row, checked (and the check audited) by get_object below
        return queryset.filter(patient__in=care_patients(user=request.user).values("pk"))

    def get_object(self, request, object_id, from_field=None):
        if not self.is_clinician(request):
            raise PermissionDenied  # every page of a row (change, history, delete): not for this person at all
        # A row outside the person's care is found, then refused and audited, rather than answered "not found".
        request._clinical_object_lookup = True
        try:
            obj = super().get_object(request, object_id, from_field)
        finally:
            request._clinical_object_lookup = False
        if obj is not None:
            try:
                access_patient_record(user=request.user, patient=self.patient_of(obj), purpose=Purpose.CARE,
                                      request=request, object_type=self.clinical_object_type,
                                      object_id=str(getattr(obj, "public_id", "") or obj.pk))
            except ApplicationError as exc:
                raise PermissionDenied(str(exc.message)) from exc
        return obj


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    """Search the audit trail: by patient (MRN, name), by staff member (email, name), by what and when."""

    list_display = ("at", "action", "actor", "actor_role", "actor_department", "patient_mrn", "object_type", "purpose",
                    "ip", "break_glass")
    list_filter = ("action", "actor_role", "purpose", "object_type", ("at", admin.DateFieldListFilter))
    search_fields = ("patient__mrn", "patient__name", "patient__name_initials", "actor__email", "actor__name", "object_id",
                     "ip", "reason")
    list_select_related = ("actor", "patient")
    date_hierarchy = "at"
    show_full_result_count = False
    fields = ("at", "action", "actor", "actor_role", "actor_department", "patient", "object_type", "object_id", "purpose",
              "reason", "grant", "ip", "user_agent")
    readonly_fields = fields

    @admin.display(description=_("MRN"), ordering="patient__mrn")
    def patient_mrn(self, entry):
        return entry.patient.mrn if entry.patient_id and entry.patient else ""

    @admin.display(description=_("emergency"), boolean=True)
    def break_glass(self, entry):
        return entry.grant_id is not None


class BreakGlassReviewForm(forms.ModelForm):
    class Meta:
        model = BreakGlassGrant
        fields = ("review_note",)


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(admin.ModelAdmin):
    """Emergency accesses awaiting review come first. Reviewing = reading the reason and what was read under the
    grant (the linked audit search), then saving a note; the grant itself never changes."""

    form = BreakGlassReviewForm
    list_display = ("granted_at", "doctor", "patient_mrn", "reason_short", "expires_at", "reviewed", "reviewed_by")
    list_filter = ("reviewed", ("granted_at", admin.DateFieldListFilter))
    search_fields = ("doctor__email", "doctor__name", "patient__mrn", "patient__name", "patient__name_initials", "reason")
    list_select_related = ("doctor", "patient", "reviewed_by")
    readonly_fields = ("doctor", "patient", "reason", "granted_at", "expires_at", "reviewed", "reviewed_by", "reviewed_at",
                       "reads_under_this_grant")
    fields = (*readonly_fields[:-1], "reads_under_this_grant", "review_note")
    actions = ["mark_reviewed"]

    def has_add_permission(self, request):
        return False  # granted by a doctor stating a reason, never by hand

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("MRN"), ordering="patient__mrn")
    def patient_mrn(self, grant):
        return grant.patient.mrn

    @admin.display(description=_("reason"))
    def reason_short(self, grant):
        return grant.reason if len(grant.reason) <= 60 else grant.reason[:59] + "…"

    @admin.display(description=_("what was read"))
    def reads_under_this_grant(self, grant):
        url = reverse("admin:records_accesslog_changelist") + f"?grant__id__exact={grant.pk}"
        count = AccessLog.objects.filter(grant=grant).count()
        return format_html('<a href="{}">{}</a>', url, ngettext("%(n)d audit entry", "%(n)d audit entries", count)
                           % {"n": count})

    def save_model(self, request, obj, form, change):
        services.break_glass_review(grant=obj, by=request.user, note=form.cleaned_data.get("review_note", ""))

    @admin.action(description=_("Mark as reviewed"), permissions=["change"])
    def mark_reviewed(self, request, queryset):
        grants = list(queryset.filter(reviewed=False))
        for grant in grants:
            services.break_glass_review(grant=grant, by=request.user, note=grant.review_note)
        self.message_user(request, ngettext("%(n)d emergency access marked as reviewed.",
                                            "%(n)d emergency accesses marked as reviewed.", len(grants)) % {"n": len(grants)})


@admin.register(Drug)
class DrugAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "generic_name", "form", "strength", "unit_price", "currency", "is_active")
    list_filter = ("form", "is_active")
    search_fields = ("code", "name", "generic_name", "allergy_classes")


class DiagnosisInline(admin.TabularInline):
    model = Diagnosis
    extra = 0
    fields = ("icd10_code", "description", "rank", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Encounter)
class EncounterAdmin(ClinicalRecordAdmin, ReadOnlyAdmin):
    """Notes are written and signed on the doctor's pages; here they are only read, by clinicians, through
    records.access (so the read is logged and refused to anyone without a care relationship). The list shows no
    clinical text."""

    clinical_object_type = "encounter"

    list_display = ("started_at", "patient_mrn", "author", "department_name", "version", "status", "signed_at")
    list_filter = ("status", "department_name")
    search_fields = ("patient__mrn", "patient__name", "patient__name_initials", "author__email", "author__name",
                     "=record_id")
    list_select_related = ("patient", "author")
    fields = ("public_id", "record_id", "version", "amends", "amendment_reason", "patient", "author", "external_author",
              "department_code", "department_name", "appointment_public_id", "status", "started_at", "signed_at",
              "signed_by", *Encounter.CLINICAL_FIELDS)
    readonly_fields = fields
    inlines = [DiagnosisInline]
    show_full_result_count = False

    @admin.display(description=_("MRN"), ordering="patient__mrn")
    def patient_mrn(self, encounter):
        return encounter.patient.mrn
