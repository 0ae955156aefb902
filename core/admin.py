from django.contrib import admin

from core.models import OutboxMessage, ServiceHeartbeat


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Background work kept while the broker was down: read-only. A job's arguments can carry what a message says
    (an email about a result or an alert), so they are shown to clinicians only; the rest is what an operator needs."""

    MESSAGE_FIELDS = frozenset({"args", "kwargs"})
    list_display = ("task_name", "created_at", "attempts", "sent_at")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "task_name")
    search_fields = ("task_name",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if getattr(request.user, "is_clinician", False):
            return fields
        return [name for name in fields if name not in self.MESSAGE_FIELDS]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceHeartbeat)
class ServiceHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "seen_at")
    readonly_fields = ("name", "seen_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
