from django.urls import path

from appointments import views

app_name = "appointments"
urlpatterns = [
    path("", views.department_list, name="departments"),
    path("departments/<uuid:public_id>/", views.doctor_list, name="doctors"),
    path("doctors/<uuid:public_id>/", views.doctor_detail, name="doctor"),
    path("doctors/<uuid:public_id>/<str:day>/<slug:session>/", views.session_detail, name="session"),
    path("slots/<uuid:public_id>/", views.choose_patient, name="choose_patient"),
    path("slots/<uuid:public_id>/confirm/", views.confirm, name="confirm"),
    path("mine/", views.my_appointments, name="mine"),
    path("mine/<uuid:public_id>/cancel/", views.cancel, name="cancel"),
    path("mine/<uuid:public_id>/reschedule/", views.reschedule, name="reschedule"),
    path("mine/<uuid:public_id>/reschedule/<uuid:slot_id>/", views.reschedule_confirm, name="reschedule_confirm"),
    path("desk/", views.desk, name="desk"),
    path("desk/patients/<uuid:public_id>/", views.desk_patient, name="desk_patient"),
]
