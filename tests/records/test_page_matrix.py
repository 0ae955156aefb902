"""The access matrix of the record's browser pages (issue 5, acceptance 1), beside the API's
(tests/records/test_access_matrix.py): every role × own / related / unrelated patient × every page that reads
or writes the record, allowed or refused, and the audit rows each answer leaves. Pages refuse staff with 403
(the break-the-glass page for a doctor) and everyone else with 404; a draft is its author's alone."""

from dataclasses import dataclass

import pytest

from records import services
from records.models import AccessAction, AccessLog
from tests.records.test_access_matrix import CARERS, CASES, DOCTOR, DOCTOR_WRITES, PATIENT

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Page:
    name: str
    method: str
    url: object  # (world, relation) -> path
    allowed: frozenset
    data: object = None  # (world, relation) -> form data
    audit: str = "read"  # read, write or none
    ok: int = 200
    refusal_logged: bool = True


def patient_page(suffix=""):
    return lambda w, rel: f"/records/patients/{getattr(w, rel).public_id}/{suffix}"


def signed_note(suffix=""):
    return lambda w, rel: f"/records/notes/{w.signed[rel].public_id}/{suffix}"


def draft_note(suffix=""):
    # The own record has no draft; the patient's own case uses the related draft (not theirs either).
    return lambda w, rel: f"/records/notes/{w.drafts['related' if rel == 'own' else rel].public_id}/{suffix}"


GUARDIANS = frozenset({(PATIENT, "own"), (PATIENT, "related")})

PAGES = [
    Page("chart or my record", "get", patient_page(), frozenset(CARERS)),
    Page("signed note", "get", signed_note(), frozenset(CARERS)),
    Page("draft note", "get", draft_note(), DOCTOR_WRITES),
    Page("new note form", "get", patient_page("notes/new/"), DOCTOR_WRITES),
    Page("new note", "post", patient_page("notes/new/"), DOCTOR_WRITES, data=lambda w, rel: {"chief_complaint": "胸痛"},
         audit="write", ok=302),
    Page("save draft", "post", draft_note("save/"), DOCTOR_WRITES, data=lambda w, rel: {"plan": "复查", "action": "save"},
         audit="write", ok=302),
    Page("sign", "post", draft_note("save/"), DOCTOR_WRITES,
         data=lambda w, rel: {"chief_complaint": "咳嗽三天", "action": "sign"}, audit="write", ok=302),
    Page("diagnosis", "post", draft_note("diagnoses/"), DOCTOR_WRITES, data=lambda w, rel: {"code": "R05", "rank": "primary"},
         audit="write", ok=302),
    Page("prescription", "post", draft_note("prescriptions/"), DOCTOR_WRITES, audit="write", ok=302,
         data=lambda w, rel: {"drug": str(w.drug.public_id), "dose_amount": "500", "dose_unit": "mg", "route": "oral",
                              "frequency": "tid", "duration_days": "5", "quantity": "2"}),
    Page("order", "post", draft_note("orders/"), DOCTOR_WRITES, data=lambda w, rel: {"kind": "lab", "name": "血常规"},
         audit="write", ok=302),
    Page("amend", "post", signed_note("amend/"), DOCTOR_WRITES, data=lambda w, rel: {"reason": "补充查体"},
         audit="write", ok=302),
    *[Page(f"{section} PDF", "get", patient_page(f"pdf/{section}/"), frozenset(CARERS))
      for section in ("visits", "diagnoses", "medicines", "results")],
    Page("who viewed my record", "get", patient_page("viewers/"), GUARDIANS, audit="none", refusal_logged=False),
]


def _rows() -> dict[str, int]:
    return {action: AccessLog.objects.filter(action=action).count() for action in AccessAction.values}


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
@pytest.mark.parametrize(("role", "relation"), CASES, ids=[f"{r}-{rel}" for r, rel in CASES])
def test_page_access_matrix(client, world, page, role, relation):
    if page.name == "sign":
        services.diagnosis_add(encounter=world.drafts["related"], code="J20.9", by=world.doctor)
    client.force_login(world.user(role))
    before = _rows()

    url = page.url(world, relation)
    response = client.post(url, page.data(world, relation)) if page.method == "post" else client.get(url)

    after = _rows()
    added = {action: after[action] - before[action] for action in after if after[action] != before[action]}
    if (role, relation) in page.allowed:
        assert response.status_code == page.ok, response.content[:300]
        if page.audit == "write":
            assert set(added) == {"write"} and added["write"] >= 1
        else:
            assert added == ({} if page.audit == "none" else {page.audit: 1})
    else:
        draft_refusal = "notes/" in url and url.split("/notes/")[1].split("/")[0] in {
            str(d.public_id) for d in world.drafts.values()}
        staff_sees_403 = role != PATIENT and not draft_refusal and page.refusal_logged
        assert response.status_code == (403 if staff_sees_403 else 404), response.content[:300]
        assert added == ({"refused": 1} if page.refusal_logged else {})
        if response.status_code == 403 and role == DOCTOR:
            assert 'data-testid="break-glass"' in response.text
