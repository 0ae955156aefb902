from datetime import date

from accounts.models import User
from core.demo import DEMO_PASSWORD, DemoLogin
from records import services
from records.models import FamilyMember, Relationship

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
    return [DemoLogin("patient", PATIENTS[0]["email"], f"or {PATIENTS[0]['phone']}; family: parent and child"),
            DemoLogin("patient", PATIENTS[1]["email"], f"or {PATIENTS[1]['phone']}")]
