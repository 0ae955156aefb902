from django.urls import path

from telemonitor.consumers import AlertFeedConsumer

websocket_urlpatterns = [path("ws/telemonitor/alerts/", AlertFeedConsumer.as_asgi())]
