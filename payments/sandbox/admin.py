"""Read-only views of the sandbox's bank, for testers: what it holds and which notifications it sent."""

from django.contrib import admin

from payments.sandbox.models import SandboxCheckout, SandboxDelivery, SandboxDeliveryAttempt, SandboxTransaction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TransactionInline(admin.TabularInline):
    model = SandboxTransaction
    extra = 0
    can_delete = False
    fields = readonly_fields = ("event_id", "kind", "amount", "refund_reference", "detail", "occurred_at")


@admin.register(SandboxCheckout)
class SandboxCheckoutAdmin(ReadOnlyAdmin):
    list_display = ("provider_reference", "reference", "amount", "status", "capture", "simulate", "created_at")
    list_filter = ("status", "capture", "simulate")
    search_fields = ("provider_reference", "reference")
    inlines = [TransactionInline]


@admin.register(SandboxTransaction)
class SandboxTransactionAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "checkout", "kind", "amount", "occurred_at")
    list_filter = ("kind",)
    search_fields = ("event_id", "checkout__reference", "checkout__provider_reference")


class AttemptInline(admin.TabularInline):
    model = SandboxDeliveryAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ("attempted_at", "status_code", "error")


@admin.register(SandboxDelivery)
class SandboxDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("transaction", "url", "status", "attempts", "next_attempt_at", "delivered_at")
    list_filter = ("status",)
    inlines = [AttemptInline]
