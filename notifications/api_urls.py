from django.urls import path

from notifications import api

urlpatterns = [
    path("", api.NotificationListApi.as_view(), name="api-notifications"),
    path("read", api.NotificationReadAllApi.as_view(), name="api-notifications-read-all"),
    path("<uuid:public_id>/read", api.NotificationReadApi.as_view(), name="api-notification-read"),
]
