"""Builders for clinical-record tests: a small hospital with one person in each role, patients with and
without a relationship to them, and records to read. Plain functions; tests/records/conftest.py wraps the
world in a fixture."""

import itertools
from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from appointments.models import Appointment, AppointmentStatus, DoctorProfile
from records import services
from records.models import Drug, DrugForm, Encounter, Order, OrderKind, Patient, Report
from tests.appointments import factories as booking

_n = itertools.count(1)

# Smallest valid documents of each accepted kind (magic bytes and just enough structure).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def drug(**fields) -> Drug:
    n = next(_n)
    defaults = {"code": f"drug-{n}", "name": f"药品{n}", "generic_name": f"generic-{n}", "form": DrugForm.TABLET,
                "strength": "500 mg", "unit_price": Decimal("12.50")}
    defaults.update(fields)
    return Drug.objects.create(**defaults)


def amoxicillin() -> Drug:
    return drug(code=f"amoxicillin-{next(_n)}", name="阿莫西林胶囊", generic_name="Amoxicillin", form=DrugForm.CAPSULE,
                strength="250 mg", allergy_classes="penicillin, beta-lactam, 青霉素类")


def appointment(*, patient: Patient, doctor: DoctorProfile, day=None, status=AppointmentStatus.BOOKED,
                booked_by: User | None = None) -> Appointment:
    n = next(_n)  # each booking its own slot time, so one doctor can have many on a day
    slot = booking.slot(doc=doctor, day=day or timezone.localdate(), at=time(8 + n % 10, 15 * (n // 10 % 4)), capacity=5)
    return Appointment.objects.create(patient=patient, slot=slot, doctor=doctor, date=slot.date, session=slot.session,
                                      status=status, booked_by=booked_by or doctor.user)


def draft(*, patient: Patient, author: User, chief_complaint: str = "咳嗽三天") -> Encounter:
    return services.encounter_create(patient=patient, author=author, chief_complaint=chief_complaint,
                                     history="发热，咳黄痰", examination="右下肺湿啰音", assessment="社区获得性肺炎",
                                     plan="抗感染治疗，三天后复诊")


def signed(*, patient: Patient, author: User, code: str = "J18.9") -> Encounter:
    encounter = draft(patient=patient, author=author)
    services.diagnosis_add(encounter=encounter, code=code, by=author)
    return services.encounter_sign(encounter=encounter, by=author)


def lab_order(*, patient: Patient, by: User, encounter: Encounter | None = None) -> Order:
    return services.order_create(patient=patient, kind=OrderKind.LAB, name="血常规", code="58410-2", by=by,
                                 encounter=encounter)


def report(*, patient: Patient, by: User, order: Order | None = None, content: bytes | None = PDF) -> Report:
    return services.report_create(patient=patient, title="胸部X线", text="右下肺斑片影，考虑肺炎。", by=by, order=order,
                                  file_content=content, filename="chest.pdf" if content == PDF else "")


def nurse_of(department_code: str) -> User:
    nurse = booking.user(Role.NURSE)
    nurse.groups.add(Group.objects.get_or_create(name=f"department:{department_code}")[0])
    return nurse


@dataclass
class World:
    """Everyone and everything the access tests need.

    - ``own``: the patient account's own record; ``related``: on their family list as guardian, and booked
      today with ``doctor`` in the nurse's department; ``unrelated``: nobody here has a relationship with them.
    - Each patient has a signed note by ``other_doctor`` (who therefore cares for all of them), an allergy,
      a problem, a lab order with a result and a report with a PDF; ``related`` and ``unrelated`` also have a
      draft: by ``doctor`` on ``related``, by ``other_doctor`` on ``unrelated``.
    """

    patient_account: User
    doctor: User
    other_doctor: User
    nurse: User
    front_desk: User
    admin: User
    own: Patient
    related: Patient
    unrelated: Patient
    signed: dict
    drafts: dict
    reports: dict
    drug: Drug

    def user(self, role: str) -> User:
        return {Role.PATIENT: self.patient_account, Role.DOCTOR: self.doctor, Role.NURSE: self.nurse,
                Role.FRONT_DESK: self.front_desk, Role.HOSPITAL_ADMIN: self.admin}[role]


def world() -> World:
    department = booking.department(code="cardiology", name_zh="心内科", name_en="Cardiology")
    doctor = booking.doctor(dept=department)
    other = booking.doctor(dept=booking.department())
    nurse = nurse_of("cardiology")
    front_desk = booking.user(Role.FRONT_DESK)
    admin = booking.user(Role.HOSPITAL_ADMIN, is_staff=True)
    account, own = booking.account_with_patient(name="王小明")
    related = booking.patient(name="王建国")
    booking.add_to_list(account, related)
    unrelated = booking.patient(name="赵六")
    appointment(patient=related, doctor=doctor, booked_by=account)
    signed_notes, reports = {}, {}
    for key, person in (("own", own), ("related", related), ("unrelated", unrelated)):
        signed_notes[key] = signed(patient=person, author=other.user)
        services.allergy_record(patient=person, substance="青霉素", severity="severe", reaction="皮疹", by=other.user)
        services.problem_record(patient=person, description="高血压", icd10_code="I10", by=other.user)
        order = lab_order(patient=person, by=other.user)
        services.result_record(patient=person, loinc_code="718-7", name="血红蛋白", value="95", unit="g/L",
                               reference_low="115", reference_high="150", order=order, by=other.user)
        reports[key] = report(patient=person, by=other.user, order=order)
    drafts = {"related": draft(patient=related, author=doctor.user),
              "unrelated": draft(patient=unrelated, author=other.user)}
    return World(patient_account=account, doctor=doctor.user, other_doctor=other.user, nurse=nurse,
                 front_desk=front_desk, admin=admin, own=own, related=related, unrelated=unrelated,
                 signed=signed_notes, drafts=drafts, reports=reports, drug=drug())
