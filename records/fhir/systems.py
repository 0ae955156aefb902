"""Code systems, identifier namespaces and extensions used in this hospital's FHIR resources."""

import uuid

from django.conf import settings

from records.models import ResultFlag, Route

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SNOMED = "http://snomed.info/sct"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
REPORT_SECTION = "http://terminology.hl7.org/CodeSystem/v2-0074"

SUPPORTED = ("Patient", "Encounter", "Condition", "AllergyIntolerance", "MedicationRequest", "ServiceRequest",
             "Observation", "DiagnosticReport")
# Derived ids for resources from other systems live in this namespace (uuid5), so they are stable.
IMPORT_NAMESPACE = uuid.UUID("6f1c8a52-5f0e-4b8e-9a57-2d0f3c1e7b44")

INTERPRETATION_CODES = {ResultFlag.NORMAL: "N", ResultFlag.LOW: "L", ResultFlag.HIGH: "H",
                        ResultFlag.CRITICAL_LOW: "LL", ResultFlag.CRITICAL_HIGH: "HH"}
# SNOMED CT route codes (the FHIR example value set "SNOMED CT Route Codes").
ROUTE_SNOMED = {Route.ORAL: "26643006", Route.IV: "47625008", Route.IM: "78421000", Route.SC: "34206005",
                Route.INHALED: "447694001", Route.TOPICAL: "6064005", Route.EYE: "54485002"}


def system_base() -> str:
    return getattr(settings, "RECORDS_FHIR_SYSTEM", "https://hospital.example/fhir").rstrip("/")


def system_uri(kind: str) -> str:
    return f"{system_base()}/{kind}"


def extension_url(name: str) -> str:
    return f"{system_base()}/StructureDefinition/{name}"
