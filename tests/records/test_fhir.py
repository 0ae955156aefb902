"""FHIR R4 (issue 5, acceptance 4): the Bundle validates with fhir.resources R4B; export → import into an empty
database → export gives the same resources; posting a Bundle twice creates nothing new; a malformed Bundle is
refused with its problems listed by path."""

import copy
from decimal import Decimal

import pytest
from fhir.resources.R4B.bundle import Bundle

from records import services
from records.fhir import bundle_import, patient_bundle
from records.models import (
    Allergy,
    Diagnosis,
    Drug,
    Encounter,
    Order,
    Patient,
    Prescription,
    Problem,
    Report,
    ResultItem,
)
from tests.appointments import factories as booking
from tests.records.clinical import PNG, amoxicillin, draft, lab_order, report
from tests.records.fhir_samples import OTHER, referral_bundle

API = "/api/v1/records"
pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor():
    return booking.doctor(dept=booking.department(code="resp", name_zh="呼吸内科")).user


@pytest.fixture
def chart(media_root, doctor):
    """A patient with a bit of everything: an amended note, an allergy overridden on a prescription, a resolved
    problem, a lab order with flagged results and a report with an image, an exam ordered on a draft."""
    person = booking.patient(name="周杰", phone="13911112222")
    services.allergy_record(patient=person, substance="青霉素", severity="mild", reaction="皮疹", by=doctor)
    inactive = services.allergy_record(patient=person, substance="花粉", severity="moderate", by=doctor)
    Allergy.objects.filter(pk=inactive.pk).update(is_active=False)
    services.problem_record(patient=person, description="高血压", icd10_code="I10", by=doctor)
    problem = services.problem_record(patient=person, description="阑尾切除术后", by=doctor)
    services.problem_resolve(problem=problem, by=doctor)
    first = draft(patient=person, author=doctor)
    services.diagnosis_add(encounter=first, code="J18.9", by=doctor)
    services.diagnosis_add(encounter=first, code="I10", by=doctor, note="控制良好")
    services.prescription_create(encounter=first, drug=amoxicillin(), dose_amount=Decimal("0.5"), dose_unit="g",
                                 route="oral", frequency="tid", duration_days=7, quantity=3, by=doctor,
                                 allergy_override_reason="皮试阴性", instructions="饭后服用")
    services.encounter_sign(encounter=first, by=doctor)
    amended = services.encounter_amend(encounter=first, by=doctor, reason="补充查体")
    services.encounter_update(encounter=amended, by=doctor, examination="右下肺湿啰音，心律齐")
    services.encounter_sign(encounter=amended, by=doctor)
    order = lab_order(patient=person, by=doctor, encounter=first)
    for code, value, low, high in (("718-7", "95", "115", "150"), ("6690-2", "12.4", "3.5", "9.5")):
        services.result_record(patient=person, loinc_code=code, value=value, unit="10*9/L" if code == "6690-2" else "g/L",
                               reference_low=low, reference_high=high, order=order, by=doctor)
    services.result_record(patient=person, loinc_code="2823-3", name="钾", value="2.3", unit="mmol/L", reference_low="3.5",
                           reference_high="5.5", critical_low="2.5", by=doctor)
    report(patient=person, by=doctor, order=order, content=PNG)
    services.order_create(patient=person, kind="exam", name="胸部CT", by=doctor,
                          encounter=draft(patient=person, author=doctor))
    return person


def resources(bundle: dict) -> list[dict]:
    return [entry["resource"] for entry in bundle["entry"]]


def empty_the_database_of(person: Patient) -> None:
    """What an empty database is for this patient: none of their rows (the formulary and staff stay)."""
    for model in (Report, ResultItem, Order, Prescription, Diagnosis):
        model.objects.filter(**({"encounter__patient": person} if model is Diagnosis else {"patient": person})).delete()
    for pk in Encounter.objects.filter(patient=person).order_by("-version").values_list("pk", flat=True):
        Encounter.objects.filter(pk=pk).delete()  # newest version first: each protects the one it amends
    Allergy.objects.filter(patient=person).delete()
    Problem.objects.filter(patient=person).delete()
    person.delete()


def test_bundle_validates_with_fhir_resources_r4b(chart):
    bundle = Bundle.model_validate(patient_bundle(chart))
    assert bundle.type == "collection"


def test_bundle_holds_each_kind_of_resource(chart):
    kinds = [r["resourceType"] for r in resources(patient_bundle(chart))]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "Patient": 1, "Encounter": 1, "Condition": 4, "AllergyIntolerance": 2, "MedicationRequest": 1,
        "ServiceRequest": 2, "Observation": 3, "DiagnosticReport": 1}


def test_encounter_is_exported_once_as_its_current_version(chart):
    encounter = next(r for r in resources(patient_bundle(chart)) if r["resourceType"] == "Encounter")
    current = Encounter.objects.get(patient=chart, version=2)
    assert (encounter["id"], encounter["meta"]["versionId"]) == (str(current.record_id), "2")
    assert any(e["valueString"] == "右下肺湿啰音，心律齐" for e in encounter["extension"])


def test_observations_carry_loinc_ucum_and_interpretation(chart):
    observations = {r["code"]["coding"][0]["code"]: r for r in resources(patient_bundle(chart))
                    if r["resourceType"] == "Observation"}
    potassium = observations["2823-3"]
    assert potassium["code"]["coding"][0]["system"] == "http://loinc.org"
    assert potassium["valueQuantity"] == {"value": 2.3, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                                          "code": "mmol/L"}
    assert potassium["interpretation"][0]["coding"][0]["code"] == "LL"
    assert observations["6690-2"]["interpretation"][0]["coding"][0]["code"] == "H"


def test_national_id_is_never_exported(media_root, doctor):
    from records.services import patient_create, patient_details_check

    person = patient_create(details=patient_details_check(name="刘芳", national_id="110101199003074522"))
    assert "110101199003074522" not in str(patient_bundle(person))


def test_round_trip_into_an_empty_database_gives_the_same_resources(chart, doctor):
    exported = patient_bundle(chart)
    empty_the_database_of(chart)
    assert not Patient.objects.filter(public_id=chart.public_id).exists()

    result = bundle_import(copy.deepcopy(exported), by=doctor)

    again = patient_bundle(Patient.objects.get(public_id=chart.public_id))
    assert sum(result.created.values()) == len(exported["entry"])
    assert resources(again) == resources(exported)


def test_posting_a_bundle_twice_creates_nothing_new(chart, doctor):
    exported = patient_bundle(chart)
    empty_the_database_of(chart)
    bundle_import(copy.deepcopy(exported), by=doctor)
    counts = {m.__name__: m.objects.count() for m in (Patient, Encounter, Diagnosis, Problem, Allergy, Prescription,
                                                      Order, ResultItem, Report, Drug)}
    second = bundle_import(copy.deepcopy(exported), by=doctor)
    assert second.created == {} and sum(second.existing.values()) == len(exported["entry"])
    assert counts == {m.__name__: m.objects.count() for m in (Patient, Encounter, Diagnosis, Problem, Allergy,
                                                              Prescription, Order, ResultItem, Report, Drug)}


def test_importing_into_the_database_it_came_from_creates_nothing(chart, doctor):
    assert bundle_import(patient_bundle(chart), by=doctor).created == {}


def test_referral_from_another_hospital_is_imported(doctor):
    result = bundle_import(referral_bundle(), by=doctor)
    person = result.patient
    encounter = Encounter.objects.get(patient=person)
    assert (person.name, person.sex, str(person.date_of_birth), person.mrn.startswith("M")) == ("孙丽华", "female",
                                                                                             "1962-04-18", True)
    assert (encounter.external_author, encounter.author, encounter.chief_complaint) == ("李医生 (县医院)", doctor, "反复胸闷一月")
    assert list(encounter.diagnoses.values_list("icd10_code", "rank")) == [("I20.9", "primary")]
    assert ResultItem.objects.get(patient=person).flag == "high"
    prescription = Prescription.objects.select_related("drug").get(patient=person)
    assert (prescription.drug.is_active, prescription.dose_amount, prescription.duration_days) == (False, 20, 14)
    assert Allergy.objects.get(patient=person).substance == "磺胺"


def test_referral_posted_twice_over_the_api_creates_once(api_client, doctor):
    api_client.force_login(doctor)
    first = api_client.post(f"{API}/fhir/import", referral_bundle(), format="json")
    second = api_client.post(f"{API}/fhir/import", referral_bundle(), format="json")
    assert (first.status_code, second.status_code, second.json()["created"]) == (201, 200, {})
    assert Patient.objects.filter(name="孙丽华").count() == 1 and Encounter.objects.count() == 1


def test_export_over_the_api_validates(api_client, chart, doctor):
    api_client.force_login(doctor)
    response = api_client.get(f"{API}/patients/{chart.public_id}/fhir")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    assert Bundle.model_validate(response.json()).entry


def _broken(mutate) -> dict:
    bundle = referral_bundle()
    mutate(bundle)
    return bundle


@pytest.mark.parametrize(("mutate", "path"), [
    (lambda b: b["entry"][0]["resource"].update(birthDate="1962-13-45"), "entry[0].resource.birthDate"),
    (lambda b: b["entry"][0]["resource"].update(gender="woman"), "entry[0].resource.gender"),
    (lambda b: b["entry"][2]["resource"]["code"]["coding"][0].update(code="I20"), "entry[2].resource.code"),
    (lambda b: b["entry"][4]["resource"]["code"]["coding"][0].update(code="2093-4"), "entry[4].resource.code"),
    (lambda b: b["entry"][4]["resource"]["valueQuantity"].update(code="µmol/L"), "entry[4].resource.valueQuantity.code"),
    (lambda b: b["entry"][3]["resource"].update(patient={"reference": "urn:uuid:nobody"}), "entry[3].resource.patient"),
    (lambda b: b["entry"][5]["resource"].pop("intent"), "entry[5].resource.intent"),
    (lambda b: b["entry"].append({"resource": {"resourceType": "Spaceship"}}), "entry[6].resource.resourceType"),
    (lambda b: b.update(type="history-of-everything"), "type"),
    (lambda b: b.update(resourceType="Patient"), "resourceType"),
])
def test_malformed_bundle_lists_its_problems_by_path(api_client, doctor, mutate, path):
    api_client.force_login(doctor)
    response = api_client.post(f"{API}/fhir/import", _broken(mutate), format="json")
    assert (response.status_code, response["Content-Type"]) == (422, "application/problem+json")
    assert path in response.json()["errors"], response.json()["errors"]
    assert not Patient.objects.filter(name="孙丽华").exists()


def test_every_problem_is_listed_at_once(doctor):
    from records.errors import FhirBundleInvalid

    def two_problems(bundle):
        bundle["entry"][0]["resource"]["gender"] = "woman"
        bundle["entry"][2]["resource"]["code"]["coding"][0]["code"] = "XYZ"

    with pytest.raises(FhirBundleInvalid) as refused:
        bundle_import(_broken(two_problems), by=doctor)
    assert {"entry[0].resource.gender", "entry[2].resource.code"} <= set(refused.value.errors)


def test_foreign_identifiers_give_stable_local_ids(doctor):
    first = bundle_import(referral_bundle(), by=doctor).patient
    other = bundle_import(referral_bundle(patient_value="P-000001"), by=doctor).patient
    assert first != other and OTHER  # a different identifier in the same system is a different person
