"""Every write to the record that matters. Views, the API, the admin, tasks and commands call these.

- patients: the master patient index and the family list (就诊人);
- encounters: notes, their signing and amendments, diagnoses, the problem list, allergies, prescriptions;
- results: orders, lab results (entered or imported from a CSV file) and reports;
- break_glass: emergency access grants and their review.
Each clinical write appends a 'write' row to the access log (records.access).
"""

from records.services.break_glass import break_glass_grant, break_glass_review
from records.services.encounters import (
    allergy_record,
    diagnosis_add,
    diagnosis_remove,
    encounter_amend,
    encounter_create,
    encounter_sign,
    encounter_update,
    prescription_allergy_warning,
    prescription_create,
    problem_record,
    problem_resolve,
)
from records.services.patients import (
    MAX_AGE_YEARS,
    PatientDetails,
    family_member_add,
    family_member_remove,
    family_member_update,
    patient_create,
    patient_details_check,
    patient_sign_up,
    patient_update,
)
from records.services.results import (
    order_create,
    report_create,
    result_flag,
    result_record,
    results_import_csv,
)

__all__ = [
    "MAX_AGE_YEARS",
    "PatientDetails",
    "allergy_record",
    "break_glass_grant",
    "break_glass_review",
    "diagnosis_add",
    "diagnosis_remove",
    "encounter_amend",
    "encounter_create",
    "encounter_sign",
    "encounter_update",
    "family_member_add",
    "family_member_remove",
    "family_member_update",
    "order_create",
    "patient_create",
    "patient_details_check",
    "patient_sign_up",
    "patient_update",
    "prescription_allergy_warning",
    "prescription_create",
    "problem_record",
    "problem_resolve",
    "report_create",
    "result_flag",
    "result_record",
    "results_import_csv",
]
