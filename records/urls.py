from django.urls import path

from records import views

app_name = "records"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("family/", views.family_list, name="family"),
    path("family/add/", views.family_add, name="family_add"),
    path("family/<uuid:public_id>/edit/", views.family_edit, name="family_edit"),
    path("family/<uuid:public_id>/remove/", views.family_remove, name="family_remove"),
]
