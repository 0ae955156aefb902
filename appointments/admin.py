from django.contrib import admin

from appointments.models import Department, DoctorProfile


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "location", "queue_prefix", "is_active", "sort_order")
    list_editable = ("sort_order", "is_active")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(DoctorProfile)
class DoctorProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "department", "title", "is_active")
    list_filter = ("department", "title", "is_active")
    search_fields = ("user__name", "user__email", "specialties")
    list_select_related = ("user", "department")
    autocomplete_fields = ("user", "department")
