from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("", views.bill_list, name="bills"),
    path("bills/<uuid:public_id>/", views.bill_detail, name="bill"),
    path("bills/<uuid:public_id>/pay/", views.bill_pay, name="pay"),
    path("bills/<uuid:public_id>/return/", views.bill_return, name="return"),
    path("bills/<uuid:public_id>/status/", views.bill_status, name="status"),
    path("bills/<uuid:public_id>/receipt/", views.receipt_download, name="receipt"),
    path("insurance/", views.insurance, name="insurance"),
    path("insurance/<uuid:public_id>/unlink/", views.insurance_unlink, name="insurance_unlink"),
    path("appointments/<uuid:public_id>/", views.appointment_pay, name="appointment_pay"),
    path("desk/", views.desk, name="desk"),
    path("desk/patients/<uuid:public_id>/", views.desk_patient, name="desk_patient"),
    path("desk/bills/<uuid:public_id>/record/", views.desk_record, name="desk_record"),
]
