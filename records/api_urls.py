from django.urls import path

from records import api

urlpatterns = [
    path("family", api.FamilyMemberListApi.as_view(), name="api-family"),
    path("family/<uuid:public_id>", api.FamilyMemberDetailApi.as_view(), name="api-family-detail"),
]
