"""The access matrix (issue 5, acceptance 1): every role × own / related / unrelated patient × every clinical
API endpoint, allowed or refused, and the audit rows each answer leaves.

Relations (tests/records/clinical.py): for the patient account, ``own`` is their record and ``related`` a
person they are guardian of; for the doctor ``related`` is booked with them today; for the nurse ``related``
is today's patient of their department; for front desk and the administrator ``related`` is the same
person (no relationship gives them clinical content). ``unrelated`` has a relationship with none of them.
"""

from dataclasses import dataclass, field

import pytest

from accounts.roles import Role
from records.models import AccessAction, AccessLog, Patient
from tests.records.clinical import PDF, World
from tests.records.fhir_samples import referral_bundle

API = "/api/v1/records"
PATIENT, DOCTOR, NURSE, FRONT, ADMIN = Role.PATIENT, Role.DOCTOR, Role.NURSE, Role.FRONT_DESK, Role.HOSPITAL_ADMIN
CASES = [(PATIENT, "own"), (PATIENT, "related"), (PATIENT, "unrelated"),
         (DOCTOR, "related"), (DOCTOR, "unrelated"), (NURSE, "related"), (NURSE, "unrelated"),
         (FRONT, "related"), (FRONT, "unrelated"), (ADMIN, "related"), (ADMIN, "unrelated")]
CARERS = {(PATIENT, "own"), (PATIENT, "related"), (DOCTOR, "related"), (NURSE, "related")}

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: object  # (world, relation) -> path
    allowed: frozenset
    payload: object = None  # (world, relation) -> data
    audit: str = "read"  # the row an allowed call writes: read, write, break_glass, none
    refusal_logged: bool = True  # False where the refusal is "does not exist" before any record is touched
    multipart: bool = False
    ok: tuple = field(default=(200,))


def patient_url(suffix=""):
    return lambda w, rel: f"{API}/patients/{getattr(w, rel).public_id}{suffix}"


def signed_url(suffix=""):
    return lambda w, rel: f"{API}/encounters/{w.signed[rel].public_id}{suffix}"


def draft_url(suffix=""):
    # The own record has no draft; its patient-role cases use the related draft's refusal (not theirs).
    return lambda w, rel: f"{API}/encounters/{w.drafts['related' if rel == 'own' else rel].public_id}{suffix}"


DOCTOR_WRITES = frozenset({(DOCTOR, "related")})
CLINICIAN_WRITES = frozenset({(DOCTOR, "related"), (NURSE, "related")})
EVERY_STAFF = {(role, rel) for role in (DOCTOR, NURSE, FRONT, ADMIN) for rel in ("related", "unrelated")}

ENDPOINTS = [
    Endpoint("demographics", "get", patient_url(), frozenset({(PATIENT, "own"), (PATIENT, "related"), *EVERY_STAFF})),
    Endpoint("chart", "get", patient_url("/chart"), frozenset(CARERS)),
    Endpoint("encounter list", "get", patient_url("/encounters"), frozenset(CARERS)),
    Endpoint("encounter", "get", signed_url(), frozenset(CARERS)),
    Endpoint("encounter versions", "get", signed_url("/versions"), frozenset(CARERS)),
    Endpoint("allergies", "get", patient_url("/allergies"), frozenset(CARERS)),
    Endpoint("problems", "get", patient_url("/problems"), frozenset(CARERS)),
    Endpoint("orders", "get", patient_url("/orders"), frozenset(CARERS)),
    Endpoint("results", "get", patient_url("/results"), frozenset(CARERS)),
    Endpoint("reports", "get", patient_url("/reports"), frozenset(CARERS)),
    Endpoint("report file", "get", lambda w, rel: f"{API}/reports/{w.reports[rel].public_id}/file", frozenset(CARERS)),
    Endpoint("FHIR export", "get", patient_url("/fhir"), frozenset(CARERS)),
    Endpoint("encounter create", "post", patient_url("/encounters"), DOCTOR_WRITES,
             payload=lambda w, rel: {"chief_complaint": "胸痛两小时"}, audit="write", ok=(201,)),
    Endpoint("encounter amend", "post", signed_url("/amend"), DOCTOR_WRITES,
             payload=lambda w, rel: {"reason": "补充体格检查"}, audit="write", ok=(201,)),
    Endpoint("allergy record", "post", patient_url("/allergies"), CLINICIAN_WRITES,
             payload=lambda w, rel: {"substance": "海鲜", "severity": "mild"}, audit="write", ok=(201,)),
    Endpoint("problem record", "post", patient_url("/problems"), DOCTOR_WRITES,
             payload=lambda w, rel: {"description": "2型糖尿病", "icd10_code": "E11.9"}, audit="write", ok=(201,)),
    Endpoint("order", "post", patient_url("/orders"), DOCTOR_WRITES,
             payload=lambda w, rel: {"kind": "lab", "name": "空腹血糖", "code": "1558-6"}, audit="write", ok=(201,)),
    Endpoint("result record", "post", patient_url("/results"), CLINICIAN_WRITES,
             payload=lambda w, rel: {"loinc_code": "2345-7", "name": "葡萄糖", "value": "7.9", "unit": "mmol/L",
                                     "reference_low": "3.9", "reference_high": "6.1"}, audit="write", ok=(201,)),
    Endpoint("report upload", "post", patient_url("/reports"), CLINICIAN_WRITES, multipart=True,
             payload=lambda w, rel: {"title": "心电图", "text": "窦性心律", "file": _pdf()}, audit="write", ok=(201,)),
    Endpoint("break the glass", "post", patient_url("/break-glass"),
             frozenset({(DOCTOR, "related"), (DOCTOR, "unrelated")}),
             payload=lambda w, rel: {"reason": "急诊抢救，患者昏迷无法联系家属"}, audit="break_glass", ok=(201,)),
    # A draft is visible to its author only: for everyone else it does not exist (404, nothing to log).
    Endpoint("draft edit", "patch", draft_url(), DOCTOR_WRITES, payload=lambda w, rel: {"plan": "复查血常规"},
             audit="write", refusal_logged=False),
    Endpoint("diagnosis add", "post", draft_url("/diagnoses"), DOCTOR_WRITES, payload=lambda w, rel: {"code": "R05"},
             audit="write", refusal_logged=False, ok=(201,)),
    Endpoint("prescription", "post", draft_url("/prescriptions"), DOCTOR_WRITES,
             payload=lambda w, rel: {"drug": w.drug.code, "dose_amount": "500", "dose_unit": "mg", "route": "oral",
                                     "frequency": "tid", "duration_days": 5, "quantity": 2},
             audit="write", refusal_logged=False, ok=(201,)),
    Endpoint("sign", "post", draft_url("/sign"), DOCTOR_WRITES, audit="write", refusal_logged=False),
    # "Who has viewed my record" is the patient's and their guardians' only.
    Endpoint("who viewed my record", "get", patient_url("/access-log"), frozenset({(PATIENT, "own"), (PATIENT, "related")}),
             audit="none", refusal_logged=False),
]


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("ecg.pdf", PDF, content_type="application/pdf")


def _rows() -> dict[str, int]:
    return {action: AccessLog.objects.filter(action=action).count() for action in AccessAction.values}


def _call(api_client, world: World, endpoint: Endpoint, relation: str):
    url = endpoint.url(world, relation)
    data = endpoint.payload(world, relation) if endpoint.payload else None
    call = getattr(api_client, endpoint.method)
    if endpoint.multipart:
        return call(url, data, format="multipart")
    return call(url, data, format="json") if data is not None else call(url)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
@pytest.mark.parametrize(("role", "relation"), CASES, ids=[f"{r}-{rel}" for r, rel in CASES])
def test_access_matrix(api_client, world, endpoint, role, relation):
    if endpoint.name == "sign" and relation == "related":
        from records import services

        services.diagnosis_add(encounter=world.drafts["related"], code="J20.9", by=world.doctor)
    api_client.force_login(world.user(role))
    before = _rows()

    response = _call(api_client, world, endpoint, relation)

    after = _rows()
    added = {action: after[action] - before[action] for action in after if after[action] != before[action]}
    if (role, relation) in endpoint.allowed:
        assert response.status_code in endpoint.ok, response.content[:300]
        expected = {} if endpoint.audit == "none" else {endpoint.audit: 1}
        if endpoint.audit == "write":
            assert set(added) == {"write"} and added["write"] >= 1
        else:
            assert added == expected
    else:
        hidden = role == PATIENT or not endpoint.refusal_logged
        assert response.status_code == (404 if hidden else 403), response.content[:300]
        assert response["Content-Type"].startswith("application/problem+json")
        assert added == ({"refused": 1} if endpoint.refusal_logged else {})


def test_break_glass_refusal_tells_the_doctor_they_can_break_the_glass(api_client, world):
    api_client.force_login(world.doctor)
    response = api_client.get(f"{API}/patients/{world.unrelated.public_id}/chart")
    assert response.status_code == 403 and response.json()["break_glass"] is True


def test_front_desk_refusal_does_not_offer_the_glass(api_client, world):
    api_client.force_login(world.front_desk)
    response = api_client.get(f"{API}/patients/{world.related.public_id}/chart")
    assert response.status_code == 403 and response.json()["break_glass"] is False


def test_unknown_patient_is_404_and_logs_nothing(api_client, world):
    api_client.force_login(world.doctor)
    before = AccessLog.objects.count()
    response = api_client.get(f"{API}/patients/00000000-0000-0000-0000-000000000000/chart")
    assert (response.status_code, AccessLog.objects.count()) == (404, before)


def test_anonymous_is_refused_before_any_record_is_touched(api_client, world):
    response = api_client.get(f"{API}/patients/{world.related.public_id}/chart")
    assert response.status_code == 403 and not AccessLog.objects.filter(action="read").exists()


@pytest.mark.parametrize(("role", "status"), [(DOCTOR, 201), (NURSE, 403), (FRONT, 403), (ADMIN, 403), (PATIENT, 403)])
def test_fhir_import_is_for_doctors(api_client, world, role, status):
    api_client.force_login(world.user(role))
    before = Patient.objects.count()
    response = api_client.post(f"{API}/fhir/import", referral_bundle(), format="json")
    assert (response.status_code, Patient.objects.count() - before) == (status, 1 if status == 201 else 0)


@pytest.mark.parametrize(("role", "status"), [(DOCTOR, 201), (NURSE, 201), (FRONT, 403), (ADMIN, 403), (PATIENT, 403)])
def test_lab_import_is_for_doctors_and_nurses(api_client, world, role, status):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = f"mrn,loinc,value,unit,low,high\n{world.related.mrn},2345-7,5.1,mmol/L,3.9,6.1\n".encode()
    api_client.force_login(world.user(role))
    response = api_client.post(f"{API}/results/import", {"file": SimpleUploadedFile("lab.csv", content)}, format="multipart")
    assert response.status_code == status, response.content[:300]
