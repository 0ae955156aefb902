"""FHIR R4 export: a patient's record as a Bundle of type collection (see records.fhir)."""


import base64
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from records.fhir.systems import (
    ACT_CODE,
    ALLERGY_CLINICAL,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    DATA_ABSENT,
    ICD10,
    INTERPRETATION,
    INTERPRETATION_CODES,
    LOINC,
    OBSERVATION_CATEGORY,
    REPORT_SECTION,
    ROUTE_SNOMED,
    SNOMED,
    UCUM,
    extension_url,
    system_uri,
)
from records.models import (
    Allergy,
    Diagnosis,
    DiagnosisRank,
    Encounter,
    EncounterStatus,
    Frequency,
    Order,
    OrderKind,
    OrderStatus,
    Patient,
    Prescription,
    Problem,
    Report,
    ResultItem,
)


def _urn(value) -> str:
    return f"urn:uuid:{value}"


def _ref(value) -> dict:
    return {"reference": _urn(value)}


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _number(value: Decimal) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value.normalize())


def _quantity(value: Decimal, unit: str) -> dict:
    quantity = {"value": _number(value)}
    if unit:
        quantity.update(unit=unit, system=UCUM, code=unit)
    return quantity


def _identifier(kind: str, value) -> list[dict]:
    return [{"system": system_uri(kind), "value": str(value)}]


def _person(user: User | None, external: str = "") -> dict | None:
    if external:
        return {"display": external}
    if user is None:
        return None
    return {"identifier": {"system": system_uri("staff"), "value": str(user.public_id)}, "display": user.name}


def _clean(resource: dict) -> dict:
    """Drop empty values: FHIR forbids empty strings, lists and objects."""
    cleaned = {}
    for key, value in resource.items():
        if isinstance(value, dict):
            value = _clean(value)
        elif isinstance(value, list):
            value = [_clean(v) if isinstance(v, dict) else v for v in value]
            value = [v for v in value if v not in (None, "", {}, [])]
        if value not in (None, "", {}, []):
            cleaned[key] = value
    return cleaned


def _patient_resource(patient: Patient) -> dict:
    return {
        "resourceType": "Patient", "id": str(patient.public_id),
        "identifier": [{"use": "usual", "system": system_uri("mrn"), "value": patient.mrn},
                       *_identifier("patient", patient.public_id)],
        "name": [{"text": patient.name}],
        "gender": patient.sex,
        "birthDate": patient.date_of_birth.isoformat(),
        "telecom": [{"system": "phone", "value": patient.phone, "use": "mobile"}] if patient.phone else [],
    }


def _encounter_resource(encounter: Encounter, patient: Patient) -> dict:
    notes = [{"url": extension_url(f"encounter-{name}"), "valueString": getattr(encounter, name)}
             for name in ("history", "examination", "assessment", "plan") if getattr(encounter, name)]
    if encounter.signed_at:
        notes.append({"url": extension_url("encounter-signed-at"), "valueDateTime": _instant(encounter.signed_at)})
    if encounter.amendment_reason:
        notes.append({"url": extension_url("encounter-amendment-reason"), "valueString": encounter.amendment_reason})
    if encounter.appointment_public_id:
        notes.append({"url": extension_url("encounter-appointment"), "valueString": str(encounter.appointment_public_id)})
    diagnoses = sorted(encounter.diagnoses.all(), key=lambda d: (d.rank != DiagnosisRank.PRIMARY, d.id))
    return {
        "resourceType": "Encounter", "id": str(encounter.record_id), "meta": {"versionId": str(encounter.version)},
        "extension": notes,
        "identifier": _identifier("encounter", encounter.record_id),
        "status": "finished",
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "serviceType": {"coding": [{"system": system_uri("department"), "code": encounter.department_code}],
                        "text": encounter.department_name} if encounter.department_name else None,
        "subject": _ref(patient.public_id),
        "participant": [{"individual": _person(encounter.author, encounter.external_author)}],
        "period": {"start": _instant(encounter.started_at)},
        "reasonCode": [{"text": encounter.chief_complaint}] if encounter.chief_complaint else [],
        "diagnosis": [{"condition": _ref(d.public_id), "rank": 1 if d.rank == DiagnosisRank.PRIMARY else 2}
                      for d in diagnoses],
    }


def _diagnosis_resource(diagnosis: Diagnosis, encounter: Encounter, patient: Patient) -> dict:
    return {
        "resourceType": "Condition", "id": str(diagnosis.public_id),
        "identifier": _identifier("condition", diagnosis.public_id),
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]},
        "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}],
        "code": {"coding": [{"system": ICD10, "code": diagnosis.icd10_code, "display": diagnosis.description}],
                 "text": diagnosis.description},
        "subject": _ref(patient.public_id),
        "encounter": _ref(encounter.record_id),
        "note": [{"text": diagnosis.note}] if diagnosis.note else [],
    }


def _problem_resource(problem: Problem, patient: Patient) -> dict:
    coding = [{"system": ICD10, "code": problem.icd10_code}] if problem.icd10_code else []
    return {
        "resourceType": "Condition", "id": str(problem.public_id),
        "identifier": _identifier("condition", problem.public_id),
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": problem.status}]},
        "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "problem-list-item"}]}],
        "code": {"coding": coding, "text": problem.description},
        "subject": _ref(patient.public_id),
        "onsetDateTime": problem.onset_date.isoformat() if problem.onset_date else None,
        "abatementDateTime": problem.resolved_date.isoformat() if problem.resolved_date else None,
        "recordedDate": _instant(problem.recorded_at),
    }


def _allergy_resource(allergy: Allergy, patient: Patient) -> dict:
    manifestation = ({"text": allergy.reaction} if allergy.reaction
                     else {"coding": [{"system": DATA_ABSENT, "code": "unknown"}]})
    return {
        "resourceType": "AllergyIntolerance", "id": str(allergy.public_id),
        "identifier": _identifier("allergyintolerance", allergy.public_id),
        "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active" if allergy.is_active else "inactive"}]},
        "code": {"text": allergy.substance},
        "patient": _ref(patient.public_id),
        "recordedDate": _instant(allergy.recorded_at),
        "reaction": [{"manifestation": [manifestation], "severity": allergy.severity}],
    }


def _prescription_resource(prescription: Prescription, patient: Patient) -> dict:
    drug = prescription.drug
    extensions = []
    if prescription.allergy_warning:
        extensions = [{"url": extension_url("allergy-warning"), "valueString": prescription.allergy_warning},
                      {"url": extension_url("allergy-override-reason"), "valueString": prescription.allergy_override_reason}]
    route = [{"system": system_uri("route"), "code": prescription.route}]
    if prescription.route in ROUTE_SNOMED:
        route.append({"system": SNOMED, "code": ROUTE_SNOMED[prescription.route]})
    return {
        "resourceType": "MedicationRequest", "id": str(prescription.public_id),
        "extension": extensions,
        "identifier": _identifier("medicationrequest", prescription.public_id),
        "status": "active", "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": system_uri("formulary"), "code": drug.code, "display": drug.name}],
            "text": f"{drug.name} {drug.strength}".strip()},
        "subject": _ref(patient.public_id),
        "encounter": _ref(prescription.encounter.record_id),
        "authoredOn": _instant(prescription.prescribed_at),
        "requester": _person(prescription.prescribed_by),
        "dosageInstruction": [{
            "text": prescription.instructions,
            "timing": {"code": {"coding": [{"system": system_uri("frequency"), "code": prescription.frequency}],
                                "text": str(Frequency(prescription.frequency).label)}},
            "route": {"coding": route},
            "doseAndRate": [{"doseQuantity": _quantity(prescription.dose_amount, prescription.dose_unit)}],
        }],
        "dispenseRequest": {
            "quantity": {"value": prescription.quantity, "unit": drug.dispense_unit},
            "expectedSupplyDuration": {"value": prescription.duration_days, "unit": "d", "system": UCUM, "code": "d"},
        },
    }


def _order_resource(order: Order, patient: Patient) -> dict:
    status = {OrderStatus.ORDERED: "active", OrderStatus.COMPLETED: "completed", OrderStatus.CANCELLED: "revoked"}
    return {
        "resourceType": "ServiceRequest", "id": str(order.public_id),
        "identifier": _identifier("servicerequest", order.public_id),
        "status": status[order.status], "intent": "order",
        "category": [{"coding": [{"system": system_uri("order-kind"), "code": order.kind}]}],
        "code": {"coding": [{"system": LOINC, "code": order.code}] if order.code else [], "text": order.name},
        "subject": _ref(patient.public_id),
        "encounter": _ref(order.encounter.record_id) if order.encounter_id and order.encounter.is_signed else None,
        "authoredOn": _instant(order.ordered_at),
        "requester": _person(order.ordered_by),
        "note": [{"text": order.note}] if order.note else [],
    }


def _result_resource(item: ResultItem, patient: Patient) -> dict:
    ranges = []
    if item.reference_low is not None or item.reference_high is not None:
        ranges.append({"low": _quantity(item.reference_low, item.unit) if item.reference_low is not None else None,
                       "high": _quantity(item.reference_high, item.unit) if item.reference_high is not None else None})
    if item.critical_low is not None or item.critical_high is not None:
        ranges.append({"low": _quantity(item.critical_low, item.unit) if item.critical_low is not None else None,
                       "high": _quantity(item.critical_high, item.unit) if item.critical_high is not None else None,
                       "type": {"coding": [{"system": system_uri("reference-range"), "code": "critical"}],
                                "text": "critical"}})
    return {
        "resourceType": "Observation", "id": str(item.public_id),
        "identifier": _identifier("observation", item.public_id),
        "basedOn": [_ref(item.order.public_id)] if item.order_id else [],
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": item.loinc_code, "display": item.name}], "text": item.name},
        "subject": _ref(patient.public_id),
        "effectiveDateTime": _instant(item.observed_at),
        "valueQuantity": _quantity(item.value, item.unit),
        "interpretation": [{"coding": [{"system": INTERPRETATION, "code": INTERPRETATION_CODES[item.flag]}]}],
        "referenceRange": ranges,
    }


def _report_resource(report: Report, patient: Patient, result_ids: list) -> dict:
    form = []
    if report.file:
        with report.file.open("rb") as handle:
            content = handle.read()
        form = [{"contentType": report.file_content_type, "data": base64.b64encode(content).decode("ascii"),
                 "size": len(content), "title": report.title}]
    return {
        "resourceType": "DiagnosticReport", "id": str(report.public_id),
        "identifier": _identifier("diagnosticreport", report.public_id),
        "basedOn": [_ref(report.order.public_id)] if report.order_id else [],
        "status": "final",
        "category": [{"coding": [{"system": system_uri("order-kind"), "code": report.kind},
                                 {"system": REPORT_SECTION, "code": "LAB" if report.kind == OrderKind.LAB else "OTH"}]}],
        "code": {"text": report.title},
        "subject": _ref(patient.public_id),
        "encounter": _ref(report.encounter.record_id) if report.encounter_id and report.encounter.is_signed else None,
        "issued": _instant(report.issued_at),
        "performer": [_person(report.author)] if report.author_id else [],
        "result": [_ref(r) for r in result_ids],
        "conclusion": report.text,
        "presentedForm": form,
    }


def patient_bundle(patient: Patient) -> dict:
    """The patient's record as a FHIR R4 Bundle (type collection), as a JSON-ready dict. A fixed number of queries."""
    encounters = list(Encounter.objects.filter(patient=patient, status=EncounterStatus.SIGNED)
                      .exclude(amended_by__status=EncounterStatus.SIGNED)
                      .select_related("author").prefetch_related("diagnoses").order_by("started_at", "version"))
    problems = Problem.objects.filter(patient=patient).select_related("recorded_by").order_by("recorded_at", "id")
    allergies = Allergy.objects.filter(patient=patient).order_by("recorded_at", "id")
    prescriptions = (Prescription.objects.filter(patient=patient, encounter__status=EncounterStatus.SIGNED)
                     .select_related("drug", "encounter", "prescribed_by").order_by("prescribed_at", "id"))
    orders = Order.objects.filter(patient=patient).select_related("encounter", "ordered_by").order_by("ordered_at", "id")
    results = list(ResultItem.objects.filter(patient=patient).select_related("order").order_by("observed_at", "id"))
    reports = (Report.objects.filter(patient=patient).select_related("order", "encounter", "author")
               .order_by("issued_at", "id"))
    results_by_order: dict[int, list] = {}
    for item in results:
        if item.order_id:
            results_by_order.setdefault(item.order_id, []).append(item.public_id)

    resources = [_patient_resource(patient)]
    for encounter in encounters:
        resources.append(_encounter_resource(encounter, patient))
        resources.extend(_diagnosis_resource(d, encounter, patient) for d in encounter.diagnoses.all())
    resources.extend(_problem_resource(p, patient) for p in problems)
    resources.extend(_allergy_resource(a, patient) for a in allergies)
    resources.extend(_prescription_resource(p, patient) for p in prescriptions)
    resources.extend(_order_resource(o, patient) for o in orders)
    resources.extend(_result_resource(r, patient) for r in results)
    resources.extend(_report_resource(r, patient, results_by_order.get(r.order_id, [])) for r in reports)
    return {
        "resourceType": "Bundle",
        "identifier": {"system": system_uri("bundle"), "value": str(uuid.uuid4())},
        "type": "collection",
        "timestamp": _instant(timezone.now()),
        "entry": [{"fullUrl": _urn(r["id"]), "resource": _clean(r)} for r in resources],
    }
