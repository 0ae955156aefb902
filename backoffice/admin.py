"""The staff directory and the daily reports' log, in the hospital's admin site.

The directory lists everyone with a staff role (and anyone who may use the admin), with their roles and, for
doctors, their department; a doctor is added through the one-page form (backoffice.views.doctor_create), and
staff leave by "Deactivate", never by deletion. Deactivating several people is all or nothing.
"""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Q
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.roles import STAFF_ROLES, Role
from backoffice import services
from backoffice.forms import DeactivateForm
from backoffice.models import DailyReport, StaffMember
from core.admin_actions import act_on_all_or_report


class RoleFilter(admin.SimpleListFilter):
    title = gettext_lazy("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(role, Role(role).label) for role in Role.values if role in STAFF_ROLES]

    def queryset(self, request, queryset):
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "phone", "roles_text", "department", "is_active", "last_login")
    list_filter = (RoleFilter, "is_active", ("doctor_profile__department", admin.RelatedOnlyFieldListFilter))
    # name_initials-style search is the patients' (records); staff are found by name, email or phone.
    search_fields = ("name", "email", "phone")
    list_select_related = ("doctor_profile__department",)
    ordering = ("name",)
    actions = ["deactivate"]
    fields = ("name", "email", "phone", "roles_text", "department", "is_active", "is_staff", "last_login", "date_joined")
    readonly_fields = fields
    change_list_template = "admin/backoffice/staffmember/change_list.html"

    def get_queryset(self, request):
        return (super().get_queryset(request).filter(Q(groups__name__in=STAFF_ROLES) | Q(is_staff=True)).distinct()
                .prefetch_related("groups"))

    def has_add_permission(self, request):
        return False  # doctors are added through "Add a doctor", other staff through Users

    def has_change_permission(self, request, obj=None):
        return False  # details are changed on the user's page; here one reads and deactivates

    def has_delete_permission(self, request, obj=None):
        return False  # staff are deactivated, never deleted: their notes and audit rows keep their name

    def has_deactivate_permission(self, request):
        return request.user.has_perm("accounts.change_user")

    @admin.display(description=gettext_lazy("roles"))
    def roles_text(self, obj: StaffMember) -> str:
        names = {g.name for g in obj.groups.all()}  # prefetched: no query per row
        return ", ".join(str(Role(r).label) for r in Role.values if r in names)

    @admin.display(description=gettext_lazy("department"), ordering="doctor_profile__department")
    def department(self, obj: StaffMember):
        profile = getattr(obj, "doctor_profile", None)
        return profile.department if profile else "—"

    @admin.action(description=gettext_lazy("Deactivate (login closed, sessions to come cancelled, history kept)"),
                  permissions=["deactivate"])
    def deactivate(self, request: HttpRequest, queryset):
        people = list(queryset.order_by("name", "pk"))
        form = DeactivateForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            done = act_on_all_or_report(
                self, request, people,
                lambda person: services.staff_deactivate(user=person, by=request.user, reason=form.cleaned_data["reason"]),
                describe=lambda person: person.name)
            if done is None:
                return None
            for result in done:
                self.log_change(request, result.user, _("Deactivated"))
            self.message_user(request, ngettext(
                "Deactivated %(count)d member of staff; %(sessions)d sessions to come were cancelled and their patients told.",
                "Deactivated %(count)d members of staff; %(sessions)d sessions to come were cancelled and their patients told.",
                len(done)) % {"count": len(done), "sessions": sum(r.sessions_cancelled for r in done)}, messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/backoffice/staffmember/deactivate.html", {
            **self.admin_site.each_context(request),
            "title": _("Deactivate staff"), "opts": self.model._meta, "form": form, "people": people,
            "queryset": queryset, "action_checkbox_name": ACTION_CHECKBOX_NAME,
        })


@admin.register(DailyReport)
class DailyReportAdmin(admin.ModelAdmin):
    list_display = ("date", "sent_at", "recipients")
    readonly_fields = ("date", "sent_at", "recipients")
    date_hierarchy = "date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deleting the row would send the day's report again
