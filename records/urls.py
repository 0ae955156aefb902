from django.urls import path

from records import note_views, record_views, views

app_name = "records"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("family/", views.family_list, name="family"),
    path("family/add/", views.family_add, name="family_add"),
    path("family/<uuid:public_id>/edit/", views.family_edit, name="family_edit"),
    path("family/<uuid:public_id>/remove/", views.family_remove, name="family_remove"),
    path("records/", record_views.my_records, name="my_records"),
    path("records/patients/<uuid:public_id>/", record_views.patient_record, name="patient_record"),
    path("records/patients/<uuid:public_id>/break-glass/", record_views.break_glass, name="break_glass"),
    path("records/reports/<uuid:public_id>/file/", record_views.report_file, name="report_file"),
    path("records/patients/<uuid:public_id>/pdf/<str:section>/", record_views.record_pdf, name="record_pdf"),
    path("records/patients/<uuid:public_id>/viewers/", record_views.record_viewers, name="record_viewers"),
    # The doctor's pages that write the record.
    path("records/open-chart/", note_views.open_chart, name="open_chart"),
    path("records/patients/<uuid:public_id>/notes/new/", note_views.note_new, name="note_new"),
    path("records/notes/<uuid:public_id>/", note_views.note_detail, name="note"),
    path("records/notes/<uuid:public_id>/save/", note_views.note_save, name="note_save"),
    path("records/notes/<uuid:public_id>/diagnoses/", note_views.diagnosis_add, name="note_diagnosis_add"),
    path("records/notes/<uuid:public_id>/diagnoses/<uuid:diagnosis_id>/remove/", note_views.diagnosis_remove,
         name="note_diagnosis_remove"),
    path("records/notes/<uuid:public_id>/prescriptions/", note_views.prescription_add, name="note_prescription_add"),
    path("records/notes/<uuid:public_id>/orders/", note_views.order_add, name="note_order_add"),
    path("records/notes/<uuid:public_id>/amend/", note_views.note_amend, name="note_amend"),
    path("records/icd10/", note_views.icd10_lookup, name="icd10_lookup"),
]
