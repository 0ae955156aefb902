"""Registration pages (挂号): departments and the guide, doctors, sessions, booking, my appointments, the front desk.

Thin: each view reads with appointments.selectors, writes with appointments.services, and shows a
refusal (an ApplicationError) as a message on the same page, having changed nothing.
"""

import uuid
from datetime import date, timedelta
from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.roles import Role
from appointments import guide, payment_link, selectors, services
from appointments.errors import NotYourPatientError
from appointments.fees import registration_fee
from appointments.forms import CancelForm, ConfirmForm, GuideForm, PatientSearchForm, WalkInForm
from appointments.localtime import hospital_today
from appointments.models import ACTIVE_STATUSES, Appointment, SessionOfDay, Slot, SlotStatus
from core.errors import ApplicationError, NotFound, ValidationFailed
from records import selectors as records_selectors
from records import services as records_services
from records.models import Patient

# How many past appointments "My appointments" shows; older ones stay in the API.
PAST_SHOWN = 20


# --- Helpers ----------------------------------------------------------------------------------------

def _or_404(read, **kwargs):
    """A selector's NotFound as the portal's 404 page."""
    try:
        return read(**kwargs)
    except NotFound:
        raise Http404 from None


def _is_front_desk(user) -> bool:
    return user.is_authenticated and (user.has_role(Role.FRONT_DESK) or user.is_superuser)


def _front_desk_only(user) -> None:
    if not _is_front_desk(user):
        raise PermissionDenied


def _listed_patient(request: HttpRequest, public_id) -> Patient:
    """A patient the signed-in user may see named on a booking page: someone on their family list, or,
    at the front desk, any patient. Others raise NotYourPatientError, whether or not they exist."""
    if _is_front_desk(request.user):
        patient = Patient.objects.filter(public_id=public_id).first()
    else:
        member = records_selectors.family_member_list(account=request.user).filter(patient__public_id=public_id).first()
        patient = member.patient if member else None
    if patient is None:
        raise NotYourPatientError()
    return patient


def _parse_uuid_param(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        raise Http404 from None


def _horizon() -> tuple[date, date]:
    today = hospital_today()
    return today, today + timedelta(days=settings.BOOKING_HORIZON_DAYS)


def _refused(request, template: str, context: dict, error: ApplicationError) -> HttpResponse:
    """Show a service's refusal on the page it came from, with its status; nothing was changed."""
    context = {**context, "error": error.message}
    return render(request, template, context, status=error.http_status)


class _Mode:
    """Where a chosen slot leads: the normal way (choose who it is for), straight to confirming for a
    known patient (the front desk, or after choosing), or to moving an existing appointment."""

    def __init__(self, *, patient: Patient | None = None, moving: Appointment | None = None):
        self.patient = patient
        self.moving = moving

    @property
    def query(self) -> str:
        if self.moving is not None:
            return "?" + urlencode({"move": self.moving.public_id})
        if self.patient is not None:
            return "?" + urlencode({"for": self.patient.public_id})
        return ""

    def slot_url(self, slot: Slot) -> str:
        if self.moving is not None:
            return reverse("appointments:reschedule_confirm", args=[self.moving.public_id, slot.public_id])
        if self.patient is not None:
            return reverse("appointments:confirm", args=[slot.public_id]) + "?" + urlencode({"patient": self.patient.public_id})
        return reverse("appointments:choose_patient", args=[slot.public_id])


def _mode(request: HttpRequest, *, doctor=None) -> _Mode:
    """The ?for= / ?move= carried through the department, doctor and session pages."""
    move = _parse_uuid_param(request.GET.get("move"))
    if move is not None:
        if not request.user.is_authenticated:
            raise Http404
        appointment = _or_404(selectors.access_appointment, user=request.user, public_id=move)
        if doctor is not None and appointment.doctor_id != doctor.pk:
            raise Http404  # a move stays with the same doctor
        return _Mode(moving=appointment)
    patient_id = _parse_uuid_param(request.GET.get("for"))
    if patient_id is not None:
        if not request.user.is_authenticated:
            raise Http404
        try:
            return _Mode(patient=_listed_patient(request, patient_id))
        except NotYourPatientError:
            raise Http404 from None
    return _Mode()


# --- Departments, the guide, doctors, sessions --------------------------------------------------------

def department_list(request: HttpRequest) -> HttpResponse:
    form = GuideForm(request.GET if "guide" in request.GET else None)
    suggestions = None
    if form.is_bound and form.is_valid():
        suggestions = guide.department_suggestions(symptoms=form.cleaned_data["symptoms"],
                                                   age_years=form.cleaned_data["age"])
    mode = _mode(request)
    return render(request, "appointments/departments.html", {
        "departments": selectors.department_list(), "form": form, "suggestions": suggestions, "mode": mode,
    })


@require_safe  # a page to read: a POST to it is a 405, not the same page again
def doctor_list(request: HttpRequest, public_id) -> HttpResponse:
    department = selectors.department_list().filter(public_id=public_id).first()
    if department is None:
        raise Http404
    mode = _mode(request)
    doctors = selectors.doctor_list(department=department)
    return render(request, "appointments/doctors.html", {"department": department, "doctors": doctors, "mode": mode})


def _day_names(today: date) -> dict:
    return {"today": today, "tomorrow": today + timedelta(days=1)}


def _days(sessions, now) -> list[tuple[date, list]]:
    """Session summaries grouped by local date, each with its state for the template."""
    rows = [{"summary": s, "state": s.state(now), "label": SessionOfDay(s.session).label} for s in sessions]
    return [(day, list(items)) for day, items in groupby(rows, key=lambda r: r["summary"].date)]


@require_safe  # a page to read: a POST to it is a 405, not the same page again
def doctor_detail(request: HttpRequest, public_id) -> HttpResponse:
    doctor = _or_404(selectors.doctor_get, public_id=public_id)
    mode = _mode(request, doctor=doctor)
    date_from, date_to = _horizon()
    now = timezone.now()
    sessions = [s for s in selectors.session_list(date_from=date_from, date_to=date_to, doctor=doctor, now=now)
                if s.state(now) != "past"]
    return render(request, "appointments/doctor.html", {
        "doctor": doctor, "days": _days(sessions, now), "mode": mode, "fee": registration_fee(doctor=doctor),
        "horizon_days": settings.BOOKING_HORIZON_DAYS, **_day_names(date_from),
    })


def _slot_state(slot: Slot, now) -> str:
    if slot.status == SlotStatus.CANCELLED:
        return "cancelled"
    if slot.starts_at <= now:
        return "past"
    if slot.release_at > now:
        return "not_released"
    return "open" if slot.remaining > 0 else "full"


@require_safe  # a page to read: a POST to it is a 405, not the same page again
def session_detail(request: HttpRequest, public_id, day: str, session: str) -> HttpResponse:
    doctor = _or_404(selectors.doctor_get, public_id=public_id)
    try:
        day_date = date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    if session not in SessionOfDay.values:
        raise Http404
    mode = _mode(request, doctor=doctor)
    now = timezone.now()
    slots = [s for s in selectors.slot_list_for_day(doctor=doctor, date=day_date) if s.session == session]
    if not slots:
        raise Http404
    moving_from = mode.moving.slot_id if mode.moving is not None else None
    rows = [{"slot": s, "state": "current" if s.pk == moving_from else _slot_state(s, now), "url": mode.slot_url(s)}
            for s in slots]
    return render(request, "appointments/session.html", {
        "doctor": doctor, "day": day_date, "session": session, "session_label": SessionOfDay(session).label,
        "rows": rows, "mode": mode, "fee": registration_fee(doctor=doctor),
    })


# --- Booking ------------------------------------------------------------------------------------------

@login_required
@require_safe  # a page to read: a POST to it is a 405, not the same page again
def choose_patient(request: HttpRequest, public_id) -> HttpResponse:
    """Step 1 after choosing a time: who is the appointment for (self or someone on the family list)."""
    slot = _or_404(selectors.slot_get, public_id=public_id)
    members = records_selectors.family_member_list(account=request.user)
    return render(request, "appointments/choose_patient.html", {"slot": slot, "members": members})


def _confirm_context(request: HttpRequest, slot: Slot, patient: Patient | None, form: ConfirmForm | None) -> dict:
    back = _Mode(patient=patient).query if patient is not None and _is_front_desk(request.user) else ""
    return {"slot": slot, "patient": patient, "form": form, "fee": registration_fee(doctor=slot.doctor),
            "cutoff": services.cancel_cutoff(slot), "hold_minutes": settings.APPOINTMENT_HOLD_MINUTES,
            "back_query": back, "is_desk": _is_front_desk(request.user)}


@login_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, public_id) -> HttpResponse:
    """Step 2: check the details and confirm. The form's request_key books once however often it is sent."""
    slot = _or_404(selectors.slot_get, public_id=public_id)
    template = "appointments/confirm.html"
    if request.method == "POST":
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            raise BadRequest("confirm form without patient or request_key")
        patient = Patient.objects.filter(public_id=form.cleaned_data["patient"]).first()
        try:
            if patient is None:
                raise NotYourPatientError()  # the same answer as for a real patient who is not on the list
            appointment = services.appointment_book(patient=patient, slot=slot, booked_by=request.user,
                                                    request_key=form.cleaned_data["request_key"])
        except ApplicationError as error:
            try:
                shown = _listed_patient(request, form.cleaned_data["patient"])
            except NotYourPatientError:
                shown = None  # never name someone who is not on the list
            # Refused: say why and offer another time; the same confirm would be refused again.
            return _refused(request, template, _confirm_context(request, slot, shown, None), error)
        return _booked(request, appointment)

    patient_id = _parse_uuid_param(request.GET.get("patient"))
    if patient_id is None:
        return redirect("appointments:choose_patient", public_id=slot.public_id)
    try:
        patient = _listed_patient(request, patient_id)
    except NotYourPatientError as error:
        return _refused(request, template, _confirm_context(request, slot, None, None), error)
    form = ConfirmForm.fresh(patient_public_id=patient.public_id)
    return render(request, template, _confirm_context(request, slot, patient, form))


def _booked(request: HttpRequest, appointment: Appointment) -> HttpResponse:
    when = timezone.localtime(appointment.slot.starts_at)
    if appointment.status == "held":
        messages.success(request, _("A number with %(doctor)s at %(when)s is held for %(name)s. Pay the registration fee "
                                    "by %(until)s to keep it.") % {
            "doctor": appointment.doctor.user.name, "when": when.strftime("%Y-%m-%d %H:%M"),
            "name": appointment.patient.name,
            "until": timezone.localtime(appointment.hold_expires_at).strftime("%H:%M")})
    else:
        messages.success(request, _("Booked: %(name)s with %(doctor)s at %(when)s.") % {
            "name": appointment.patient.name, "doctor": appointment.doctor.user.name,
            "when": when.strftime("%Y-%m-%d %H:%M")})
    if _is_front_desk(request.user):
        return redirect("appointments:desk_patient", public_id=appointment.patient.public_id)
    pay = payment_link.pay_url(appointment=appointment)
    if pay:  # a number with a fee: straight on to paying it (payments' page, through the hook)
        return redirect(pay)
    return redirect(reverse("appointments:mine") + f"#a-{appointment.public_id}")


# --- My appointments ---------------------------------------------------------------------------------

@login_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    upcoming = list(selectors.appointment_list_for_account(account=request.user, upcoming=True))
    past = list(selectors.appointment_list_for_account(account=request.user, upcoming=False)[:PAST_SHOWN])
    now = timezone.now()
    for appointment in upcoming:
        appointment.changeable = appointment.status in services.CANCELLABLE_STATUSES
        appointment.cutoff = services.cancel_cutoff(appointment.slot)
        appointment.cutoff_passed = now >= appointment.cutoff
        appointment.pay_url = payment_link.pay_url(appointment=appointment)
    return render(request, "appointments/mine.html", {"upcoming": upcoming, "past": past})


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, public_id) -> HttpResponse:
    appointment = _or_404(selectors.access_appointment, user=request.user, public_id=public_id)
    form = CancelForm(request.POST if request.method == "POST" else None)
    context = {"appointment": appointment, "form": form, "cutoff": services.cancel_cutoff(appointment.slot)}
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(appointment=appointment, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            return _refused(request, "appointments/cancel.html", context, error)
        messages.success(request, _("The appointment of %(name)s with %(doctor)s has been cancelled.") % {
            "name": appointment.patient.name, "doctor": appointment.doctor.user.name})
        return redirect("appointments:mine")
    return render(request, "appointments/cancel.html", context)


@login_required
def reschedule(request: HttpRequest, public_id) -> HttpResponse:
    """Choosing another time with the same doctor: the doctor's sessions, in 'move' mode."""
    appointment = _or_404(selectors.access_appointment, user=request.user, public_id=public_id)
    query = urlencode({"move": appointment.public_id})
    return redirect(reverse("appointments:doctor", args=[appointment.doctor.public_id]) + f"?{query}")


@login_required
@require_http_methods(["GET", "POST"])
def reschedule_confirm(request: HttpRequest, public_id, slot_id) -> HttpResponse:
    appointment = _or_404(selectors.access_appointment, user=request.user, public_id=public_id)
    slot = _or_404(selectors.slot_get, public_id=slot_id)
    if slot.doctor_id != appointment.doctor_id:
        raise Http404
    context = {"appointment": appointment, "slot": slot, "fee": registration_fee(doctor=slot.doctor)}
    if request.method == "POST":
        try:
            moved = services.appointment_reschedule(appointment=appointment, new_slot=slot, by=request.user)
        except ApplicationError as error:
            return _refused(request, "appointments/reschedule_confirm.html", context, error)
        messages.success(request, _("Moved: %(name)s now sees %(doctor)s at %(when)s.") % {
            "name": moved.patient.name, "doctor": moved.doctor.user.name,
            "when": timezone.localtime(moved.slot.starts_at).strftime("%Y-%m-%d %H:%M")})
        return redirect(reverse("appointments:mine") + f"#a-{moved.public_id}")
    return render(request, "appointments/reschedule_confirm.html", context)


# --- Front desk -------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest) -> HttpResponse:
    """Find a patient (name, pinyin initials, phone, MRN) or register a walk-in."""
    _front_desk_only(request.user)
    search = PatientSearchForm(request.GET if "q" in request.GET else None)
    results = None
    if search.is_bound and search.is_valid():
        results = list(selectors.patient_search(query=search.cleaned_data["q"]))
    walk_in = WalkInForm(request.POST or None)
    if request.method == "POST" and walk_in.is_valid():
        data = walk_in.cleaned_data
        try:
            details = records_services.patient_details_check(
                name=data["name"], sex=data["sex"] or None, date_of_birth=data["date_of_birth"], phone=data["phone"],
                national_id=data["national_id"], insurance_number=data["insurance_number"])
            patient = records_services.patient_create(details=details, created_by=request.user)
        except ValidationFailed as exc:
            walk_in.apply_service_errors(exc)
        else:
            messages.success(request, _("%(name)s is registered with MRN %(mrn)s. Now choose a time.") % {
                "name": patient.name, "mrn": patient.mrn})
            return redirect("appointments:desk_patient", public_id=patient.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "appointments/desk.html",
                  {"search": search, "results": results, "walk_in": walk_in}, status=status)


@login_required
@require_safe  # a page to read: a POST to it is a 405, not the same page again
def desk_patient(request: HttpRequest, public_id) -> HttpResponse:
    """One patient at the desk: their coming appointments, and today's and upcoming sessions to book."""
    _front_desk_only(request.user)
    patient = Patient.objects.filter(public_id=public_id).first()
    if patient is None:
        raise Http404
    now = timezone.now()
    coming = (Appointment.objects.filter(patient=patient, status__in=ACTIVE_STATUSES, slot__ends_at__gt=now)
              .select_related("slot", "doctor__user", "doctor__department").order_by("slot__starts_at"))
    departments = list(selectors.department_list())
    department_id = _parse_uuid_param(request.GET.get("department"))
    department = next((d for d in departments if d.public_id == department_id), None)
    days = []
    doctors = {}
    if department is not None:
        date_from, date_to = _horizon()
        doctors = {d.pk: d for d in selectors.doctor_list(department=department, now=now)}
        sessions = [s for s in selectors.session_list(date_from=date_from, date_to=date_to, department=department, now=now)
                    if s.state(now) != "past" and s.doctor_id in doctors]
        days = [(day, [{**row, "doctor": doctors[row["summary"].doctor_id]} for row in rows])
                for day, rows in _days(sessions, now)]
    return render(request, "appointments/desk_patient.html", {
        "patient": patient, "coming": coming, "departments": departments, "department": department,
        "days": days, "mode": _Mode(patient=patient), **_day_names(hospital_today()),
    })
