from django.urls import path

from records import record_views, views

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
]
