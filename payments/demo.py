"""Demo payments: the fee schedule (registration fees by title, the demo formulary's medicines, the demo lab tests,
monitoring plans), one insurance plan and patient@demo.hospital covered by it.

Idempotent: prices are found by (kind, code, effective from), the plan by its code, the coverage by member number.
Prices take effect from 2020-01-01, so they apply to every demo booking and note.
"""

import uuid
from datetime import date
from decimal import Decimal

from core.demo import DemoLogin
from payments.models import Coverage, FeeItem, FeeKind, InsurancePlan, InsuranceRatio, InvoiceSource, LineCategory
from records.models import Drug, Patient

SINCE = date(2020, 1, 1)

REGISTRATION = [("chief", "主任医师挂号费 Chief physician", "50.00"),
                ("associate_chief", "副主任医师挂号费 Associate chief physician", "30.00"),
                ("attending", "主治医师挂号费 Attending physician", "20.00"),
                ("resident", "住院医师挂号费 Resident physician", "10.00")]
TESTS = [("58410-2", "血常规 Complete blood count", LineCategory.LAB, "25.00"),
         ("24323-8", "生化 Comprehensive metabolic panel", LineCategory.LAB, "120.00"),
         ("4548-4", "糖化血红蛋白 HbA1c", LineCategory.LAB, "60.00"),
         ("11524-6", "心电图 ECG", LineCategory.EXAM, "35.00")]
MONITORING = [("blood_pressure", "血压管理 Blood pressure management (monthly)", "99.00"),
              ("glucose", "血糖管理 Glucose management (monthly)", "129.00"),
              ("cardiac", "心电监护 ECG monitoring (monthly)", "199.00")]
PLAN = {"code": "urban-employee", "name": "城镇职工基本医疗保险 Urban employee basic medical insurance",
        "deductible": Decimal("50.00"), "annual_cap": Decimal("3000.00"), "excluded_codes": "drug:vitamin-c"}
RATIOS = {LineCategory.DRUG: "0.70", LineCategory.LAB: "0.70", LineCategory.EXAM: "0.60",
          LineCategory.REGISTRATION: "0.00"}
COVERED = ("patient@demo.hospital", "DEMO-330100-0001")


def _fee(kind: str, code: str, name: str, category: str, amount: str) -> None:
    FeeItem.objects.get_or_create(kind=kind, code=code, effective_from=SINCE,
                                  defaults={"name": name, "category": category, "amount": Decimal(amount)})


def seed() -> list[DemoLogin]:
    for code, name, amount in REGISTRATION:
        _fee(FeeKind.REGISTRATION, code, name, LineCategory.REGISTRATION, amount)
    for drug in Drug.objects.filter(is_active=True):
        _fee(FeeKind.DRUG, drug.code, f"{drug.name} {drug.strength}"[:200], LineCategory.DRUG, str(drug.unit_price))
    for code, name, category, amount in TESTS:
        _fee(FeeKind.TEST, code, name, category, amount)
    for code, name, amount in MONITORING:
        _fee(FeeKind.MONITORING, code, name, LineCategory.MONITORING, amount)

    plan, _created = InsurancePlan.objects.get_or_create(code=PLAN["code"], defaults=PLAN)
    for category, ratio in RATIOS.items():
        InsuranceRatio.objects.get_or_create(plan=plan, category=category, defaults={"ratio": Decimal(ratio)})
    email, member = COVERED
    patient = Patient.objects.filter(account__email=email).first()
    if patient is not None:
        Coverage.objects.get_or_create(plan=plan, member_number=member,
                                       defaults={"patient": patient, "valid_from": SINCE})
        _seed_unpaid_bill(patient)
    return []


# The demo patient's bill to pay (medicines and a test, insurance applied), so "My bills" has something to pay and
# paying it shows the pharmacy number. A fixed source id makes it one bill however often seed_demo runs.
DEMO_BILL = uuid.UUID("6d1f3c2a-0b7e-4c55-9a61-2f0c9e4b7d01")


def _seed_unpaid_bill(patient: Patient) -> None:
    from payments import services

    drug = Drug.objects.filter(is_active=True).order_by("code").first()
    if drug is None:
        return
    services.invoice_create(
        patient=patient, source=InvoiceSource.MANUAL, source_ref=DEMO_BILL,
        description="门诊处方与检验 Prescription and test",
        lines=[services.LineSpec(category=LineCategory.DRUG, code=f"{FeeKind.DRUG}:{drug.code}",
                                 description=f"{drug.name} {drug.strength}"[:200], unit_price=drug.unit_price, quantity=2),
               services.LineSpec(category=LineCategory.LAB, code=f"{FeeKind.TEST}:58410-2",
                                 description="血常规 Complete blood count", unit_price=Decimal("25.00"))])
