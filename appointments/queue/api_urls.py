from django.urls import path

from appointments.queue import api

urlpatterns = [
    path("tickets/<uuid:public_id>", api.TicketSnapshotApi.as_view(), name="api-queue-ticket"),
    path("tickets/<uuid:public_id>/rejoin", api.TicketRejoinApi.as_view(), name="api-queue-ticket-rejoin"),
    path("check-in", api.CheckInApi.as_view(), name="api-queue-check-in"),
    path("walk-in", api.WalkInApi.as_view(), name="api-queue-walk-in"),
    path("boards/<uuid:public_id>", api.BoardSnapshotApi.as_view(), name="api-queue-board"),
    path("console/<uuid:public_id>", api.ConsoleSnapshotApi.as_view(), name="api-queue-console"),
    path("console/<uuid:public_id>/call-next", api.CallNextApi.as_view(), name="api-queue-call-next"),
    path("console/<uuid:public_id>/tickets/<uuid:ticket_id>/<slug:action>", api.ConsoleActionApi.as_view(),
         name="api-queue-console-action"),
]
