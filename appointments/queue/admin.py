"""Django admin for the queue: service points (rooms and pharmacy windows) and a read-only view of tickets.

Tickets change only through appointments.queue.services (check-in, the doctor's console, the no-show job), so the
admin shows them and their history, and never edits them. Changelists select related rows in the same query.
"""

from django.contrib import admin

from appointments.models import QueueTicket, ServicePoint


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "department", "doctor", "room", "is_active"]
    list_filter = ["kind", "is_active", "department"]
    list_select_related = ["department", "doctor__user", "room"]
    autocomplete_fields = ["department", "doctor", "room"]
    search_fields = ["name", "room__name", "doctor__user__name", "department__name_zh", "department__name_en"]


@admin.register(QueueTicket)
class QueueTicketAdmin(admin.ModelAdmin):
    list_display = ["number", "date", "service_point", "patient", "priority", "status", "late", "checked_in_at",
                    "called_at", "recall_count", "done_at"]
    list_filter = ["status", "priority", "date", "service_point__department"]
    list_select_related = ["service_point__department", "service_point__room", "service_point__doctor__user", "patient"]
    # name_initials finds 张三明 by "zsm" (pinyin initials), name_pinyin by "zhang".
    search_fields = ["number", "patient__name", "patient__name_initials", "patient__name_pinyin", "patient__mrn"]
    date_hierarchy = "date"
    readonly_fields = [field.name for field in QueueTicket._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
