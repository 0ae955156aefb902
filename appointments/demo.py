from datetime import date, time, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.demo import demo_user
from accounts.models import User
from accounts.roles import Role
from appointments import selectors, services
from appointments.localtime import hospital_today
from appointments.models import (
    AppointmentStatus,
    ConsultingRoom,
    Department,
    DoctorProfile,
    DoctorTitle,
    ScheduleTemplate,
    SessionOfDay,
    Weekday,
)
from core.demo import DemoLogin
from core.errors import ApplicationError
from records.models import FamilyMember, Relationship

DEPARTMENTS = [
    # code, zh, en, location, prefix, description zh, description en
    ("internal", "内科", "Internal Medicine", "门诊楼 2F / Outpatient 2F", "A",
     "发热、咳嗽、高血压、糖尿病等常见病。", "Fever, cough, high blood pressure, diabetes and other common illness."),
    ("cardiology", "心内科", "Cardiology", "门诊楼 3F / Outpatient 3F", "B",
     "胸痛、心悸、心力衰竭。", "Chest pain, palpitations, heart failure."),
    ("paediatrics", "儿科", "Paediatrics", "门诊楼 1F / Outpatient 1F", "C",
     "14 岁以下儿童。", "Children under 14."),
    ("surgery", "普外科", "General Surgery", "门诊楼 4F / Outpatient 4F", "D",
     "腹痛、外伤、肿块。", "Abdominal pain, injuries, lumps."),
    ("dermatology", "皮肤科", "Dermatology", "门诊楼 5F / Outpatient 5F", "E",
     "皮疹、瘙痒、痤疮。", "Rashes, itching, acne."),
]

DOCTORS = [
    # email, name, department, title, specialties
    ("dr.zhang@demo.hospital", "张明", "internal", DoctorTitle.CHIEF, "高血压 Hypertension, 糖尿病 Diabetes"),
    ("dr.li@demo.hospital", "李华", "internal", DoctorTitle.ATTENDING, "呼吸道感染 Respiratory infections"),
    ("dr.wang@demo.hospital", "王强", "cardiology", DoctorTitle.ASSOCIATE_CHIEF, "心力衰竭 Heart failure"),
    ("dr.chen@demo.hospital", "陈静", "paediatrics", DoctorTitle.ATTENDING, "儿童哮喘 Childhood asthma"),
    ("dr.zhao@demo.hospital", "赵伟", "surgery", DoctorTitle.RESIDENT, "疝 Hernia"),
    ("dr.liu@demo.hospital", "刘洋", "dermatology", DoctorTitle.ATTENDING, "湿疹 Eczema"),
]


# Sessions: (weekday, session, start, end, slot minutes, numbers per slot). Every doctor works the
# weekday mornings; every other doctor also sees patients on Tuesday and Thursday afternoons.
MORNINGS = [(day, SessionOfDay.MORNING, time(8, 0), time(12, 0), 30, 3)
            for day in (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)]
AFTERNOONS = [(day, SessionOfDay.AFTERNOON, time(14, 0), time(17, 0), 30, 2) for day in (Weekday.TUESDAY, Weekday.THURSDAY)]
SCHEDULE_FROM = date(2025, 1, 1)

# The demo patient's bookings: (relationship on her list, doctor email, first day from today, request key).
# The key makes each one happen once, however often seed_demo runs.
BOOKINGS = [
    (Relationship.SELF, "dr.zhang@demo.hospital", 1, "demo-booking-self"),
    (Relationship.PARENT, "dr.wang@demo.hospital", 1, "demo-booking-parent"),
    (Relationship.SELF, "dr.liu@demo.hospital", 4, "demo-booking-self-2"),
]


def _seed_rooms_and_schedules() -> None:
    for index, department in enumerate(Department.objects.filter(code__in=[d[0] for d in DEPARTMENTS])
                                       .order_by("sort_order", "code"), start=1):
        ConsultingRoom.objects.get_or_create(code=f"{department.code}-1", defaults={
            "department": department, "name": f"{index}诊室 / Room {index}", "location": department.location})
    for index, doctor in enumerate(DoctorProfile.objects.filter(user__email__in=[d[0] for d in DOCTORS]).order_by("pk")):
        room = ConsultingRoom.objects.filter(department=doctor.department).order_by("code").first()
        for weekday, session, start, end, minutes, numbers in MORNINGS + (AFTERNOONS if index % 2 == 0 else []):
            ScheduleTemplate.objects.get_or_create(doctor=doctor, weekday=weekday, session=session, defaults={
                "room": room, "start_time": start, "end_time": end, "slot_minutes": minutes,
                "numbers_per_slot": numbers, "valid_from": SCHEDULE_FROM})


def _seed_bookings() -> None:
    account = User.objects.filter(email="patient@demo.hospital").first()
    if account is None:
        return
    for relationship, doctor_email, days_ahead, request_key in BOOKINGS:
        member = FamilyMember.objects.filter(account=account, relationship=relationship).select_related("patient").first()
        slot = (selectors.slot_bookable_list().filter(doctor__user__email=doctor_email,
                                                       starts_at__gte=timezone.now() + timedelta(days=days_ahead))
                .order_by("starts_at").first())
        if member is None or slot is None:
            continue
        try:
            appointment = services.appointment_book(patient=member.patient, slot=slot, booked_by=account,
                                                    request_key=request_key)
        except ApplicationError:
            continue  # e.g. the demo patient already booked that session by hand: leave it be
        if appointment.status == AppointmentStatus.HELD:  # no payments in the demo yet: paid at once
            services.appointment_confirm(appointment=appointment, by=account)


# Walk-ins waiting for Dr Zhang today, so the waiting-room board and the doctor's console have a queue to show.
QUEUE_WALK_INS = [("周建华", date(1941, 3, 2)), ("吴丽", date(1990, 7, 15)), ("郑小军", date(1978, 11, 30))]


def _seed_queue() -> None:
    """A few walk-in tickets today in Dr Zhang's room (once a day, however often seed_demo runs)."""
    from appointments.models import ServicePoint, ServicePointKind
    from appointments.queue import services as queue_services
    from records import services as records_services
    from records.models import Patient

    desk = User.objects.filter(email="frontdesk@demo.hospital").first()
    doctor = DoctorProfile.objects.filter(user__email=DOCTORS[0][0]).first()
    if desk is None or doctor is None:
        return
    room = ConsultingRoom.objects.filter(department=doctor.department).order_by("code").first()
    point, _created = ServicePoint.objects.get_or_create(kind=ServicePointKind.CONSULTING_ROOM, doctor=doctor, room=room,
                                                         defaults={"department": doctor.department})
    if point.tickets.filter(date=hospital_today()).exists():
        return
    for name, born in QUEUE_WALK_INS:
        patient = Patient.objects.filter(name=name, date_of_birth=born).first() or records_services.patient_create(
            details=records_services.patient_details_check(name=name, sex="female", date_of_birth=born, phone=""))
        try:
            queue_services.ticket_walk_in(patient=patient, service_point=point, by=desk)
        except ApplicationError:
            continue


PHARMACY_WINDOWS = ["1号窗口 / Window 1", "2号窗口 / Window 2", "3号窗口 / Window 3"]


def _seed_pharmacy() -> None:
    """The outpatient pharmacy (not bookable) and its windows, where patients who paid for medicines queue."""
    from appointments.models import ServicePoint, ServicePointKind

    pharmacy, _created = Department.objects.update_or_create(code=settings.PHARMACY_DEPARTMENT_CODE, defaults={
        "name_zh": "门诊药房", "name_en": "Outpatient Pharmacy", "location": "门诊楼 1F 西侧 / Outpatient 1F west",
        "queue_prefix": "Y", "is_active": False, "sort_order": 900,
        "description_zh": "缴费后凭取药号到窗口取药。", "description_en": "Collect your medicines here with the number "
                                                                     "given after paying."})
    for name in PHARMACY_WINDOWS:
        ServicePoint.objects.get_or_create(kind=ServicePointKind.PHARMACY_WINDOW, department=pharmacy, name=name)


def seed() -> list[DemoLogin]:
    for order, (code, zh, en, location, prefix, desc_zh, desc_en) in enumerate(DEPARTMENTS):
        Department.objects.update_or_create(code=code, defaults={
            "name_zh": zh, "name_en": en, "location": location, "queue_prefix": prefix,
            "description_zh": desc_zh, "description_en": desc_en, "sort_order": order * 10})
    for index, (email, name, dept, title, specialties) in enumerate(DOCTORS):
        user = demo_user(email=email, name=name, role=Role.DOCTOR, phone=f"1370000{index:04d}")
        DoctorProfile.objects.get_or_create(user=user, defaults={
            "department": Department.objects.get(code=dept), "title": title, "specialties": specialties})
    _seed_rooms_and_schedules()
    _seed_pharmacy()
    today = hospital_today()
    services.slots_materialise(date_from=today, date_to=today + timedelta(days=settings.BOOKING_HORIZON_DAYS))
    _seed_bookings()
    _seed_queue()
    return [DemoLogin("doctor", DOCTORS[0][0], f"{DOCTORS[0][1]}, {DEPARTMENTS[0][2]}")]
