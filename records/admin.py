from django.contrib import admin

from records.models import FamilyMember, Patient


class FamilyLinkInline(admin.TabularInline):
    model = FamilyMember
    fk_name = "patient"
    extra = 0
    fields = ("account", "relationship", "is_guardian", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("account",)


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("mrn", "name", "sex", "date_of_birth", "phone", "national_id_masked", "created_at")
    list_filter = ("sex",)
    # name_initials lets staff find 张三明 by typing "zsm"; name_pinyin by "zhang".
    search_fields = ("mrn", "name", "name_initials", "name_pinyin", "phone", "insurance_number")
    readonly_fields = ("public_id", "mrn", "national_id_masked", "created_at", "updated_at", "created_by")
    fields = ("public_id", "mrn", "name", "sex", "date_of_birth", "phone", "national_id_masked", "insurance_number",
              "account", "created_by", "created_at", "updated_at")
    autocomplete_fields = ("account",)
    inlines = [FamilyLinkInline]
    list_select_related = ()
    show_full_result_count = False


@admin.register(FamilyMember)
class FamilyMemberAdmin(admin.ModelAdmin):
    list_display = ("patient", "account", "relationship", "is_guardian", "created_at")
    list_filter = ("relationship", "is_guardian")
    search_fields = ("patient__name", "patient__mrn", "account__email", "account__phone")
    list_select_related = ("patient", "account")
    autocomplete_fields = ("patient", "account")
