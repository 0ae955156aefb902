from django.urls import path

from accounts import api

urlpatterns = [
    path("me", api.MeApi.as_view(), name="api-me"),
    path("login", api.LoginApi.as_view(), name="api-login"),
    path("logout", api.LogoutApi.as_view(), name="api-logout"),
    path("two-factor", api.TwoFactorApi.as_view(), name="api-two-factor"),
]
