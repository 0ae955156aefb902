"""A small hospital with real rows of every kind an id in a URL can name, for the fuzzer and the access probe.

``A`` is a patient account holder with their own record and a parent on their family list. Around A: a
booking today with ``carer`` (checked in: a queue ticket), a booking later for the parent, notes (signed and a
draft), an allergy, problem, lab order, result and report, a notification, a paired device and a monitoring
alert. ``B`` is another patient account with nothing to do with A. Each staff role has two people: one with a
relationship to A (``carer`` doctor, the department's ``nurse``) and one without (``doctor``, ``other_nurse``);
``front_desk`` and ``admin`` are the hospital's.

Plain functions (no fixtures), so a test module builds exactly this and nothing else.
"""

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from appointments.models import Appointment, AppointmentStatus, ConsultingRoom, Department, DoctorProfile, QueueTicket, Slot
from appointments.queue import services as queue_services
from notifications.models import Notification
from notifications.services import notification_send
from records import services as records_services
from records.models import Encounter, Patient, Report
from telemonitor.models import Alert, AlertKind, Device, Severity
from telemonitor.services.devices import device_register
from tests.appointments import factories
from tests.records import clinical

_n = itertools.count(1)

# What identifies A and their parent: no refused answer may contain any of it.
A_NAME, A_PHONE = "欧阳振华", "13900112233"
PARENT_NAME = "欧阳秀兰"


@dataclass
class Hospital:
    department: Department
    other_department: Department
    carer: DoctorProfile  # A's doctor today
    doctor: DoctorProfile  # another department's doctor: no relationship with A
    nurse: User  # the carer's department
    other_nurse: User
    front_desk: User
    admin: User
    a: User
    a_self: Patient
    a_parent: Patient
    b: User
    b_self: Patient
    room: ConsultingRoom
    slots: list[Slot]
    appointment_today: Appointment
    appointment_later: Appointment
    ticket: QueueTicket
    signed: Encounter
    draft: Encounter
    report: Report
    notification: Notification
    device: Device
    device_token: str
    alert: Alert
    extra: dict = field(default_factory=dict)

    def user(self, role: str) -> User:
        """The person of `role` who has a relationship with A (the patient role is A)."""
        return {Role.PATIENT: self.a, Role.DOCTOR: self.carer.user, Role.NURSE: self.nurse,
                Role.FRONT_DESK: self.front_desk, Role.HOSPITAL_ADMIN: self.admin}[role]

    def identifying(self) -> list[str]:
        """A's and the parent's identifying data: names, MRNs, phone."""
        self.a_self.refresh_from_db()
        self.a_parent.refresh_from_db()
        return [A_NAME, PARENT_NAME, A_PHONE, self.a_self.mrn, self.a_parent.mrn]


def _nurse_of(department: Department) -> User:
    nurse = factories.user(Role.NURSE)
    nurse.groups.add(Group.objects.get_or_create(name=f"department:{department.code}")[0])
    return nurse


def hospital() -> Hospital:
    now = timezone.now()
    department = factories.department(code=f"cardio{next(_n)}", name_zh="心内科", name_en="Cardiology")
    other_department = factories.department(name_zh="皮肤科", name_en="Dermatology")
    carer = factories.doctor(dept=department, name="李医生")
    doctor = factories.doctor(dept=other_department, name="张医生")
    room = ConsultingRoom.objects.create(department=department, code=f"room-{carer.pk}", name="3诊室")
    admin = factories.user(Role.HOSPITAL_ADMIN, is_staff=True)

    a = factories.user(Role.PATIENT, name=A_NAME, phone=A_PHONE)
    a_self = factories.patient(name=A_NAME, phone=A_PHONE)
    a_self.account = a
    a_self.save(update_fields=["account"])
    factories.add_to_list(a, a_self, relationship="self")
    a_parent = factories.patient(name=PARENT_NAME)
    factories.add_to_list(a, a_parent)
    b, b_self = factories.account_with_patient(name="路人乙")

    # Slots: one starting soon today (A checks in), and open ones later for booking and rescheduling.
    soon = (now + timedelta(minutes=20)).replace(second=0, microsecond=0)
    today = factories.slot(doc=carer, starts_at=soon, capacity=10)
    later = [factories.slot(doc=carer, starts_at=soon + timedelta(days=2, minutes=15 * i), capacity=5) for i in range(4)]
    for slot in (today, *later):
        slot.room = room
        slot.save(update_fields=["room"])
    appointment_today = Appointment.objects.create(
        patient=a_self, slot=today, doctor=carer, date=timezone.localdate(today.starts_at), session=today.session,
        status=AppointmentStatus.BOOKED, booked_by=a, booked_at=now)
    appointment_later = Appointment.objects.create(
        patient=a_parent, slot=later[0], doctor=carer, date=timezone.localdate(later[0].starts_at),
        session=later[0].session, status=AppointmentStatus.BOOKED, booked_by=a, booked_at=now)
    Slot.objects.filter(pk__in=[today.pk, later[0].pk]).update(booked=1)
    ticket = queue_services.ticket_check_in(appointment=appointment_today, by=a)

    # The clinical record: by the carer, who has a relationship (today's booking).
    signed = clinical.signed(patient=a_self, author=carer.user)
    draft = clinical.draft(patient=a_self, author=carer.user)
    records_services.allergy_record(patient=a_self, substance="青霉素", severity="severe", reaction="皮疹", by=carer.user)
    records_services.problem_record(patient=a_self, description="高血压", icd10_code="I10", by=carer.user)
    order = clinical.lab_order(patient=a_self, by=carer.user)
    records_services.result_record(patient=a_self, loinc_code="718-7", name="血红蛋白", value="95", unit="g/L",
                                   reference_low="115", reference_high="150", order=order, by=carer.user)
    report = clinical.report(patient=a_self, by=carer.user, order=order)
    drug = clinical.drug()

    notification = notification_send(user=a, key=f"probe-{next(_n)}", kind="booking", title="预约成功",
                                     body=f"{A_NAME}，您已预约心内科")
    device, token = device_register(patient=a_self, kind="heart_wearable", serial=f"HW-{next(_n):04d}",
                                    registered_by=_nurse_of(department))
    alert = Alert.objects.create(patient=a_self, kind=AlertKind.HEART_RATE, severity=Severity.MEDIUM,
                                 reason_code="legacy", reason_params={"text": "心率 128 次/分"}, opened_at=now,
                                 last_seen_at=now, ack_due_at=now + timedelta(hours=1))
    from payments import services as payments_services  # a bill of A's, to pay, refund and read

    invoice = payments_services.invoice_create(patient=a_self, source="manual", description="挂号费", lines=[
        payments_services.LineSpec(category="drug", description="阿莫西林", unit_price=Decimal("12.50"), quantity=2)])
    from payments.models import Coverage, InsurancePlan  # A's parent's linked insurance, to list and unlink

    plan, _created = InsurancePlan.objects.get_or_create(code="probe-plan", defaults={"name": "城乡居民医保"})
    coverage = Coverage.objects.create(patient=a_parent, plan=plan, member_number=f"PROBE{next(_n):06d}",
                                       valid_from=timezone.localdate())
    return Hospital(
        department=department, other_department=other_department, carer=carer, doctor=doctor,
        nurse=_nurse_of(department), other_nurse=_nurse_of(other_department), front_desk=factories.user(Role.FRONT_DESK),
        admin=admin, a=a, a_self=a_self, a_parent=a_parent, b=b, b_self=b_self, room=room, slots=[today, *later],
        appointment_today=appointment_today, appointment_later=appointment_later, ticket=ticket, signed=signed,
        draft=draft, report=report, notification=notification, device=device, device_token=token, alert=alert,
        extra={"drug": drug, "order": order, "invoice": invoice, "coverage": coverage})
