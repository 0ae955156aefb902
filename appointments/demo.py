from accounts.demo import demo_user
from accounts.roles import Role
from appointments.models import Department, DoctorProfile, DoctorTitle
from core.demo import DemoLogin

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


def seed() -> list[DemoLogin]:
    for order, (code, zh, en, location, prefix, desc_zh, desc_en) in enumerate(DEPARTMENTS):
        Department.objects.update_or_create(code=code, defaults={
            "name_zh": zh, "name_en": en, "location": location, "queue_prefix": prefix,
            "description_zh": desc_zh, "description_en": desc_en, "sort_order": order * 10})
    for index, (email, name, dept, title, specialties) in enumerate(DOCTORS):
        user = demo_user(email=email, name=name, role=Role.DOCTOR, phone=f"1370000{index:04d}")
        DoctorProfile.objects.get_or_create(user=user, defaults={
            "department": Department.objects.get(code=dept), "title": title, "specialties": specialties})
    return [DemoLogin("doctor", DOCTORS[0][0], f"{DOCTORS[0][1]}, {DEPARTMENTS[0][2]}")]
