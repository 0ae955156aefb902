from django.urls import path

from payments.sandbox import views

app_name = "payments_sandbox"
urlpatterns = [
    path("<str:provider_reference>/", views.checkout_page, name="checkout"),
]
