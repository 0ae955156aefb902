"""FHIR R4 exchange of a patient's record (双向转诊): export as a Bundle, import of such a Bundle.

Export: ``patient_bundle(patient) -> dict``, a Bundle of type ``collection`` holding the Patient and their
Encounters (signed, current versions), Conditions (diagnoses and the problem list), AllergyIntolerances,
MedicationRequests, ServiceRequests (orders), Observations (lab results, LOINC and UCUM) and
DiagnosticReports. Entries are linked by ``urn:uuid:`` full URLs; every resource carries an identifier in
this hospital's namespace (RECORDS_FHIR_SYSTEM) whose value is its public id (an Encounter's is its
record id, shared by all versions; ``meta.versionId`` is the version). Validated against the R4B models of
``fhir.resources`` in the tests.

Import: ``bundle_import(data, by=...)``. Idempotent by identifiers: a resource identified in our namespace
keeps its id; one from another system gets a UUID derived (uuid5) from its system and value, so posting the
same Bundle again finds everything already there and creates nothing. A malformed Bundle raises
FhirBundleInvalid (422) with the problems listed by their path in the Bundle (``entry[3].resource.code``).
The national ID number is never exported (it is sealed here; the receiving hospital registers it itself).
"""

from records.fhir.export import patient_bundle
from records.fhir.importer import ImportResult, bundle_import

__all__ = ["ImportResult", "bundle_import", "patient_bundle"]
