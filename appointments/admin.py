"""Django admin for registration: departments, rooms, doctors and their schedules, slots, appointments.

Slots and appointments are read-mostly here: they change only through the services (the
generator, session_cancel, the booking pages). The two long or far-reaching acts are actions:
"generate slots for the next N days" runs as a Celery task whose progress page polls the cache,
and "cancel this session" asks for a reason before calling session_cancel. Every changelist
selects its related rows in the same query, so a page of 100 rows costs what a page of 1 does.
"""

import uuid
from dataclasses import dataclass
from datetime import date

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from appointments import services, tasks
from appointments.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentEvent,
    ConsultingRoom,
    Department,
    DoctorProfile,
    ScheduleException,
    ScheduleTemplate,
    SessionOfDay,
    Slot,
)
from core.admin_actions import act_on_all_or_report
from core.outbox import enqueue

MAX_GENERATE_DAYS = 90


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "location", "queue_prefix", "is_active", "sort_order")
    list_editable = ("sort_order", "is_active")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(ConsultingRoom)
class ConsultingRoomAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "department", "location", "is_active")
    list_filter = ("department", "is_active")
    list_select_related = ("department",)
    search_fields = ("code", "name", "department__name_zh", "department__name_en")
    autocomplete_fields = ("department",)


# --- "Generate slots for the next N days" -------------------------------------------------------------

class GenerateSlotsForm(forms.Form):
    days = forms.IntegerField(label=gettext_lazy("Days ahead, from today"), min_value=1, max_value=MAX_GENERATE_DAYS,
                              initial=lambda: settings.BOOKING_HORIZON_DAYS)


def _may_manage_slots(request: HttpRequest) -> bool:
    return request.user.has_perm("appointments.change_slot")


class GenerateSlotsAction:
    """Mixin for the admins whose rows name doctors (doctors, templates): the generate-slots action."""

    actions = ["generate_slots"]

    def doctor_ids_of(self, queryset: QuerySet) -> list[int]:
        raise NotImplementedError

    def has_generate_permission(self, request: HttpRequest) -> bool:
        return _may_manage_slots(request)

    @admin.action(description=gettext_lazy("Generate slots for the next N days"), permissions=["generate"])
    def generate_slots(self, request: HttpRequest, queryset: QuerySet):
        form = GenerateSlotsForm(request.POST if "days" in request.POST else None)
        if form.is_valid():
            job_id = uuid.uuid4().hex
            doctor_ids = self.doctor_ids_of(queryset)
            tasks.slotgen_progress_set(job_id, state="queued", total=len(doctor_ids))
            enqueue(tasks.slots_generate, job_id, doctor_ids, form.cleaned_data["days"])
            return HttpResponseRedirect(reverse("admin:appointments_slot_generation", args=[job_id]))
        return TemplateResponse(request, "admin/appointments/generate_slots.html", {
            **self.admin_site.each_context(request),
            "title": _("Generate slots"), "opts": self.model._meta, "form": form, "queryset": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        })


class ScheduleTemplateInline(admin.TabularInline):
    model = ScheduleTemplate
    extra = 0
    fields = ("weekday", "session", "start_time", "end_time", "slot_minutes", "numbers_per_slot", "room", "valid_from",
              "valid_to", "is_active")
    autocomplete_fields = ("room",)
    show_change_link = True


@admin.register(DoctorProfile)
class DoctorProfileAdmin(GenerateSlotsAction, admin.ModelAdmin):
    list_display = ("user", "department", "title", "is_active")
    list_filter = ("department", "title", "is_active")
    search_fields = ("user__name", "user__email", "user__phone", "specialties", "department__name_zh",
                     "department__name_en")
    list_select_related = ("user", "department")
    autocomplete_fields = ("user", "department")
    inlines = [ScheduleTemplateInline]

    def doctor_ids_of(self, queryset):
        return list(queryset.values_list("pk", flat=True))


@admin.register(ScheduleTemplate)
class ScheduleTemplateAdmin(GenerateSlotsAction, admin.ModelAdmin):
    list_display = ("doctor", "weekday", "session", "start_time", "end_time", "slot_minutes", "numbers_per_slot", "room",
                    "valid_from", "valid_to", "is_active")
    list_filter = ("doctor__department", "weekday", "session", "is_active")
    search_fields = ("doctor__user__name",)
    list_select_related = ("doctor__user", "room")
    autocomplete_fields = ("doctor", "room")

    def doctor_ids_of(self, queryset):
        return sorted(set(queryset.values_list("doctor_id", flat=True)))


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "doctor", "session", "start_time", "end_time", "room", "reason")
    list_filter = ("kind", ("date", admin.DateFieldListFilter), "session")
    search_fields = ("doctor__user__name", "reason")
    list_select_related = ("doctor__user", "room")
    autocomplete_fields = ("doctor", "room")
    readonly_fields = ("created_by", "created_at")
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# --- Slots: read-mostly, with "cancel this session" ---------------------------------------------------

class CancelSessionForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason, as the patients will read it"), max_length=200,
                             widget=forms.TextInput(attrs={"size": 60}))


@dataclass(frozen=True)
class SessionRef:
    doctor: DoctorProfile
    date: date
    session: str
    active: int

    @property
    def session_label(self) -> str:
        return SessionOfDay(self.session).label


class SlotAdminForm(forms.ModelForm):
    class Meta:
        model = Slot
        fields = ("room", "capacity")

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if capacity < self.instance.booked:
            raise forms.ValidationError(_("%(n)d numbers are already booked; the slot cannot have fewer.")
                                        % {"n": self.instance.booked})
        return capacity


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    form = SlotAdminForm
    list_display = ("starts_at", "doctor", "department", "session", "room", "booked", "capacity", "status", "release_at")
    list_filter = ("department", ("date", admin.DateFieldListFilter), "status", "session")
    search_fields = ("doctor__user__name",)
    list_select_related = ("doctor__user", "department", "room")
    date_hierarchy = "date"
    ordering = ("starts_at", "doctor")
    actions = ["cancel_sessions"]
    readonly_fields = ("public_id", "doctor", "department", "template", "date", "session", "starts_at", "ends_at",
                       "booked", "release_at", "status", "cancelled_at", "cancel_reason", "created_at")
    fields = (*readonly_fields[:6], "room", "capacity", *readonly_fields[6:])

    def has_add_permission(self, request):
        return False  # slots are made by the generator, from the schedule templates

    def has_delete_permission(self, request, obj=None):
        return False  # a session is cancelled (patients told), never deleted

    def has_cancel_permission(self, request):
        return _may_manage_slots(request)

    def save_model(self, request, obj, form, change):
        # Only room and capacity change here, and capacity only while it stays above the booked count:
        # a conditional UPDATE, so a booking that lands between the form and the save is not overrun.
        updated = Slot.objects.filter(pk=obj.pk, booked__lte=obj.capacity).update(room=obj.room, capacity=obj.capacity)
        if not updated:
            messages.error(request, _("More numbers were booked in the meantime; the capacity was not changed."))

    @admin.action(description=gettext_lazy("Cancel this session (all its appointments)"), permissions=["cancel"])
    def cancel_sessions(self, request: HttpRequest, queryset: QuerySet[Slot]):
        sessions = self._sessions_of(queryset)
        form = CancelSessionForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            # All or nothing: a session that cannot be cancelled leaves every other one as it was, and is named.
            counts = act_on_all_or_report(
                self, request, sessions,
                lambda ref: services.session_cancel(doctor=ref.doctor, date=ref.date, session=ref.session,
                                                    by=request.user, reason=form.cleaned_data["reason"]),
                describe=lambda ref: f"{ref.doctor.user.name} {ref.date} {ref.session_label}")
            if counts is None:
                return None
            cancelled = sum(counts)
            # Two numbers, each with its own plural ("1 session and 4 appointments").
            self.message_user(request, _("Cancelled %(sessions)s and %(appointments)s; the patients have been notified.") % {
                "sessions": ngettext("%(count)d session", "%(count)d sessions", len(sessions)) % {"count": len(sessions)},
                "appointments": ngettext("%(count)d appointment", "%(count)d appointments", cancelled) % {"count": cancelled},
            }, messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/appointments/cancel_sessions.html", {
            **self.admin_site.each_context(request),
            "title": _("Cancel sessions"), "opts": self.model._meta, "form": form, "sessions": sessions,
            "queryset": queryset, "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "affected": sum(ref.active for ref in sessions),
        })

    def _sessions_of(self, queryset: QuerySet[Slot]) -> list[SessionRef]:
        """The distinct (doctor, date, session) of the selected slots, with each whole session's active appointments."""
        keys = list(queryset.order_by().values_list("doctor_id", "date", "session").distinct())
        if not keys:
            return []
        doctors = DoctorProfile.objects.select_related("user").in_bulk({doctor_id for doctor_id, _d, _s in keys})
        match = Q()
        for doctor_id, day, session in keys:
            match |= Q(doctor_id=doctor_id, date=day, session=session)
        active = {(r["doctor_id"], r["date"], r["session"]): r["n"] for r in
                  Appointment.objects.filter(match, status__in=ACTIVE_STATUSES)
                  .values("doctor_id", "date", "session").annotate(n=Count("pk"))}
        return [SessionRef(doctors[doctor_id], day, session, active.get((doctor_id, day, session), 0))
                for doctor_id, day, session in sorted(keys, key=lambda k: (k[1], k[2], k[0]))]

    # The progress page of a slot-generation job, and the JSON it polls.

    def get_urls(self):
        return [
            path("generation/<slug:job_id>/", self.admin_site.admin_view(self.generation_view),
                 name="appointments_slot_generation"),
            path("generation/<slug:job_id>/progress/", self.admin_site.admin_view(self.generation_progress_view),
                 name="appointments_slot_generation_progress"),
            *super().get_urls(),
        ]

    def _job_progress(self, request: HttpRequest, job_id: str) -> dict:
        if not self.has_view_permission(request):
            raise Http404
        progress = tasks.slotgen_progress_get(job_id)
        if progress is None:
            raise Http404
        return progress

    def generation_view(self, request: HttpRequest, job_id: str) -> HttpResponse:
        progress = self._job_progress(request, job_id)
        return TemplateResponse(request, "admin/appointments/slot_generation.html", {
            **self.admin_site.each_context(request),
            "title": _("Generating slots"), "opts": self.model._meta, "job_id": job_id, "progress": progress,
            "progress_url": reverse("admin:appointments_slot_generation_progress", args=[job_id]),
        })

    def generation_progress_view(self, request: HttpRequest, job_id: str) -> JsonResponse:
        progress = self._job_progress(request, job_id)
        total = progress.get("total") or 0
        percent = 100 if progress["state"] == "done" else (100 * progress.get("done", 0) // total if total else 0)
        return JsonResponse({**progress, "percent": percent})


# --- Appointments: read-only, with their history ---------------------------------------------------------

class AppointmentEventInline(admin.TabularInline):
    model = AppointmentEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "by", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ("slot_starts_at", "patient", "doctor", "department", "status", "fee", "created_at")
    list_filter = ("status", "doctor__department", ("date", admin.DateFieldListFilter), "session")
    # name_initials lets staff find 张三明 by typing "zsm".
    search_fields = ("patient__name", "patient__name_initials", "patient__name_pinyin", "patient__mrn", "patient__phone",
                     "doctor__user__name")
    list_select_related = ("patient", "slot", "doctor__user", "doctor__department")
    date_hierarchy = "date"
    ordering = ("-date", "slot__starts_at")
    inlines = [AppointmentEventInline]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Appointment._meta.fields]

    def has_add_permission(self, request):
        return False  # bookings are made through the booking pages and the front desk, which keep the rules

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("time"), ordering="slot__starts_at")
    def slot_starts_at(self, obj: Appointment):
        return obj.slot.starts_at

    @admin.display(description=gettext_lazy("department"), ordering="doctor__department")
    def department(self, obj: Appointment):
        return obj.doctor.department

from appointments.queue import admin as queue_admin  # noqa: E402, F401  (service points and tickets)
