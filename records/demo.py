from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from core.demo import DEMO_PASSWORD, DemoLogin
from records import services
from records.models import Drug, Encounter, FamilyMember, Order, Patient, Relationship

# Valid (checksummed) demo ID numbers; none belongs to a real person.
PATIENTS = [
    {"email": "patient@demo.hospital", "phone": "13800000001", "name": "刘芳", "national_id": "110101199003074522",
     "family": [
         {"name": "刘建国", "relationship": Relationship.PARENT, "sex": "male", "date_of_birth": date(1950, 5, 12),
          "is_guardian": True, "national_id": ""},
         {"name": "周小宇", "relationship": Relationship.CHILD, "sex": "male", "date_of_birth": date(2018, 9, 1),
          "is_guardian": True, "national_id": ""},
     ]},
    {"email": "patient2@demo.hospital", "phone": "13800000002", "name": "陈伟", "national_id": "",
     "sex": "male", "date_of_birth": date(1978, 11, 23),
     "family": [
         {"name": "黄丽", "relationship": Relationship.SPOUSE, "sex": "female", "date_of_birth": date(1980, 2, 14),
          "is_guardian": False, "national_id": ""},
     ]},
]


def seed() -> list[DemoLogin]:
    for spec in PATIENTS:
        user = User.objects.filter(email=spec["email"]).first()
        if user is None:
            user = services.patient_sign_up(
                name=spec["name"], phone=spec["phone"], email=spec["email"], password=DEMO_PASSWORD,
                national_id=spec["national_id"], sex=spec.get("sex"), date_of_birth=spec.get("date_of_birth"))
        for member in spec["family"]:
            if FamilyMember.objects.filter(account=user, patient__name=member["name"]).exists():
                continue
            details = services.patient_details_check(
                name=member["name"], sex=member["sex"], date_of_birth=member["date_of_birth"],
                national_id=member["national_id"])
            services.family_member_add(account=user, relationship=member["relationship"],
                                       is_guardian=member["is_guardian"], details=details)
    seed_clinical_record()
    return [DemoLogin("patient", PATIENTS[0]["email"], f"or {PATIENTS[0]['phone']}; family: parent and child"),
            DemoLogin("patient", PATIENTS[1]["email"], f"or {PATIENTS[1]['phone']}")]


# --- The clinical record of the demo patients ----------------------------------------------------------------
# Written by the demo internist (the same account appointments/demo.py gives a profile to), a few days ago, with
# some abnormal results so the chart has something to flag. Each patient's record is seeded once.

FORMULARY = [
    # code, name, generic name, form, strength, dispensed per, price (CNY), allergy classes
    ("amoxicillin-250", "阿莫西林胶囊", "Amoxicillin", "capsule", "250 mg × 24", "box", "18.50",
     "penicillin, beta-lactam, 青霉素类"),
    ("cefuroxime-250", "头孢呋辛酯片", "Cefuroxime axetil", "tablet", "250 mg × 12", "box", "32.00", "cephalosporin, 头孢类"),
    ("azithromycin-250", "阿奇霉素片", "Azithromycin", "tablet", "250 mg × 6", "box", "26.80", "macrolide, 大环内酯类"),
    ("amlodipine-5", "氨氯地平片", "Amlodipine", "tablet", "5 mg × 28", "box", "24.60", ""),
    ("metformin-500", "二甲双胍片", "Metformin", "tablet", "500 mg × 60", "box", "15.90", ""),
    ("ibuprofen-300", "布洛芬缓释胶囊", "Ibuprofen", "capsule", "300 mg × 20", "box", "12.30", "nsaid, 非甾体抗炎药"),
    ("paracetamol-500", "对乙酰氨基酚片", "Paracetamol", "tablet", "500 mg × 20", "box", "6.50", ""),
    ("salbutamol-100", "沙丁胺醇气雾剂", "Salbutamol", "inhaler", "100 µg × 200 puffs", "bottle", "29.00", ""),
]

DEMO_DOCTOR = {"email": "dr.zhang@demo.hospital", "name": "张明", "phone": "13700000000"}
DEMO_REPORT_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
                   b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _seed_formulary() -> dict[str, Drug]:
    drugs = {}
    for code, name, generic, form, strength, unit, price, classes in FORMULARY:
        drugs[code], _created = Drug.objects.get_or_create(code=code, defaults={
            "name": name, "generic_name": generic, "form": form, "strength": strength, "dispense_unit": unit,
            "unit_price": Decimal(price), "allergy_classes": classes})
    return drugs


def _signed_note(*, patient: Patient, doctor: User, days_ago: int, note: dict, diagnoses: list[str],
                 prescriptions: list[tuple]) -> Encounter:
    encounter = services.encounter_create(patient=patient, author=doctor, department_code="internal",
                                          department_name="内科", **note)
    Encounter.objects.filter(pk=encounter.pk).update(started_at=timezone.now() - timedelta(days=days_ago))
    for code in diagnoses:
        services.diagnosis_add(encounter=encounter, code=code, by=doctor)
    for drug, dose, unit, frequency, days, quantity in prescriptions:
        services.prescription_create(encounter=encounter, drug=drug, dose_amount=Decimal(dose), dose_unit=unit,
                                     route="oral", frequency=frequency, duration_days=days, quantity=quantity, by=doctor)
    return services.encounter_sign(encounter=encounter, by=doctor)


def _labs(*, patient: Patient, doctor: User, days_ago: int, name: str, code: str, rows: list[tuple]) -> Order:
    encounter = patient.encounters.order_by("-started_at").first()
    order = services.order_create(patient=patient, kind="lab", name=name, code=code, by=doctor, encounter=encounter)
    observed = timezone.now() - timedelta(days=days_ago)
    for loinc, label, value, unit, low, high, critical_low, critical_high in rows:
        services.result_record(patient=patient, loinc_code=loinc, name=label, value=value, unit=unit, reference_low=low,
                               reference_high=high, critical_low=critical_low, critical_high=critical_high,
                               observed_at=observed, order=order, by=doctor)
    return order


def _seed_liu_fang(patient: Patient, doctor: User, drugs: dict[str, Drug]) -> None:
    services.allergy_record(patient=patient, substance="青霉素", severity="severe", reaction="全身皮疹、呼吸困难", by=doctor)
    _signed_note(patient=patient, doctor=doctor, days_ago=6, diagnoses=["J06.9"], note={
        "chief_complaint": "咽痛、发热两天", "history": "两天前受凉后咽痛，最高体温38.6℃，伴轻咳，无胸痛。",
        "examination": "T 38.2℃，咽部充血，双侧扁桃体I度肿大，双肺呼吸音清。",
        "assessment": "急性上呼吸道感染。青霉素过敏，避免青霉素类。", "plan": "对症退热，多饮水；三天不退热复诊，查血常规。"},
        prescriptions=[(drugs["paracetamol-500"], "500", "mg", "prn", 3, 1),
                       (drugs["azithromycin-250"], "500", "mg", "qd", 3, 1)])
    order = _labs(patient=patient, doctor=doctor, days_ago=6, name="血常规", code="58410-2", rows=[
        ("6690-2", "白细胞计数", "11.8", "10*9/L", "3.5", "9.5", None, "30"),
        ("718-7", "血红蛋白", "108", "g/L", "115", "150", "60", None),
        ("777-3", "血小板计数", "236", "10*9/L", "125", "350", "20", None),
        ("1988-5", "C反应蛋白", "24", "mg/L", None, "10", None, None)])
    services.report_create(patient=patient, title="胸部正位X线", kind="exam", by=doctor, order=order,
                           text="双肺纹理清晰，未见实变影。心影大小正常。结论：胸部未见明显异常。",
                           file_content=DEMO_REPORT_PDF, filename="chest-xray.pdf")


def _seed_liu_jianguo(patient: Patient, doctor: User, drugs: dict[str, Drug]) -> None:
    services.problem_record(patient=patient, description="原发性高血压", icd10_code="I10", by=doctor)
    services.problem_record(patient=patient, description="2型糖尿病", icd10_code="E11.9", by=doctor)
    _signed_note(patient=patient, doctor=doctor, days_ago=3, diagnoses=["I10", "E11.9"], note={
        "chief_complaint": "头晕一周，血糖控制不佳", "history": "高血压10年、糖尿病6年，近一周晨起头晕，家测血压160/95 mmHg。",
        "examination": "BP 158/96 mmHg，HR 78次/分，律齐，双下肢无水肿。",
        "assessment": "高血压控制欠佳；2型糖尿病血糖偏高。", "plan": "加用氨氯地平，二甲双胍继续；两周后复查血压、血糖。"},
        prescriptions=[(drugs["amlodipine-5"], "5", "mg", "qd", 28, 1),
                       (drugs["metformin-500"], "500", "mg", "bid", 30, 1)])
    _labs(patient=patient, doctor=doctor, days_ago=3, name="生化", code="24323-8", rows=[
        ("1558-6", "空腹血糖", "9.8", "mmol/L", "3.9", "6.1", "2.8", "25"),
        ("4548-4", "糖化血红蛋白", "8.1", "%", "4.0", "6.0", None, None),
        ("2823-3", "血钾", "3.2", "mmol/L", "3.5", "5.5", "2.5", "6.5"),
        ("2160-0", "肌酐", "88", "umol/L", "57", "111", None, None)])


def seed_clinical_record() -> None:
    from accounts.demo import demo_user

    drugs = _seed_formulary()
    doctor = demo_user(email=DEMO_DOCTOR["email"], name=DEMO_DOCTOR["name"], role=Role.DOCTOR, phone=DEMO_DOCTOR["phone"])
    account = User.objects.filter(email=PATIENTS[0]["email"]).first()
    if account is None:
        return
    for relationship, seed_one in ((Relationship.SELF, _seed_liu_fang), (Relationship.PARENT, _seed_liu_jianguo)):
        member = FamilyMember.objects.filter(account=account, relationship=relationship).select_related("patient").first()
        if member is not None and not member.patient.encounters.exists():
            seed_one(member.patient, doctor, drugs)
