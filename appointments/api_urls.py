from django.urls import path

from appointments import api

urlpatterns = [
    path("departments", api.DepartmentListApi.as_view(), name="api-appointments-departments"),
    path("guide", api.GuideApi.as_view(), name="api-appointments-guide"),
    path("doctors", api.DoctorListApi.as_view(), name="api-appointments-doctors"),
    path("doctors/<uuid:public_id>/sessions", api.DoctorSessionListApi.as_view(), name="api-appointments-sessions"),
    path("doctors/<uuid:public_id>/slots", api.DoctorSlotListApi.as_view(), name="api-appointments-slots"),
    path("book", api.BookApi.as_view(), name="api-appointments-book"),
    path("mine", api.MyAppointmentListApi.as_view(), name="api-appointments-mine"),
    path("patients", api.PatientSearchApi.as_view(), name="api-appointments-patients"),
    path("<uuid:public_id>", api.AppointmentDetailApi.as_view(), name="api-appointments-detail"),
    path("<uuid:public_id>/cancel", api.CancelApi.as_view(), name="api-appointments-cancel"),
    path("<uuid:public_id>/reschedule", api.RescheduleApi.as_view(), name="api-appointments-reschedule"),
]
