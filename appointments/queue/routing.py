from django.urls import path

from appointments.queue.consumers import BoardConsumer, ConsoleConsumer, TicketConsumer

websocket_urlpatterns = [
    path("ws/queue/tickets/<uuid:public_id>/", TicketConsumer.as_asgi()),
    path("ws/queue/boards/<uuid:public_id>/", BoardConsumer.as_asgi()),
    path("ws/queue/console/<uuid:public_id>/", ConsoleConsumer.as_asgi()),
]
