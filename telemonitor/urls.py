from django.urls import path

from telemonitor import plan_views, views

app_name = "telemonitor"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("devices/pairing-code/", views.pairing_code, name="pairing_code"),
    path("devices/<uuid:public_id>/revoke/", views.device_revoke, name="device_revoke"),
    path("clinic/", views.dashboard, name="dashboard"),
    path("clinic/alerts/", views.alert_queue, name="alert_queue"),
    path("clinic/alerts/<uuid:public_id>/", views.alert_acknowledge, name="alert_acknowledge"),
    path("clinic/patients/", views.monitored_patients, name="monitored_patients"),
    path("clinic/patients/<uuid:public_id>/", views.clinic_patient, name="clinic_patient"),
    path("clinic/enrol/", plan_views.enrol, name="plan_enrol"),
    path("clinic/patients/<uuid:public_id>/plan/", plan_views.plan_settings, name="plan_settings"),
    path("clinic/patients/<uuid:public_id>/targets/", plan_views.target_save, name="target_save"),
    path("clinic/patients/<uuid:public_id>/targets/<str:parameter>/remove/", plan_views.target_remove,
         name="target_remove"),
    path("clinic/patients/<uuid:public_id>/spo2-scale/", plan_views.spo2_scale_save, name="spo2_scale_save"),
]
