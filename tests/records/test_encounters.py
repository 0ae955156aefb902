"""Encounters: drafts, signing, amendments; diagnoses, allergies and prescriptions (issue 5, acceptance 3)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from core.errors import PermissionRefused, ValidationFailed
from records import services
from records.errors import AllergyConflictError, EncounterNotSignedError, EncounterSignedError, EncounterSupersededError
from records.models import Diagnosis, Encounter, EncounterStatus, Prescription
from tests.appointments import factories as booking
from tests.records.clinical import amoxicillin, draft, drug, signed

API = "/api/v1/records"
pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor():
    return booking.doctor(dept=booking.department(code="resp", name_zh="呼吸内科", name_en="Respiratory")).user


@pytest.fixture
def person():
    return booking.patient(name="李雷")


def test_new_note_is_a_draft_in_the_doctors_department(doctor, person):
    encounter = draft(patient=person, author=doctor)
    assert (encounter.status, encounter.version, encounter.department_code, encounter.department_name) == (
        EncounterStatus.DRAFT, 1, "resp", "呼吸内科")


def test_only_doctors_write_notes(person):
    nurse = booking.user("nurse")
    with pytest.raises(PermissionRefused):
        draft(patient=person, author=nurse)


def test_author_edits_their_draft(doctor, person):
    encounter = services.encounter_update(encounter=draft(patient=person, author=doctor), by=doctor, plan="  复诊  ")
    assert Encounter.objects.get(pk=encounter.pk).plan == "复诊"


def test_another_doctor_cannot_edit_someone_elses_draft(doctor, person):
    encounter = draft(patient=person, author=doctor)
    with pytest.raises(PermissionRefused):
        services.encounter_update(encounter=encounter, by=booking.doctor().user, plan="改")


def test_unknown_note_field_is_refused(doctor, person):
    with pytest.raises(ValidationFailed) as refused:
        services.encounter_update(encounter=draft(patient=person, author=doctor), by=doctor, signed_at="now")
    assert "signed_at" in refused.value.errors


def test_signing_needs_a_chief_complaint_and_a_primary_diagnosis(doctor, person):
    encounter = draft(patient=person, author=doctor, chief_complaint="")
    with pytest.raises(ValidationFailed) as refused:
        services.encounter_sign(encounter=encounter, by=doctor)
    assert set(refused.value.errors) == {"chief_complaint", "diagnoses"}


def test_signed_note_records_who_and_when(doctor, person):
    encounter = signed(patient=person, author=doctor)
    assert encounter.status == EncounterStatus.SIGNED and encounter.signed_by == doctor and encounter.signed_at


def test_signed_note_cannot_be_edited_through_the_service(doctor, person):
    encounter = signed(patient=person, author=doctor)
    with pytest.raises(EncounterSignedError):
        services.encounter_update(encounter=encounter, by=doctor, assessment="改写")


def test_signed_note_cannot_take_a_new_diagnosis(doctor, person):
    encounter = signed(patient=person, author=doctor)
    with pytest.raises(EncounterSignedError):
        services.diagnosis_add(encounter=encounter, code="R05", by=doctor)


def test_signed_note_cannot_be_edited_through_the_api(api_client, doctor, person):
    encounter = signed(patient=person, author=doctor)
    api_client.force_login(doctor)
    response = api_client.patch(f"{API}/encounters/{encounter.public_id}", {"plan": "改"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "encounter_signed")


def test_database_refuses_to_update_a_signed_note_even_from_code_that_forgets(doctor, person):
    """The trigger of migration 0003 (PostgreSQL and SQLite): a signed row is never updated."""
    encounter = signed(patient=person, author=doctor)
    with pytest.raises(IntegrityError), transaction.atomic():
        Encounter.objects.filter(pk=encounter.pk).update(assessment="悄悄改写")
    assert Encounter.objects.get(pk=encounter.pk).assessment == "社区获得性肺炎"


def test_database_refuses_raw_sql_update_of_a_signed_note(doctor, person):
    encounter = signed(patient=person, author=doctor)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE records_encounter SET status = 'draft', signed_at = NULL, signed_by_id = NULL "
                       "WHERE id = %s", [encounter.pk])


def test_database_lets_a_draft_be_updated(doctor, person):
    encounter = draft(patient=person, author=doctor)
    assert Encounter.objects.filter(pk=encounter.pk).update(plan="改") == 1


def test_amendment_is_a_new_version_and_every_version_stays(doctor, person):
    original = signed(patient=person, author=doctor)
    amendment = services.encounter_amend(encounter=original, by=doctor, reason="补充过敏史")
    services.encounter_update(encounter=amendment, by=doctor, history="发热，咳黄痰；青霉素过敏")
    second = services.encounter_sign(encounter=amendment, by=doctor)
    third = services.encounter_sign(encounter=services.encounter_amend(encounter=second, by=doctor, reason="更正诊断"),
                                    by=doctor)
    versions = list(Encounter.objects.filter(record_id=original.record_id).order_by("version"))
    assert [(v.version, v.amends_id, v.history) for v in versions] == [
        (1, None, "发热，咳黄痰"), (2, original.pk, "发热，咳黄痰；青霉素过敏"), (3, second.pk, "发热，咳黄痰；青霉素过敏")]
    assert third.amendment_reason == "更正诊断"


def test_amendment_copies_the_diagnoses(doctor, person):
    original = signed(patient=person, author=doctor, code="J18.9")
    amendment = services.encounter_amend(encounter=original, by=doctor, reason="补充")
    assert list(amendment.diagnoses.values_list("icd10_code", "rank")) == [("J18.9", "primary")]
    assert original.diagnoses.count() == 1


def test_only_a_signed_note_is_amended(doctor, person):
    with pytest.raises(EncounterNotSignedError):
        services.encounter_amend(encounter=draft(patient=person, author=doctor), by=doctor, reason="x")


def test_an_amended_version_cannot_be_amended_again(doctor, person):
    original = signed(patient=person, author=doctor)
    services.encounter_amend(encounter=original, by=doctor, reason="第一次")
    with pytest.raises(EncounterSupersededError):
        services.encounter_amend(encounter=original, by=booking.doctor().user, reason="第二次")


def test_amendment_needs_a_reason(doctor, person):
    with pytest.raises(ValidationFailed):
        services.encounter_amend(encounter=signed(patient=person, author=doctor), by=doctor, reason="  ")


def test_versions_api_lists_every_signed_version(api_client, doctor, person):
    original = signed(patient=person, author=doctor)
    services.encounter_sign(encounter=services.encounter_amend(encounter=original, by=doctor, reason="补充"), by=doctor)
    api_client.force_login(doctor)
    response = api_client.get(f"{API}/encounters/{original.public_id}/versions")
    assert [(v["version"], v["status"]) for v in response.json()] == [(1, "signed"), (2, "signed")]


def test_chart_shows_the_current_version_only(api_client, doctor, person):
    original = signed(patient=person, author=doctor)
    current = services.encounter_sign(encounter=services.encounter_amend(encounter=original, by=doctor, reason="补充"),
                                      by=doctor)
    api_client.force_login(doctor)
    encounters = api_client.get(f"{API}/patients/{person.public_id}/chart").json()["encounters"]
    assert [e["id"] for e in encounters] == [str(current.public_id)]


def test_a_draft_is_invisible_to_other_doctors(api_client, doctor, person):
    signed(patient=person, author=doctor)
    other = booking.doctor().user
    hidden = draft(patient=person, author=other)
    api_client.force_login(doctor)
    encounters = api_client.get(f"{API}/patients/{person.public_id}/encounters").json()
    assert str(hidden.public_id) not in {e["id"] for e in encounters}


def test_pending_amendment_keeps_the_signed_version_current_for_others(doctor, person):
    from records.selectors import encounter_list

    original = signed(patient=person, author=doctor)
    services.encounter_amend(encounter=original, by=doctor, reason="补充")
    assert list(encounter_list(patient=person, viewer=booking.doctor().user)) == [original]


@pytest.mark.parametrize(("code", "error"), [("J18", "group"), ("Q99.9x", "not an ICD-10"), ("", "not an ICD-10")])
def test_diagnosis_code_must_be_a_specific_icd10_code(doctor, person, code, error):
    with pytest.raises(ValidationFailed) as refused:
        services.diagnosis_add(encounter=draft(patient=person, author=doctor), code=code, by=doctor)
    assert error in refused.value.errors["code"][0]


def test_diagnosis_code_is_normalised_and_titled(doctor, person):
    diagnosis = services.diagnosis_add(encounter=draft(patient=person, author=doctor), code=" j189 ", by=doctor)
    assert (diagnosis.icd10_code, diagnosis.description, diagnosis.rank) == ("J18.9", "Pneumonia, unspecified", "primary")


def test_new_primary_diagnosis_makes_the_old_one_secondary(doctor, person):
    encounter = draft(patient=person, author=doctor)
    services.diagnosis_add(encounter=encounter, code="J18.9", by=doctor)
    services.diagnosis_add(encounter=encounter, code="I10", by=doctor, rank="primary")
    assert dict(Diagnosis.objects.filter(encounter=encounter).values_list("icd10_code", "rank")) == {
        "J18.9": "secondary", "I10": "primary"}


def test_database_allows_one_primary_diagnosis_per_note(doctor, person):
    encounter = draft(patient=person, author=doctor)
    services.diagnosis_add(encounter=encounter, code="J18.9", by=doctor)
    with pytest.raises(IntegrityError), transaction.atomic():
        Diagnosis.objects.create(encounter=encounter, icd10_code="I10", description="x", rank="primary")


def test_icd10_search_finds_codes_by_title_and_prefix(api_client, doctor):
    api_client.force_login(doctor)
    by_title = api_client.get(f"{API}/icd10", {"q": "essential (primary) hyp"}).json()
    by_code = api_client.get(f"{API}/icd10", {"q": "J18"}).json()
    assert by_title[0]["code"] == "I10" and {"J18.9", "J18.0"} <= {c["code"] for c in by_code}


def test_icd10_search_is_for_staff(api_client, patient_user):
    api_client.force_login(patient_user)
    assert api_client.get(f"{API}/icd10", {"q": "J18"}).status_code == 403


def test_allergy_recorded_once_while_active(doctor, person):
    services.allergy_record(patient=person, substance="青霉素", severity="severe", by=doctor)
    with pytest.raises(ValidationFailed):
        services.allergy_record(patient=person, substance="青霉素", severity="mild", by=doctor)


def _prescribe(encounter, doctor, medicine, **extra):
    return services.prescription_create(encounter=encounter, drug=medicine, dose_amount=Decimal("500"), dose_unit="mg",
                                        route="oral", frequency="tid", duration_days=5, quantity=2, by=doctor, **extra)


def test_prescription_without_allergy_has_no_warning(doctor, person):
    prescription = _prescribe(draft(patient=person, author=doctor), doctor, drug())
    assert prescription.allergy_warning == ""


@pytest.mark.parametrize("substance", ["青霉素", "Penicillin", "amoxicillin"])
def test_drug_matching_a_recorded_allergy_is_refused_without_a_reason(doctor, person, substance):
    services.allergy_record(patient=person, substance=substance, severity="severe", reaction="过敏性休克", by=doctor)
    with pytest.raises(AllergyConflictError) as refused:
        _prescribe(draft(patient=person, author=doctor), doctor, amoxicillin())
    assert substance in refused.value.extra["warning"] and not Prescription.objects.exists()


def test_drug_matching_an_allergy_is_prescribed_with_a_stated_reason(doctor, person):
    services.allergy_record(patient=person, substance="青霉素", severity="mild", by=doctor)
    prescription = _prescribe(draft(patient=person, author=doctor), doctor, amoxicillin(),
                              allergy_override_reason="皮试阴性，已告知风险")
    assert "青霉素" in prescription.allergy_warning and prescription.allergy_override_reason == "皮试阴性，已告知风险"


def test_inactive_allergy_does_not_warn(doctor, person):
    allergy = services.allergy_record(patient=person, substance="青霉素", severity="mild", by=doctor)
    type(allergy).objects.filter(pk=allergy.pk).update(is_active=False)
    assert _prescribe(draft(patient=person, author=doctor), doctor, amoxicillin()).allergy_warning == ""


def test_allergy_conflict_over_the_api_is_409_with_the_warning(api_client, doctor, person):
    services.allergy_record(patient=person, substance="青霉素", severity="severe", by=doctor)
    encounter = draft(patient=person, author=doctor)
    medicine = amoxicillin()
    api_client.force_login(doctor)
    response = api_client.post(f"{API}/encounters/{encounter.public_id}/prescriptions", {
        "drug": medicine.code, "dose_amount": "0.5", "dose_unit": "g", "route": "oral", "frequency": "tid",
        "duration_days": 5, "quantity": 2}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "allergy_conflict")
    assert "青霉素" in response.json()["warning"]


@pytest.mark.parametrize(("field", "value"), [("dose_unit", "毫克"), ("dose_unit", "µg"), ("route", "nasal"),
                                              ("frequency", "q2h"), ("duration_days", 0), ("quantity", 0)])
def test_prescription_fields_are_checked(doctor, person, field, value):
    values = {"dose_amount": Decimal("1"), "dose_unit": "mg", "route": "oral", "frequency": "tid", "duration_days": 5,
              "quantity": 2, field: value}
    with pytest.raises(ValidationFailed) as refused:
        services.prescription_create(encounter=draft(patient=person, author=doctor), drug=drug(), by=doctor, **values)
    assert field in refused.value.errors


def test_drug_out_of_the_formulary_cannot_be_prescribed(doctor, person):
    with pytest.raises(ValidationFailed) as refused:
        _prescribe(draft(patient=person, author=doctor), doctor, drug(is_active=False))
    assert "drug" in refused.value.errors


def test_prescription_on_a_signed_note_is_refused(doctor, person):
    with pytest.raises(EncounterSignedError):
        _prescribe(signed(patient=person, author=doctor), doctor, drug())


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_doctors_amending_the_same_version_at_once_make_one_amendment():
    """The row lock in encounter_amend and the one-draft-per-record constraint: whoever comes second is told the
    version was already amended, and no record ever has two drafts or two versions with the same number."""
    import threading

    from django.db import connections

    from tests.services import require_postgres

    require_postgres()
    author = booking.doctor().user
    original = signed(patient=booking.patient(), author=author)
    colleagues = [booking.doctor().user for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def amend(doctor):
        try:
            barrier.wait()
            services.encounter_amend(encounter=original, by=doctor, reason="补充")
            outcomes.append("amended")
        except EncounterSupersededError:
            outcomes.append("superseded")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=amend, args=(doctor,)) for doctor in colleagues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["amended", "superseded"]
    assert Encounter.objects.filter(record_id=original.record_id).count() == 2
