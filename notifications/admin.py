from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Delivery of what was sent to whom. A notification's title and message can be clinical (a home-monitoring
    alert, a result): they are shown, and searched, only for clinicians."""

    CLINICAL_FIELDS = frozenset({"title", "body", "link"})
    list_display = ("title", "user", "kind", "created_at", "read_at", "email_sent_at", "sms_sent_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter), ("created_at", admin.DateFieldListFilter))
    search_fields = ("title", "user__email", "user__name", "user__phone", "key")
    list_select_related = ("user",)
    readonly_fields = [f.name for f in Notification._meta.fields]
    show_full_result_count = False

    def _without_clinical(self, request, names):
        if request.user.is_clinician:
            return names
        return type(names)(name for name in names if name not in self.CLINICAL_FIELDS)

    def get_list_display(self, request):
        return self._without_clinical(request, tuple(super().get_list_display(request)))

    def get_search_fields(self, request):
        return self._without_clinical(request, tuple(super().get_search_fields(request)))

    def get_fields(self, request, obj=None):
        return self._without_clinical(request, list(super().get_fields(request, obj)))

    def get_readonly_fields(self, request, obj=None):
        return self._without_clinical(request, list(super().get_readonly_fields(request, obj)))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
