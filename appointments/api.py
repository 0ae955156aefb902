"""Registration API (/api/v1/appointments/): one APIView per operation, thin over selectors and services.

Ids are public UUIDs. A refusal is the service's ApplicationError, rendered by the project's handler
as problem+json with its code and status (409 taken/closed, 403 not your patient, 404 not found).
"""

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role
from appointments import guide, selectors, services
from appointments.errors import NotYourPatientError
from appointments.localtime import hospital_today
from appointments.models import Appointment, Slot
from appointments.serializers import (
    AppointmentOutput,
    BookInput,
    CancelInput,
    DepartmentOutput,
    DoctorOutput,
    GuideInput,
    GuideOutput,
    PatientSearchOutput,
    ProblemOutput,
    RescheduleInput,
    SessionOutput,
    SlotOutput,
)
from core.errors import NotFound, ValidationFailed
from core.pagination import Page
from records.models import Patient

PROBLEMS = {400: ProblemOutput, 403: ProblemOutput, 404: ProblemOutput, 409: ProblemOutput}


class IsFrontDesk(BasePermission):
    message = gettext_lazy("Only the front desk can search all patients.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.has_role(Role.FRONT_DESK) or user.is_superuser))


def _query_uuid(request, name: str, *, required: bool = False) -> uuid.UUID | None:
    raw = request.query_params.get(name)
    if not raw:
        if required:
            raise ValidationFailed(errors={name: [_("This parameter is required.")]})
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationFailed(errors={name: [_("Must be a UUID.")]}) from None


def _query_date(request, name: str, default: date) -> date:
    raw = request.query_params.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(errors={name: [_("Must be a date, YYYY-MM-DD.")]}) from None


def _for_output(appointment: Appointment) -> Appointment:
    """The appointment with everything AppointmentOutput shows, in one query (not one per related row)."""
    return (Appointment.objects.select_related("patient", "slot__room", "doctor__user", "doctor__department",
                                               "rescheduled_from").get(pk=appointment.pk))


class DepartmentListApi(APIView):
    """Departments open for booking, in the hospital's order."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="appointments_departments", responses=DepartmentOutput(many=True))
    def get(self, request):
        return Response(DepartmentOutput(selectors.department_list(), many=True).data)


class GuideApi(APIView):
    """导诊: departments suggested for plain-language symptoms and an age. A pointer, not a diagnosis."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="appointments_guide", parameters=[
        OpenApiParameter("symptom", OpenApiTypes.STR, many=True, description="Symptom keys (repeat the parameter)."),
        OpenApiParameter("age", OpenApiTypes.INT, description="Age in years of the person who is ill."),
    ], responses={200: GuideOutput, 400: ProblemOutput})
    def get(self, request):
        data = GuideInput(data={"symptoms": request.query_params.getlist("symptom"),
                                "age": request.query_params.get("age") or None})
        data.is_valid(raise_exception=True)
        suggestions = guide.department_suggestions(symptoms=data.validated_data["symptoms"],
                                                   age_years=data.validated_data["age"])
        symptoms = [{"key": key, "label": label} for key, label in guide.symptom_choices()]
        return Response(GuideOutput({"symptoms": symptoms, "suggestions": suggestions}).data)


class DoctorListApi(APIView):
    """A department's doctors, each with the first date that has a number to book now."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="appointments_doctors", parameters=[
        OpenApiParameter("department", OpenApiTypes.UUID, required=True, description="The department's id."),
    ], responses={200: DoctorOutput(many=True), 400: ProblemOutput, 404: ProblemOutput})
    def get(self, request):
        department_id = _query_uuid(request, "department", required=True)
        department = selectors.department_list().filter(public_id=department_id).first()
        if department is None:
            raise NotFound(_("We could not find this department."))
        return Response(DoctorOutput(selectors.doctor_list(department=department), many=True).data)


class DoctorSessionListApi(APIView):
    """A doctor's sessions over the booking horizon, with numbers left and when unreleased ones open."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="appointments_doctor_sessions", parameters=[
        OpenApiParameter("date_from", OpenApiTypes.DATE, description="Local date; default today."),
        OpenApiParameter("date_to", OpenApiTypes.DATE, description="Local date; default the end of the booking horizon."),
    ], responses={200: SessionOutput(many=True), 400: ProblemOutput, 404: ProblemOutput})
    def get(self, request, public_id):
        doctor = selectors.doctor_get(public_id=public_id)
        today = hospital_today()
        date_from = _query_date(request, "date_from", today)
        date_to = _query_date(request, "date_to", today + timedelta(days=settings.BOOKING_HORIZON_DAYS))
        if (date_to - date_from).days > 62:
            raise ValidationFailed(errors={"date_to": [_("At most 62 days at a time.")]})
        now = timezone.now()
        sessions = selectors.session_list(date_from=date_from, date_to=date_to, doctor=doctor, now=now)
        rows = [{**s.__dict__, "doctor": doctor.public_id, "state": s.state(now)} for s in sessions]
        return Response(SessionOutput(rows, many=True).data)


class DoctorSlotListApi(APIView):
    """A doctor's slots on one local date: the times to book, with numbers left."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="appointments_doctor_slots", parameters=[
        OpenApiParameter("date", OpenApiTypes.DATE, required=True, description="Local date, YYYY-MM-DD."),
    ], responses={200: SlotOutput(many=True), 400: ProblemOutput, 404: ProblemOutput})
    def get(self, request, public_id):
        doctor = selectors.doctor_get(public_id=public_id)
        if not request.query_params.get("date"):
            raise ValidationFailed(errors={"date": [_("This parameter is required.")]})
        day = _query_date(request, "date", hospital_today())
        slots = selectors.slot_list_for_day(doctor=doctor, date=day).select_related("doctor")
        return Response(SlotOutput(slots, many=True, context={"now": timezone.now()}).data)


class BookApi(APIView):
    """Book a slot for yourself or someone on your family list (the front desk: any patient).

    Send a request_key (e.g. a UUID): repeating the request with the same key returns the same
    appointment, so a retry after a lost response never books twice. With a registration fee the
    appointment is ``held`` until paid; free numbers are ``booked`` at once.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="appointments_book", request=BookInput,
                   responses={201: AppointmentOutput, **PROBLEMS})
    def post(self, request):
        data = BookInput(data=request.data)
        data.is_valid(raise_exception=True)
        # Only the slot's row: the service reads it again with what its rules need. (get, not first: no ORDER BY.)
        try:
            slot = Slot.objects.get(public_id=data.validated_data["slot"])
        except Slot.DoesNotExist:
            raise NotFound(_("We could not find this time. Please choose again.")) from None
        try:
            patient = Patient.objects.get(public_id=data.validated_data["patient"])
        except Patient.DoesNotExist:
            raise NotYourPatientError() from None  # the same answer as for a real patient who is not on the list
        appointment = services.appointment_book(patient=patient, slot=slot, booked_by=request.user,
                                                request_key=data.validated_data["request_key"])
        # Comes back with everything AppointmentOutput shows already loaded (no query of its own).
        return Response(AppointmentOutput(appointment).data, status=status.HTTP_201_CREATED)


class MyAppointmentListApi(APIView):
    """Appointments of everyone on your family list: coming ones soonest first, or past ones latest first."""

    permission_classes = [IsAuthenticated]
    pagination_class = Page  # the schema documents the page ({count, next, previous, results}) and limit/offset

    @extend_schema(operation_id="appointments_mine", parameters=[
        OpenApiParameter("when", OpenApiTypes.STR, enum=["upcoming", "past"], description="Default upcoming."),
    ], responses=AppointmentOutput(many=True))
    def get(self, request):
        when = request.query_params.get("when", "upcoming")
        if when not in ("upcoming", "past"):
            raise ValidationFailed(errors={"when": [_("Either upcoming or past.")]})
        appointments = (selectors.appointment_list_for_account(account=request.user, upcoming=when == "upcoming")
                        .select_related("rescheduled_from"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(appointments, request, view=self)
        return paginator.get_paginated_response(AppointmentOutput(page, many=True).data)


class AppointmentDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="appointments_detail", responses={200: AppointmentOutput, 404: ProblemOutput})
    def get(self, request, public_id):
        return Response(AppointmentOutput(selectors.access_appointment(user=request.user, public_id=public_id)).data)


class CancelApi(APIView):
    """Cancel an appointment: free until the cut-off before the session, refused (409) after it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="appointments_cancel", request=CancelInput,
                   responses={200: AppointmentOutput, **PROBLEMS})
    def post(self, request, public_id):
        appointment = selectors.access_appointment(user=request.user, public_id=public_id)
        services.appointment_check_may_change(user=request.user, appointment=appointment)
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.appointment_cancel(appointment=appointment, by=request.user,
                                                  reason=data.validated_data["reason"])
        return Response(AppointmentOutput(_for_output(appointment)).data)


class RescheduleApi(APIView):
    """Move an appointment to another slot of the same doctor, in one step: if the new slot cannot be
    booked, the appointment stays where it was. Answers the new appointment."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="appointments_reschedule", request=RescheduleInput,
                   responses={200: AppointmentOutput, **PROBLEMS})
    def post(self, request, public_id):
        appointment = selectors.access_appointment(user=request.user, public_id=public_id)
        services.appointment_check_may_change(user=request.user, appointment=appointment)
        data = RescheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        slot = selectors.slot_get(public_id=data.validated_data["slot"])
        if slot.doctor_id != appointment.doctor_id:
            raise ValidationFailed(errors={"slot": [_("Choose a time with the same doctor, or cancel and book anew.")]})
        moved = services.appointment_reschedule(appointment=appointment, new_slot=slot, by=request.user)
        return Response(AppointmentOutput(_for_output(moved)).data)


class PatientSearchApi(APIView):
    """Front desk: find a patient by name, pinyin initials (e.g. wxm), full pinyin, mobile number or MRN."""

    permission_classes = [IsFrontDesk]

    @extend_schema(operation_id="appointments_patient_search", parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, required=True),
    ], responses={200: PatientSearchOutput(many=True), 400: ProblemOutput, 403: ProblemOutput})
    def get(self, request):
        query = (request.query_params.get("q") or "").strip()
        if len(query) < 2:
            raise ValidationFailed(errors={"q": [_("Type at least 2 characters.")]})
        return Response(PatientSearchOutput(selectors.patient_search(query=query), many=True).data)
