"""Care relationships that come from registration and the queue (bookings and queue tickets), registered
into records.care.

records (below this app) decides who may read a chart; it learns from here that a doctor has, or will
have, this patient in front of them, and that a nurse's department sees them today.

Nurses have no staff profile yet (the staff directory of the admin back office will add one). Until
then a nurse belongs to the departments named by their ``department:<code>`` groups, e.g. the group
``department:cardiology``; a nurse without one sees no patient through this source.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.models import User
from accounts.roles import Role
from appointments.models import Appointment, AppointmentStatus, Department, QueueTicket, TicketStatus
from records.care import (
    Consultation,
    StaffDepartment,
    register_appointment_check,
    register_care_relationship_source,
    register_department_resolver,
    register_ticket_resolver,
)

# A booking that was paid for and not cancelled is a care relationship: the doctor prepares for it, sees
# the patient, or follows up afterwards (a no-show included). An unpaid hold, a cancelled or expired
# booking never brought the patient to this doctor.
CARE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_CONSULTATION,
                 AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
# Today's patients of a department, for its nurses: those who come or have come today.
TODAY_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_CONSULTATION,
                  AppointmentStatus.COMPLETED)
NURSE_DEPARTMENT_GROUP_PREFIX = "department:"


def nurse_department_codes(user: User) -> list[str]:
    return sorted(r[len(NURSE_DEPARTMENT_GROUP_PREFIX):] for r in user.roles if r.startswith(NURSE_DEPARTMENT_GROUP_PREFIX))


def doctor_appointments(*, user: User, today, window_days: int) -> QuerySet | None:
    """Patients booked with this doctor within RECORDS_CARE_WINDOW_DAYS before or after today."""
    if not user.has_role(Role.DOCTOR):
        return None
    window = timedelta(days=window_days)
    return Appointment.objects.filter(doctor__user=user, date__gte=today - window, date__lte=today + window,
                                      status__in=CARE_STATUSES).values("patient_id")


def department_patients_today(*, user: User, today, window_days: int) -> QuerySet | None:
    """For a nurse: today's patients of their department(s)."""
    if not user.has_role(Role.NURSE):
        return None
    codes = nurse_department_codes(user)
    if not codes:
        return None
    return Appointment.objects.filter(date=today, slot__department__code__in=codes,
                                      status__in=TODAY_STATUSES).values("patient_id")


def doctor_queue_tickets(*, user: User, today, window_days: int) -> QuerySet | None:
    """Patients in this doctor's queue (walk-ins included) within the window; a ticket moved to another
    doctor before they were seen does not count."""
    if not user.has_role(Role.DOCTOR):
        return None
    window = timedelta(days=window_days)
    return (QueueTicket.objects.filter(service_point__doctor__user=user, date__gte=today - window, date__lte=today + window)
            .exclude(status=TicketStatus.TRANSFERRED).values("patient_id"))


def department_queue_today(*, user: User, today, window_days: int) -> QuerySet | None:
    """For a nurse: everyone in a queue of their department(s) today, walk-ins included."""
    if not user.has_role(Role.NURSE):
        return None
    codes = nurse_department_codes(user)
    if not codes:
        return None
    return QueueTicket.objects.filter(date=today, service_point__department__code__in=codes).values("patient_id")


def staff_department(user: User) -> StaffDepartment | None:
    """A doctor's department from their profile; a nurse's from their department group. Names in Chinese, as
    written on the hospital's records."""
    department = None
    if user.has_role(Role.DOCTOR):
        department = Department.objects.filter(doctors__user=user).first()
    if department is None and user.has_role(Role.NURSE):
        department = Department.objects.filter(code__in=nurse_department_codes(user)).order_by("code").first()
    return StaffDepartment(code=department.code, name=department.name_zh) if department else None


def ticket_consultation(*, user: User, ticket_public_id) -> Consultation | None:
    """The patient and booking of a queue ticket, for "open chart" on the console. Staff only; whether they may
    then read the chart is records.access's decision."""
    if not user.is_hospital_staff:
        return None
    try:
        ticket = (QueueTicket.objects.select_related("patient", "appointment").filter(public_id=ticket_public_id).first())
    except (ValueError, ValidationError):
        return None
    if ticket is None:
        return None
    return Consultation(patient_public_id=str(ticket.patient.public_id),
                        appointment_public_id=str(ticket.appointment.public_id) if ticket.appointment_id else "")


def appointment_with(*, appointment_public_id, patient, doctor: User) -> bool | None:
    """Whether a note by `doctor` for `patient` may be linked to this booking: it is theirs, with this doctor."""
    try:
        appointment = Appointment.objects.filter(public_id=appointment_public_id).values("patient_id", "doctor__user_id").first()
    except (ValueError, ValidationError):
        return False
    if appointment is None:
        return None
    return appointment["patient_id"] == patient.pk and appointment["doctor__user_id"] == doctor.pk


register_care_relationship_source(doctor_appointments, name="appointments.doctor_appointments")
register_care_relationship_source(department_patients_today, name="appointments.department_patients_today")
register_care_relationship_source(doctor_queue_tickets, name="appointments.doctor_queue_tickets")
register_care_relationship_source(department_queue_today, name="appointments.department_queue_today")
register_department_resolver(staff_department, name="appointments.staff_department")
register_ticket_resolver(ticket_consultation, name="appointments.ticket_consultation")
register_appointment_check(appointment_with, name="appointments.appointment_with")
