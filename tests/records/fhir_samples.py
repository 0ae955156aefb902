"""A referral from another hospital (双向转诊) as a FHIR R4 Bundle, with that hospital's own identifiers."""

OTHER = "https://other-hospital.example/fhir"


def referral_bundle(*, patient_value: str = "P-778812") -> dict:
    def ident(kind, value):
        return [{"system": f"{OTHER}/{kind}", "value": value}]

    return {
        "resourceType": "Bundle", "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000001", "resource": {
                "resourceType": "Patient", "identifier": ident("patients", patient_value),
                "name": [{"family": "孙", "given": ["丽华"]}], "gender": "female", "birthDate": "1962-04-18",
                "telecom": [{"system": "phone", "value": "13700001111"}]}},
            {"fullUrl": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000002", "resource": {
                "resourceType": "Encounter", "identifier": ident("visits", "V-1"), "status": "finished",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                "subject": {"reference": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000001"},
                "participant": [{"individual": {"display": "李医生 (县医院)"}}],
                "period": {"start": "2026-10-02T09:30:00+08:00"},
                "reasonCode": [{"text": "反复胸闷一月"}],
                "diagnosis": [{"condition": {"reference": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000003"}, "rank": 1}]}},
            {"fullUrl": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000003", "resource": {
                "resourceType": "Condition", "identifier": ident("diagnoses", "D-1"),
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                          "code": "encounter-diagnosis"}]}],
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20.9"}]},
                "subject": {"reference": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000001"},
                "encounter": {"reference": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000002"}}},
            {"fullUrl": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000004", "resource": {
                "resourceType": "AllergyIntolerance", "identifier": ident("allergies", "A-1"),
                "code": {"text": "磺胺"}, "patient": {"reference": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000001"},
                "reaction": [{"manifestation": [{"text": "荨麻疹"}], "severity": "moderate"}]}},
            {"fullUrl": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000005", "resource": {
                "resourceType": "Observation", "identifier": ident("labs", "L-1"), "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3", "display": "总胆固醇"}]},
                "subject": {"reference": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000001"},
                "effectiveDateTime": "2026-10-01T08:00:00+08:00",
                "valueQuantity": {"value": 6.8, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                                  "code": "mmol/L"},
                "referenceRange": [{"high": {"value": 5.2, "unit": "mmol/L"}}]}},
            {"fullUrl": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000006", "resource": {
                "resourceType": "MedicationRequest", "identifier": ident("prescriptions", "M-1"), "status": "active",
                "intent": "order", "medicationCodeableConcept": {"text": "单硝酸异山梨酯片 20 mg"},
                "subject": {"reference": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000001"},
                "encounter": {"reference": "urn:uuid:7d1c1f0e-1111-4a5e-8d2c-000000000002"},
                "dosageInstruction": [{"doseAndRate": [{"doseQuantity": {"value": 20, "unit": "mg",
                                                                         "system": "http://unitsofmeasure.org",
                                                                         "code": "mg"}}]}],
                "dispenseRequest": {"quantity": {"value": 2},
                                    "expectedSupplyDuration": {"value": 14, "unit": "d"}}}},
        ],
    }
