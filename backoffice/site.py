"""The hospital's admin site: the default site (backoffice.apps.HospitalAdminConfig), so every app's
``admin.site.register`` lands here. Its index groups the pages into the hospital's sections
(backoffice.sections) and links the dashboard and the staff directory; its header is the hospital's name
in the reader's language.
"""

from django.contrib import admin
from django.urls import path, reverse
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from backoffice import sections
from core.branding import hospital_name


def _header() -> str:
    return f"{hospital_name()} · {_('Back office')}"


class HospitalAdminSite(admin.AdminSite):
    site_header = lazy(_header, str)()
    site_title = lazy(hospital_name, str)()
    index_title = _("Back office")
    index_template = "admin/backoffice/index.html"

    def get_app_list(self, request, app_label=None):
        """Sections instead of apps on the index and in the side bar; one app's page (app_label) stays as Django has it."""
        if app_label is not None:
            return super().get_app_list(request, app_label)
        grouped: dict[str, list[dict]] = {key: [] for key in sections.SECTIONS}
        for app in self._build_app_dict(request).values():
            for model in app["models"]:
                meta = model["model"]._meta
                grouped[sections.section_of(meta.app_label, meta.model_name)].append(model)
        index_url = reverse("admin:index", current_app=self.name)
        result = []
        for key, label in sections.SECTIONS.items():
            models = grouped[key]
            if not models:
                continue
            models.sort(key=lambda m: (sections.model_order(m["model"]._meta.app_label, m["model"]._meta.model_name),
                                       str(m["name"])))
            result.append({"name": label, "app_label": f"section-{key}", "app_url": f"{index_url}#section-{key}",
                           "has_module_perms": True, "models": models, "section": key})
        return result

    def get_urls(self):
        from backoffice import views

        return [
            path("dashboard/", self.admin_view(views.dashboard), name="backoffice_dashboard"),
            path("dashboard/export.<str:fmt>", self.admin_view(views.dashboard_export), name="backoffice_dashboard_export"),
            path("dashboard/jobs/<slug:job_id>/", self.admin_view(views.dashboard_job), name="backoffice_dashboard_job"),
            path("dashboard/jobs/<slug:job_id>/progress/", self.admin_view(views.dashboard_job_progress),
                 name="backoffice_dashboard_job_progress"),
            path("staff/new-doctor/", self.admin_view(views.doctor_create), name="backoffice_doctor_create"),
            *super().get_urls(),
        ]

    def each_context(self, request):
        context = super().each_context(request)
        context["may_see_dashboard"] = request.user.has_perm("backoffice.view_dashboard")
        context["may_create_doctor"] = views_may_create_doctor(request.user)
        return context


def views_may_create_doctor(user) -> bool:
    return user.has_perms(["accounts.add_user", "appointments.add_doctorprofile", "appointments.add_scheduletemplate"])
