from django.urls import path

from notifications.consumers import NotificationFeedConsumer

websocket_urlpatterns = [path("ws/notifications/", NotificationFeedConsumer.as_asgi())]
