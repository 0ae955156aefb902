from django.urls import path

from records import api, clinical_api

urlpatterns = [
    path("family", api.FamilyMemberListApi.as_view(), name="api-family"),
    path("family/<uuid:public_id>", api.FamilyMemberDetailApi.as_view(), name="api-family-detail"),
    # The clinical record. Every view asks records.access first, which writes the audit row.
    path("patients/<uuid:public_id>", clinical_api.PatientDemographicsApi.as_view(), name="api-record-patient"),
    path("patients/<uuid:public_id>/chart", clinical_api.ChartApi.as_view(), name="api-record-chart"),
    path("patients/<uuid:public_id>/encounters", clinical_api.EncounterListApi.as_view(), name="api-record-encounters"),
    path("patients/<uuid:public_id>/allergies", clinical_api.AllergyListApi.as_view(), name="api-record-allergies"),
    path("patients/<uuid:public_id>/problems", clinical_api.ProblemListApi.as_view(), name="api-record-problems"),
    path("patients/<uuid:public_id>/orders", clinical_api.OrderListApi.as_view(), name="api-record-orders"),
    path("patients/<uuid:public_id>/results", clinical_api.ResultListApi.as_view(), name="api-record-results"),
    path("patients/<uuid:public_id>/reports", clinical_api.ReportListApi.as_view(), name="api-record-reports"),
    path("patients/<uuid:public_id>/fhir", clinical_api.FhirExportApi.as_view(), name="api-record-fhir"),
    path("patients/<uuid:public_id>/break-glass", clinical_api.BreakGlassApi.as_view(), name="api-record-break-glass"),
    path("patients/<uuid:public_id>/access-log", clinical_api.AccessLogApi.as_view(), name="api-record-access-log"),
    path("encounters/<uuid:public_id>", clinical_api.EncounterDetailApi.as_view(), name="api-record-encounter"),
    path("encounters/<uuid:public_id>/sign", clinical_api.EncounterSignApi.as_view(), name="api-record-encounter-sign"),
    path("encounters/<uuid:public_id>/amend", clinical_api.EncounterAmendApi.as_view(), name="api-record-encounter-amend"),
    path("encounters/<uuid:public_id>/versions", clinical_api.EncounterVersionsApi.as_view(),
         name="api-record-encounter-versions"),
    path("encounters/<uuid:public_id>/diagnoses", clinical_api.DiagnosisAddApi.as_view(), name="api-record-diagnoses"),
    path("encounters/<uuid:public_id>/prescriptions", clinical_api.PrescriptionAddApi.as_view(),
         name="api-record-prescriptions"),
    path("reports/<uuid:public_id>/file", clinical_api.ReportFileApi.as_view(), name="api-record-report-file"),
    path("results/import", clinical_api.ResultImportApi.as_view(), name="api-record-results-import"),
    path("fhir/import", clinical_api.FhirImportApi.as_view(), name="api-record-fhir-import"),
    path("icd10", clinical_api.Icd10SearchApi.as_view(), name="api-record-icd10"),
    path("drugs", clinical_api.DrugSearchApi.as_view(), name="api-record-drugs"),
]
