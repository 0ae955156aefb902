from django.urls import path

from payments import api, webhooks

urlpatterns = [
    path("invoices", api.InvoiceListApi.as_view(), name="api-payments-invoices"),
    path("invoices/<uuid:public_id>", api.InvoiceDetailApi.as_view(), name="api-payments-invoice"),
    path("invoices/<uuid:public_id>/checkout", api.CheckoutApi.as_view(), name="api-payments-checkout"),
    path("invoices/<uuid:public_id>/desk-payments", api.DeskPaymentApi.as_view(), name="api-payments-desk-payment"),
    path("invoices/<uuid:public_id>/refunds", api.RefundApi.as_view(), name="api-payments-refund"),
    path("insurance-plans", api.InsurancePlanListApi.as_view(), name="api-payments-insurance-plans"),
    path("coverages", api.CoverageListApi.as_view(), name="api-payments-coverages"),
    path("coverages/<uuid:public_id>/unlink", api.CoverageUnlinkApi.as_view(), name="api-payments-coverage-unlink"),
    path("notifications/<slug:provider>", webhooks.notification_receive, name="api-payments-notification"),
]
