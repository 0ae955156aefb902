"""The doctor's pages that write the record (issue 5): a new note from the chart or the queue console, the note
page (text, ICD-10 diagnoses, prescriptions with the allergy warning, orders, signing, amending), and the ICD-10
search behind the diagnosis field. Each allowed case beside its refusal; refusals are logged."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import Appointment, DoctorProfile
from records import services
from records.coding import _icd
from records.icd10_zh import ICD10_ZH
from records.models import AccessAction, AccessLog, Diagnosis, Encounter, EncounterStatus, Order, Prescription
from tests.appointments.queue import world as queue_world
from tests.records.clinical import amoxicillin, appointment, drug, signed

pytestmark = pytest.mark.django_db

NOTE = {"chief_complaint": "咽痛两天", "history": "受凉后咽痛", "examination": "咽部充血", "assessment": "急性上感",
        "plan": "对症处理"}


def new_note_url(patient) -> str:
    return f"/records/patients/{patient.public_id}/notes/new/"


def note_url(encounter, action: str = "") -> str:
    return f"/records/notes/{encounter.public_id}/{action + '/' if action else ''}"


def refusals(user, patient) -> int:
    return AccessLog.objects.filter(actor=user, patient=patient, action=AccessAction.REFUSED).count()


def prescription_form(medicine, **fields) -> dict:
    return {"drug": str(medicine.public_id), "dose_amount": "250", "dose_unit": "mg", "route": "oral",
            "frequency": "tid", "duration_days": "5", "quantity": "2", **fields}


# --- Starting a note -------------------------------------------------------------------------------------------


def test_doctor_starts_a_note_from_the_chart_and_it_is_saved_as_their_draft(client, world):
    client.force_login(world.doctor)
    assert client.get(new_note_url(world.related)).status_code == 200
    response = client.post(new_note_url(world.related), NOTE)
    encounter = Encounter.objects.filter(patient=world.related, author=world.doctor, chief_complaint="咽痛两天").get()
    assert (response.status_code, response["Location"], encounter.status) == (302, note_url(encounter), EncounterStatus.DRAFT)


def test_new_note_page_writes_one_audit_row(client, world):
    client.force_login(world.doctor)
    before = AccessLog.objects.count()
    client.get(new_note_url(world.related))
    assert AccessLog.objects.count() - before == 1


def test_doctor_without_relationship_cannot_start_a_note_and_the_refusal_is_logged(client, world):
    client.force_login(world.doctor)
    response = client.post(new_note_url(world.unrelated), NOTE)
    assert (response.status_code, refusals(world.doctor, world.unrelated)) == (403, 1)
    assert not Encounter.objects.filter(patient=world.unrelated, author=world.doctor).exists()


def test_nurse_cannot_start_a_note(client, world):
    client.force_login(world.nurse)
    assert client.get(new_note_url(world.related)).status_code == 403


def test_patient_is_not_shown_the_new_note_page(client, world):
    client.force_login(world.patient_account)
    assert client.get(new_note_url(world.own)).status_code == 404


def todays_booking(world) -> Appointment:
    return Appointment.objects.get(patient=world.related, doctor__user=world.doctor)


def test_note_started_with_the_appointment_is_linked_to_it(client, world):
    booking = todays_booking(world)
    client.force_login(world.doctor)
    client.post(new_note_url(world.related) + f"?appointment={booking.public_id}",
                {**NOTE, "appointment": str(booking.public_id)})
    assert Encounter.objects.get(patient=world.related, chief_complaint="咽痛两天").appointment_public_id == booking.public_id


def test_note_cannot_be_linked_to_another_patients_appointment(client, world):
    someone_elses = appointment(patient=world.own, doctor=DoctorProfile.objects.get(user=world.doctor))
    client.force_login(world.doctor)
    response = client.post(new_note_url(world.related), {**NOTE, "appointment": str(someone_elses.public_id)})
    assert response.status_code == 400 and "not this patient" in response.text
    assert not Encounter.objects.filter(chief_complaint="咽痛两天").exists()


def test_chart_new_note_link_carries_the_appointment(client, world):
    booking = todays_booking(world)
    client.force_login(world.doctor)
    response = client.get(f"/records/patients/{world.related.public_id}/?appointment={booking.public_id}")
    assert f"notes/new/?appointment={booking.public_id}" in response.text


def test_nurse_chart_has_no_new_note_button(client, world):
    client.force_login(world.nurse)
    assert 'data-testid="note-new"' not in client.get(f"/records/patients/{world.related.public_id}/").text


def test_open_chart_from_the_console_goes_to_the_tickets_patient_with_the_appointment(client):
    clinic = queue_world.clinic()
    ticket = queue_world.checked_in(clinic, queue_world.booked(clinic, queue_world.slot_at(clinic, queue_world.soon(20))))
    client.force_login(clinic.doctor.user)
    response = client.get(f"/records/open-chart/?ticket={ticket.public_id}")
    assert response["Location"] == (f"/records/patients/{ticket.patient.public_id}/"
                                    f"?appointment={ticket.appointment.public_id}")
    assert client.get(response["Location"]).status_code == 200  # the ticket is the care relationship


def test_open_chart_is_not_for_patients(client):
    clinic = queue_world.clinic()
    booking = queue_world.booked(clinic, queue_world.slot_at(clinic, queue_world.soon(20)))
    ticket = queue_world.checked_in(clinic, booking)
    client.force_login(queue_world.account_of(clinic, booking))
    assert client.get(f"/records/open-chart/?ticket={ticket.public_id}").status_code == 404


def test_open_chart_with_an_unknown_ticket_is_not_found(client, world):
    client.force_login(world.doctor)
    assert client.get("/records/open-chart/?ticket=not-a-ticket").status_code == 404


# --- The note page --------------------------------------------------------------------------------------------


def test_author_sees_their_draft_with_the_writing_forms(client, world):
    client.force_login(world.doctor)
    response = client.get(note_url(world.drafts["related"]))
    assert response.status_code == 200 and 'data-testid="note-sign"' in response.text and "data-icd10-search" in response.text


def test_another_doctors_draft_does_not_exist_for_them_and_the_attempt_is_logged(client, world):
    client.force_login(world.other_doctor)
    assert client.get(note_url(world.drafts["related"])).status_code == 404
    assert refusals(world.other_doctor, world.related) == 1


def test_doctor_without_relationship_cannot_read_a_signed_note_and_is_offered_the_glass(client, world):
    client.force_login(world.doctor)
    response = client.get(note_url(world.signed["unrelated"]))
    assert (response.status_code, 'data-testid="break-glass"' in response.text) == (403, True)
    assert refusals(world.doctor, world.unrelated) == 1


def test_signed_note_is_read_only_with_its_versions_and_one_audit_row(client, world):
    client.force_login(world.doctor)
    before = AccessLog.objects.count()
    response = client.get(note_url(world.signed["related"]))
    assert response.status_code == 200 and AccessLog.objects.count() - before == 1
    assert 'data-testid="note-versions"' in response.text and 'data-testid="note-sign"' not in response.text


def test_saving_the_draft_changes_its_text(client, world):
    client.force_login(world.doctor)
    client.post(note_url(world.drafts["related"], "save"), {**NOTE, "action": "save"})
    world.drafts["related"].refresh_from_db()
    assert world.drafts["related"].chief_complaint == "咽痛两天"


def test_editing_a_signed_note_is_refused_and_changes_nothing(client, world):
    note = signed(patient=world.related, author=world.doctor)
    client.force_login(world.doctor)
    response = client.post(note_url(note, "save"), {**NOTE, "action": "save"})
    note.refresh_from_db()
    assert (response.status_code, note.chief_complaint) == (409, "咳嗽三天")
    assert "Write an amendment instead" in response.text


def test_asking_for_an_actions_address_goes_back_to_the_note(client, world):
    client.force_login(world.doctor)
    response = client.get(note_url(world.drafts["related"], "save"))
    assert (response.status_code, response["Location"]) == (302, note_url(world.drafts["related"]))


def test_doctor_adds_a_diagnosis_by_its_code(client, world):
    client.force_login(world.doctor)
    response = client.post(note_url(world.drafts["related"], "diagnoses"), {"code": "J06.9", "rank": "primary"})
    assert response.status_code == 302
    assert Diagnosis.objects.get(encounter=world.drafts["related"]).icd10_code == "J06.9"


def test_a_code_picked_from_the_list_with_its_title_is_taken_by_its_code(client, world):
    client.force_login(world.doctor)
    client.post(note_url(world.drafts["related"], "diagnoses"),
                {"code": "J06.9 · Acute upper respiratory infection, unspecified", "rank": "primary"})
    assert Diagnosis.objects.get(encounter=world.drafts["related"]).icd10_code == "J06.9"


def test_unknown_diagnosis_code_is_shown_beside_the_field(client, world):
    client.force_login(world.doctor)
    response = client.post(note_url(world.drafts["related"], "diagnoses"), {"code": "Q99.99", "rank": "primary"})
    assert response.status_code == 400 and 'data-testid="diagnosis-error"' in response.text
    assert "is not an ICD-10 diagnosis code" in response.text


def test_diagnosis_on_another_doctors_draft_is_refused(client, world):
    client.force_login(world.other_doctor)
    response = client.post(note_url(world.drafts["related"], "diagnoses"), {"code": "J06.9", "rank": "primary"})
    assert response.status_code == 404 and not Diagnosis.objects.filter(encounter=world.drafts["related"]).exists()


def test_doctor_removes_a_diagnosis_from_their_draft(client, world):
    diagnosis = services.diagnosis_add(encounter=world.drafts["related"], code="J06.9", by=world.doctor)
    client.force_login(world.doctor)
    client.post(note_url(world.drafts["related"], f"diagnoses/{diagnosis.public_id}/remove"))
    assert not Diagnosis.objects.filter(pk=diagnosis.pk).exists()


def test_doctor_prescribes_from_the_formulary(client, world):
    client.force_login(world.doctor)
    response = client.post(note_url(world.drafts["related"], "prescriptions"), prescription_form(world.drug))
    prescription = Prescription.objects.get(encounter=world.drafts["related"])
    assert (response.status_code, prescription.drug, prescription.quantity) == (302, world.drug, 2)


def test_formulary_choices_show_the_allergy_warning_before_prescribing(client, world):
    medicine = amoxicillin()
    client.force_login(world.doctor)
    response = client.get(note_url(world.drafts["related"]))
    assert f"{medicine.name} {medicine.strength} ⚠ Recorded allergy: 青霉素" in response.text


def test_prescribing_against_an_allergy_asks_for_a_reason_and_prescribes_nothing(client, world):
    medicine = amoxicillin()
    client.force_login(world.doctor)
    response = client.post(note_url(world.drafts["related"], "prescriptions"), prescription_form(medicine))
    assert response.status_code == 409 and 'data-testid="allergy-conflict"' in response.text
    assert 'name="allergy_override_reason"' in response.text
    assert not Prescription.objects.filter(encounter=world.drafts["related"]).exists()


def test_prescribing_against_an_allergy_with_a_reason_keeps_the_warning_and_the_reason(client, world):
    medicine = amoxicillin()
    client.force_login(world.doctor)
    client.post(note_url(world.drafts["related"], "prescriptions"),
                prescription_form(medicine, allergy_override_reason="皮试阴性，已告知风险"))
    prescription = Prescription.objects.get(encounter=world.drafts["related"])
    assert (prescription.allergy_override_reason, "青霉素" in prescription.allergy_warning) == ("皮试阴性，已告知风险", True)


def test_prescription_errors_are_shown_beside_their_fields(client, world):
    client.force_login(world.doctor)
    response = client.post(note_url(world.drafts["related"], "prescriptions"), prescription_form(world.drug, dose_unit="µg"))
    assert response.status_code == 400 and 'id="id_dose_unit_error"' in response.text


def test_doctor_orders_a_lab_test_for_the_note(client, world):
    client.force_login(world.doctor)
    client.post(note_url(world.drafts["related"], "orders"), {"kind": "lab", "name": "血常规", "code": "58410-2"})
    assert Order.objects.get(encounter=world.drafts["related"]).name == "血常规"


def test_order_with_a_wrong_loinc_code_is_refused_beside_the_field(client, world):
    client.force_login(world.doctor)
    response = client.post(note_url(world.drafts["related"], "orders"), {"kind": "lab", "name": "血常规", "code": "58410-3"})
    assert response.status_code == 400 and 'id="id_order_code_error"' in response.text


def test_every_field_of_the_draft_note_page_has_its_own_id_so_each_label_names_its_own_field(client, world):
    """The order form's LOINC code and note had the diagnosis form's ids (id_code, id_note): the label "LOINC code"
    pointed at the ICD-10 field, so a code typed there by label (a screen reader, a browser test) went to the wrong
    form and the order was placed without its code (found by tests/e2e/test_journey_patient_day.py)."""
    client.force_login(world.doctor)
    page = client.get(note_url(world.drafts["related"])).text
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert [i for i in set(ids) if ids.count(i) > 1] == []
    assert '<label for="id_order_code">' in page and '<label for="id_code">' in page


def test_signing_without_a_primary_diagnosis_is_refused_and_the_text_is_kept(client, world):
    client.force_login(world.doctor)
    response = client.post(note_url(world.drafts["related"], "save"), {**NOTE, "action": "sign"})
    world.drafts["related"].refresh_from_db()
    assert response.status_code == 400 and 'data-testid="sign-errors"' in response.text
    assert (world.drafts["related"].status, world.drafts["related"].chief_complaint) == (EncounterStatus.DRAFT, "咽痛两天")


def test_doctor_signs_their_note(client, world):
    services.diagnosis_add(encounter=world.drafts["related"], code="J06.9", by=world.doctor)
    client.force_login(world.doctor)
    client.post(note_url(world.drafts["related"], "save"), {**NOTE, "action": "sign"})
    world.drafts["related"].refresh_from_db()
    assert (world.drafts["related"].status, world.drafts["related"].signed_by) == (EncounterStatus.SIGNED, world.doctor)


def test_amending_a_signed_note_opens_a_new_version_and_the_old_one_stays_readable(client, world):
    note = signed(patient=world.related, author=world.doctor)
    client.force_login(world.doctor)
    response = client.post(note_url(note, "amend"), {"reason": "补充查体"})
    amendment = Encounter.objects.get(amends=note)
    assert (response["Location"], amendment.version, amendment.status) == (note_url(amendment), 2, EncounterStatus.DRAFT)
    old = client.get(note_url(note))
    assert old.status_code == 200 and "咳嗽三天" in old.text and note_url(amendment) in old.text


def test_amending_without_a_reason_is_refused_beside_the_field(client, world):
    note = signed(patient=world.related, author=world.doctor)
    client.force_login(world.doctor)
    response = client.post(note_url(note, "amend"), {"reason": ""})
    assert response.status_code == 400 and 'id="id_reason_error"' in response.text
    assert not Encounter.objects.filter(amends=note).exists()


def test_nurse_cannot_amend_a_note(client, world):
    client.force_login(world.nurse)
    response = client.post(note_url(world.signed["related"], "amend"), {"reason": "补充"})
    assert response.status_code == 403 and not Encounter.objects.filter(amends=world.signed["related"]).exists()


def test_version_list_shows_every_signed_version(client, world):
    note = signed(patient=world.related, author=world.doctor)
    amendment = services.encounter_amend(encounter=note, by=world.doctor, reason="补充")
    services.encounter_sign(encounter=amendment, by=world.doctor)
    client.force_login(world.doctor)
    response = client.get(note_url(amendment))
    assert response.text.count("signed by") >= 3 and note_url(note) in response.text  # meta line + two versions


def note_page_queries(client, encounter) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(note_url(encounter)).status_code == 200
    return len(captured.captured_queries)


def test_draft_page_queries_do_not_grow_with_diagnoses_prescriptions_and_orders(client, world):
    small = world.drafts["related"]
    large = services.encounter_create(patient=world.related, author=world.doctor, chief_complaint="复诊")
    for encounter, n in ((small, 1), (large, 4)):
        for code in ("J06.9", "I10", "E11.9", "R05")[:n]:
            services.diagnosis_add(encounter=encounter, code=code, by=world.doctor)
        for _n in range(n):
            services.prescription_create(encounter=encounter, drug=drug(), dose_amount=1, dose_unit="mg", route="oral",
                                         frequency="qd", duration_days=3, quantity=1, by=world.doctor)
            services.order_create(patient=world.related, kind="lab", name="血常规", encounter=encounter, by=world.doctor)
    client.force_login(world.doctor)
    assert note_page_queries(client, small) == note_page_queries(client, large)


def test_signed_page_queries_do_not_grow_with_versions(client, world):
    one = signed(patient=world.related, author=world.doctor)
    many = signed(patient=world.related, author=world.doctor)
    for _n in range(3):
        many = services.encounter_sign(encounter=services.encounter_amend(encounter=many, by=world.doctor, reason="改"),
                                       by=world.doctor)
    client.force_login(world.doctor)
    assert note_page_queries(client, one) == note_page_queries(client, many)


# --- ICD-10 search ----------------------------------------------------------------------------------------------


def test_icd10_search_finds_codes_by_code_and_by_words(client, world):
    client.force_login(world.doctor)
    by_code = client.get("/records/icd10/", {"q": "J06"}).json()["results"]
    by_words = client.get("/records/icd10/", {"q": "asthma"}).json()["results"]
    assert "J06.9" in [r["code"] for r in by_code] and by_words[0]["code"] == "J45.9"


def test_icd10_search_shows_and_finds_chinese_names_for_a_chinese_reader(client, world):
    client.force_login(world.doctor)
    client.cookies["django_language"] = "zh-hans"
    results = client.get("/records/icd10/", {"q": "高血压"}).json()["results"]
    assert {"code": "I10", "title": "特发性（原发性）高血压"} in results


def test_icd10_search_is_for_staff_only(client, world):
    client.force_login(world.patient_account)
    assert client.get("/records/icd10/", {"q": "J06"}).status_code == 404


@pytest.mark.parametrize("code", sorted(ICD10_ZH))
def test_every_translated_icd10_code_is_a_specific_who_code(code):
    icd = _icd()
    assert icd.is_valid_item(code) and icd.is_category_or_subcategory(code) and icd.is_leaf(code)
