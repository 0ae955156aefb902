from django.urls import path

from telemonitor import views

app_name = "telemonitor"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("devices/pairing-code/", views.pairing_code, name="pairing_code"),
    path("devices/<uuid:public_id>/revoke/", views.device_revoke, name="device_revoke"),
    path("clinic/", views.dashboard, name="dashboard"),
    path("clinic/alerts/", views.alert_queue, name="alert_queue"),
    path("clinic/alerts/<uuid:public_id>/", views.alert_acknowledge, name="alert_acknowledge"),
    path("clinic/patients/<uuid:public_id>/", views.clinic_patient, name="clinic_patient"),
]
