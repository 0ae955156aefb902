"""Django admin for payments: the fee schedule and insurance rules (editable); bills, payments, the ledger's
events, refunds, claims, notifications and reconciliation results (read-only: money changes only through the
services); a refund action with a confirmation page and a reason; daily totals from the ledger.
"""

import uuid
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import DecimalField, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from payments import services
from payments.models import (
    Coverage,
    EventKind,
    FeeItem,
    HeldEvent,
    InsuranceClaim,
    InsurancePlan,
    InsuranceRatio,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentEvent,
    PaymentNotificationLog,
    ReconciliationMismatch,
    ReconciliationRun,
    Refund,
)
from payments.selectors import balance_of, invoices_with_balances


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the services: visible, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# --- Fees and insurance rules ------------------------------------------------------------------------

@admin.register(FeeItem)
class FeeItemAdmin(admin.ModelAdmin):
    list_display = ("kind", "code", "name", "category", "amount", "effective_from")
    list_filter = ("kind", "category")
    search_fields = ("code", "name")
    date_hierarchy = "effective_from"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a price that was in effect stays on record; a new price gets a new row and date


class InsuranceRatioInline(admin.TabularInline):
    model = InsuranceRatio
    extra = 1


@admin.register(InsurancePlan)
class InsurancePlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "insurer", "deductible", "annual_cap", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    inlines = [InsuranceRatioInline]


@admin.register(Coverage)
class CoverageAdmin(admin.ModelAdmin):
    list_display = ("patient", "plan", "member_number", "valid_from", "valid_to")
    list_filter = ("plan",)
    list_select_related = ("patient", "plan")
    search_fields = ("member_number", "patient__name", "patient__name_initials", "patient__mrn")
    autocomplete_fields = ("patient", "plan")  # a select of every plan grows with the plans (tests/admin_site)


# --- Bills -------------------------------------------------------------------------------------------

class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ("position", "category", "code", "description", "quantity", "unit_price", "amount", "insurer_share",
              "patient_share", "deductible_applied")
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("reference", "provider", "method", "amount", "status", "provider_reference", "created_at")
    readonly_fields = fields
    show_change_link = True


class RefundInline(ReadOnlyInline):
    model = Refund
    fk_name = "invoice"
    fields = ("reference", "amount", "reason", "status", "automatic", "requested_by", "created_at")
    readonly_fields = fields


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Amount to refund (¥)"), max_digits=12, decimal_places=2,
                                min_value=0.01)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=gettext_lazy("Kept with the refund and shown in the ledger."))
    request_key = forms.CharField(widget=forms.HiddenInput)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "patient", "status", "source", "total", "insurer", "patient_due", "paid", "refunded",
                    "issued_at")
    list_filter = ("status", "source")
    list_select_related = ("patient",)
    search_fields = ("number", "patient__name", "patient__name_initials", "patient__mrn")
    date_hierarchy = "created_at"
    readonly_fields = ("public_id", "number", "patient", "status", "source", "source_ref", "description", "coverage",
                       "pay_by", "created_by", "created_at", "issued_at", "paid_at", "voided_at", "void_reason",
                       "balance_summary")
    inlines = [InvoiceLineInline, PaymentInline, RefundInline]
    actions = ["refund"]

    def get_queryset(self, request):
        return invoices_with_balances(super().get_queryset(request))

    def has_change_permission(self, request, obj=None) -> bool:
        return request.method == "GET" and super().has_view_permission(request, obj)

    @admin.display(description=gettext_lazy("total"))
    def total(self, obj):
        return balance_of(obj).total

    @admin.display(description=gettext_lazy("insurance"))
    def insurer(self, obj):
        return balance_of(obj).insurer_due

    @admin.display(description=gettext_lazy("patient pays"))
    def patient_due(self, obj):
        return balance_of(obj).patient_due

    @admin.display(description=gettext_lazy("paid"))
    def paid(self, obj):
        return balance_of(obj).captured

    @admin.display(description=gettext_lazy("refunded"))
    def refunded(self, obj):
        return balance_of(obj).refunded

    @admin.display(description=gettext_lazy("balance"))
    def balance_summary(self, obj):
        balance = balance_of(obj)
        return _("Patient pays ¥%(due)s; paid ¥%(paid)s; refunded ¥%(refunded)s; still owed ¥%(owed)s; "
                 "refundable ¥%(refundable)s.") % {
            "due": balance.patient_due, "paid": balance.captured, "refunded": balance.refunded,
            "owed": balance.outstanding_for(obj.status), "refundable": balance.refundable}

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("payments.add_refund")

    @admin.action(description=gettext_lazy("Refund part or all of the bill…"), permissions=["refund"])
    def refund(self, request: HttpRequest, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one bill to refund."), messages.WARNING)
            return None
        invoice = queryset.get()
        balance = balance_of(invoice)
        form = RefundForm(request.POST if "reason" in request.POST else None,
                          initial={"amount": balance.refundable, "request_key": uuid.uuid4().hex})
        if form.is_valid():
            try:
                refund = services.refund_request(invoice=invoice, amount=form.cleaned_data["amount"],
                                                 reason=form.cleaned_data["reason"], by=request.user,
                                                 request_key=f"admin:{form.cleaned_data['request_key']}")
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                for field, errors in exc.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                self.log_change(request, invoice, _("Refund %(reference)s of ¥%(amount)s: %(reason)s")
                                % {"reference": refund.reference, "amount": refund.amount, "reason": refund.reason})
                self.message_user(request, _("Refund %(reference)s of ¥%(amount)s is %(status)s.") % {
                    "reference": refund.reference, "amount": refund.amount,
                    "status": refund.get_status_display().lower()},
                    messages.SUCCESS if refund.status != "failed" else messages.ERROR)
                return None
        return TemplateResponse(request, "admin/payments/refund.html", {
            **self.admin_site.each_context(request), "title": _("Refund bill %(number)s") % {"number": invoice.number},
            "opts": self.model._meta, "form": form, "invoice": invoice, "balance": balance,
            "queryset": queryset, "action_checkbox_name": ACTION_CHECKBOX_NAME,
        })


# --- The ledger ----------------------------------------------------------------------------------------

class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    fields = ("event_id", "kind", "amount", "occurred_at", "recorded_at", "refund", "detail")
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("reference", "invoice", "provider", "method", "amount", "status", "created_at")
    list_filter = ("status", "provider", "method")
    list_select_related = ("invoice",)
    search_fields = ("reference", "provider_reference", "invoice__number")
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [PaymentEventInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return request.method == "GET" and super().has_view_permission(request, obj)


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    """The append-only ledger (a database trigger refuses changes), and its daily totals."""

    list_display = ("occurred_at", "provider", "event_id", "kind", "amount", "payment")
    list_filter = ("kind", "provider")
    list_select_related = ("payment",)
    search_fields = ("event_id", "payment__reference")
    date_hierarchy = "occurred_at"
    readonly_fields = [f.name for f in PaymentEvent._meta.fields]
    change_list_template = "admin/payments/paymentevent/change_list.html"

    def get_urls(self):
        return [path("daily-totals/", self.admin_site.admin_view(self.daily_totals_view),
                     name="payments_paymentevent_daily_totals"), *super().get_urls()]

    def daily_totals_view(self, request: HttpRequest):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        since = timezone.now() - timedelta(days=30)
        money = DecimalField(max_digits=14, decimal_places=2)
        rows = (PaymentEvent.objects.filter(occurred_at__gte=since)
                .annotate(day=TruncDate("occurred_at", tzinfo=timezone.get_current_timezone()))
                .values("day", "provider").order_by("-day", "provider")
                .annotate(captured=Coalesce(Sum("amount", filter=Q(kind=EventKind.CAPTURE)), 0, output_field=money),
                          refunded=Coalesce(Sum("amount", filter=Q(kind=EventKind.REFUND)), 0, output_field=money)))
        for row in rows:
            row["net"] = row["captured"] - row["refunded"]
        return TemplateResponse(request, "admin/payments/daily_totals.html", {
            **self.admin_site.each_context(request), "title": _("Daily totals (last 30 days)"),
            "opts": self.model._meta, "rows": rows})


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("reference", "invoice", "amount", "status", "automatic", "requested_by", "reason", "created_at")
    list_filter = ("status", "automatic")
    list_select_related = ("invoice", "requested_by")
    search_fields = ("reference", "invoice__number", "reason")
    readonly_fields = [f.name for f in Refund._meta.fields]

    def has_change_permission(self, request, obj=None) -> bool:
        return request.method == "GET" and super().has_view_permission(request, obj)


@admin.register(InsuranceClaim)
class InsuranceClaimAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "coverage", "year", "insurer_share", "status", "message", "submitted_at", "decided_at")
    list_filter = ("status", "year")
    list_select_related = ("invoice", "coverage__patient", "coverage__plan")
    readonly_fields = [f.name for f in InsuranceClaim._meta.fields]


@admin.register(PaymentNotificationLog)
class PaymentNotificationLogAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "provider", "outcome", "reason", "event_id", "reference", "remote_addr")
    list_filter = ("outcome", "provider", "reason")
    search_fields = ("event_id", "reference")
    readonly_fields = [f.name for f in PaymentNotificationLog._meta.fields]


@admin.register(HeldEvent)
class HeldEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "provider", "event_id", "kind", "waiting_for", "applied_at")
    list_filter = ("kind", "provider")
    readonly_fields = [f.name for f in HeldEvent._meta.fields]


# --- Reconciliation ----------------------------------------------------------------------------------------

class MismatchInline(ReadOnlyInline):
    model = ReconciliationMismatch
    fields = ("kind", "event_id", "reference", "provider_kind", "ledger_kind", "provider_amount", "ledger_amount",
              "what_to_do")
    readonly_fields = fields


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ("day", "provider", "provider_rows", "ledger_rows", "mismatches", "started_at")
    list_filter = ("provider",)
    date_hierarchy = "day"
    readonly_fields = [f.name for f in ReconciliationRun._meta.fields]
    inlines = [MismatchInline]


@admin.register(ReconciliationMismatch)
class ReconciliationMismatchAdmin(ReadOnlyAdmin):
    list_display = ("run", "kind", "event_id", "reference", "provider_amount", "ledger_amount", "what_to_do",
                    "invoice_link", "resolved_at")
    list_filter = ("kind", "run__provider", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("run",)
    search_fields = ("event_id", "reference")
    readonly_fields = [f.name for f in ReconciliationMismatch._meta.fields]
    actions = ["mark_resolved"]

    @admin.display(description=gettext_lazy("bill"))
    def invoice_link(self, obj):
        payment = Payment.objects.filter(reference=obj.reference).select_related("invoice").first() if obj.reference \
            else None
        if payment is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:payments_invoice_change", args=[payment.invoice_id]),
                           payment.invoice)

    def has_resolve_permission(self, request) -> bool:
        return request.user.has_perm("payments.change_reconciliationmismatch")

    @admin.action(description=gettext_lazy("Mark as dealt with"), permissions=["resolve"])
    def mark_resolved(self, request, queryset):
        count = queryset.filter(resolved_at=None).update(resolved_at=timezone.now())
        self.message_user(request, _("%(count)d mismatches marked as dealt with.") % {"count": count})

