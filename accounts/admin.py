from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import TwoFactorDevice, User
from accounts.twofactor import two_factor_reset


class PortalUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "phone")


class PortalUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


def _two_factor_on():
    return Exists(TwoFactorDevice.objects.filter(user=OuterRef("pk"), confirmed_at__isnull=False))


class TwoFactorFilter(admin.SimpleListFilter):
    title = _("two-step sign-in")
    parameter_name = "two_factor"

    def lookups(self, request, model_admin):
        return (("on", _("On")), ("off", _("Not set up")))

    def queryset(self, request, queryset):
        if self.value() in ("on", "off"):
            return queryset.filter(two_factor_on=self.value() == "on")
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
    list_display = ("name", "email", "phone", "is_staff", "is_active", "two_factor", "date_joined")
    list_filter = ("is_staff", "is_active", "groups", TwoFactorFilter)
    search_fields = ("name", "email", "phone")
    ordering = ("name",)
    readonly_fields = ("public_id", "date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("public_id", "email", "password")}),
        (_("Person"), {"fields": ("name", "phone", "preferred_language")}),
        (_("Roles and permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "phone", "password1", "password2")}),)
    filter_horizontal = ("groups", "user_permissions")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(two_factor_on=_two_factor_on())

    @admin.display(description=_("two-step sign-in"), boolean=True, ordering="two_factor_on")
    def two_factor(self, user):
        return user.two_factor_on

    actions = ["reset_two_factor"]

    @admin.action(description=_("Reset two-step sign-in (lost phone)"), permissions=["change"])
    def reset_two_factor(self, request, queryset):
        """After a confirmation page: forget the selected people's authenticator and recovery codes."""
        if request.POST.get("confirm") == "yes":
            reset = sum(two_factor_reset(user=user) for user in queryset)
            self.message_user(request, ngettext(
                "Two-step sign-in was reset for %(count)d person; they set it up again at their next sign-in.",
                "Two-step sign-in was reset for %(count)d people; they set it up again at their next sign-in.",
                reset) % {"count": reset}, messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/accounts/reset_two_factor.html", {
            **self.admin_site.each_context(request),
            "title": gettext("Reset two-step sign-in"), "opts": self.model._meta, "queryset": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        })
