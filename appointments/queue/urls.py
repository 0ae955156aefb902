from django.urls import path

from appointments.queue import views

app_name = "queue"
urlpatterns = [
    path("", views.my_queue, name="mine"),
    path("appointments/<uuid:public_id>/check-in/", views.check_in, name="check_in"),
    path("scan/<str:token>/", views.scan, name="scan"),
    path("tickets/<uuid:public_id>/", views.ticket, name="ticket"),
    path("tickets/<uuid:public_id>/rejoin/", views.ticket_rejoin, name="ticket_rejoin"),
    path("boards/", views.board_list, name="boards"),
    path("boards/<uuid:public_id>/", views.board, name="board"),
    path("console/", views.console_index, name="console_index"),
    path("console/<uuid:public_id>/", views.console, name="console"),
    path("desk/", views.desk, name="desk"),
    path("desk/qr/<uuid:public_id>/", views.desk_qr, name="desk_qr"),
]
