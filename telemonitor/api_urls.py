from django.urls import path

from telemonitor import api

urlpatterns = [
    path("readings", api.ReadingBatchApi.as_view(), name="api-telemonitor-readings"),
    path("pairing", api.DevicePairApi.as_view(), name="api-telemonitor-pair"),
    path("pairing-codes", api.PairingCodeCreateApi.as_view(), name="api-telemonitor-pairing-codes"),
]
