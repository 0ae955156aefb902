from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_page, name="list"),
    path("read/", views.notification_read_all, name="read_all"),
]
