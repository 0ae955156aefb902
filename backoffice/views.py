"""The back office's own admin pages: the dashboard (with its exports and the progress of a heavy range) and
the one-page doctor creation. Thin: figures come from backoffice.figures, writes from backoffice.services.
"""

import uuid
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from appointments.models import Department
from backoffice import charts, export, figures, services, tasks
from backoffice.errors import DoctorDetailsInvalid
from backoffice.figures import records
from backoffice.forms import DashboardForm, DoctorForm, WeeklySessionFormSet
from backoffice.site import views_may_create_doctor
from core.outbox import enqueue

# A range longer than this whose finished days are not all in the cache is read by a Celery task.
HEAVY_DAYS = 31


def _check_dashboard(request: HttpRequest) -> None:
    if not request.user.has_perm("backoffice.view_dashboard"):
        raise PermissionDenied


def _context(request: HttpRequest, title: str) -> dict:
    return {**admin.site.each_context(request), "title": title}


def _dashboard_or_job(request: HttpRequest, form: DashboardForm):
    """The computed dashboard, or a redirect to the progress page of the job now reading a heavy range."""
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    department = form.cleaned_data["department"]
    if (end - start).days + 1 > HEAVY_DAYS and figures.days_missing(start, end):
        job_id = uuid.uuid4().hex
        query = urlencode({"date_from": start.isoformat(), "date_to": end.isoformat(),
                           "department": department.pk if department else ""})
        tasks.job_progress_set(job_id, state="queued", total=(end - start).days + 1, query=query)
        enqueue(tasks.dashboard_days_read, job_id, start.isoformat(), end.isoformat(), query)
        return HttpResponseRedirect(reverse("admin:backoffice_dashboard_job", args=[job_id]))
    return figures.dashboard_compute(date_from=start, date_to=end, department_id=department.pk if department else None)


def _department_names() -> dict[int, str]:
    return {d.pk: d.name for d in Department.objects.all()}


def dashboard(request: HttpRequest) -> HttpResponse:
    _check_dashboard(request)
    form = DashboardForm.from_query(request.GET)
    context = _context(request, _("Hospital dashboard"))
    context["form"] = form
    if form.is_valid():
        result = _dashboard_or_job(request, form)
        if isinstance(result, HttpResponse):
            return result
        names = _department_names()
        by_day = result.by_day
        shown = _shown_columns(result)
        context.update({
            "dashboard": result,
            "summary": services.report_rows(result),
            "query": request.GET.urlencode() or urlencode({k: form.data[k] for k in ("date_from", "date_to", "department")}),
            "by_day": [(day, _row_texts(row, shown)) for day, row in records(by_day)],
            "by_department": [(names.get(pk, "—"), _row_texts(row, shown)) for pk, row in records(result.by_department)],
            "revenue": [(category, {k: services.figure_text("revenue", row[k]) for k in ("amount", "insurer", "patient",
                                                                                         "refunded")})
                        for category, row in records(result.revenue)],
            "columns": [(c, export.FIGURE_LABELS[c]) for c in shown],
            "charts": [
                charts.bar_chart(_("Visits per day"), [(d.strftime("%m-%d"), r["visits"]) for d, r in records(by_day)]),
                charts.bar_chart(_("Utilisation per day"),
                                 [(d.strftime("%m-%d"), _number(r["utilisation"])) for d, r in records(by_day)],
                                 percent=True),
                *([charts.bar_chart(_("Revenue by category (CNY)"),
                                    [(str(c), float(r["amount"])) for c, r in records(result.revenue)])]
                  if result.has_revenue and not result.revenue.empty else []),
            ],
        })
    return TemplateResponse(request, "admin/backoffice/dashboard.html", context)


def _number(value):
    return None if value is None or value != value else float(value)


def _shown_columns(result) -> list[str]:
    return [c for c in figures.FIGURE_COLUMNS if result.has_revenue or not c.startswith(("revenue", "refunds"))]


COUNT_COLUMNS = ("visits", "bookings", "capacity", "no_shows", "alerts_opened", "alerts_escalated")


def _row_texts(row, columns: list[str]) -> list[str]:
    return [services.figure_text(c, int(row[c]) if c in COUNT_COLUMNS else _number(row[c])) for c in columns]


def dashboard_export(request: HttpRequest, fmt: str) -> HttpResponse:
    _check_dashboard(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    form = DashboardForm.from_query(request.GET)
    if not form.is_valid():
        return HttpResponseRedirect(f"{reverse('admin:backoffice_dashboard')}?{request.GET.urlencode()}")
    result = _dashboard_or_job(request, form)
    if isinstance(result, HttpResponse):
        return result
    if fmt == "csv":
        response = HttpResponse(export.dashboard_csv(result).encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    else:
        department = form.cleaned_data["department"]
        response = HttpResponse(
            export.dashboard_xlsx(result, department_names=_department_names(),
                                  department_label=department.name if department else _("All departments")),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{export.export_filename(result, fmt)}"'
    return response


def _job(request: HttpRequest, job_id: str) -> dict:
    _check_dashboard(request)
    progress = tasks.job_progress_get(job_id)
    if progress is None:
        raise Http404
    return progress


def dashboard_job(request: HttpRequest, job_id: str) -> HttpResponse:
    progress = _job(request, job_id)
    context = _context(request, _("Reading the figures"))
    context.update({"job_id": job_id, "progress": progress,
                    "progress_url": reverse("admin:backoffice_dashboard_job_progress", args=[job_id]),
                    "result_url": f"{reverse('admin:backoffice_dashboard')}?{progress['query']}"})
    return TemplateResponse(request, "admin/backoffice/dashboard_job.html", context)


def dashboard_job_progress(request: HttpRequest, job_id: str) -> JsonResponse:
    progress = _job(request, job_id)
    total = progress.get("total") or 0
    percent = 100 if progress["state"] == "done" else (100 * progress.get("done", 0) // total if total else 0)
    return JsonResponse({"state": progress["state"], "done": progress.get("done", 0), "total": total, "percent": percent})


# --- A new doctor in one page -------------------------------------------------------------------------------

def doctor_create(request: HttpRequest) -> HttpResponse:
    if not views_may_create_doctor(request.user):
        raise PermissionDenied
    form = DoctorForm(request.POST or None)
    formset = WeeklySessionFormSet(request.POST or None, prefix="sessions")
    session_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        sessions = [services.WeeklySession(**f.cleaned_data) for f in formset.forms if f.has_changed() and f.cleaned_data]
        data = form.cleaned_data
        try:
            doctor = services.doctor_create(
                by=request.user, name=data["name"], email=data["email"], phone=data["phone"], password=data["password"],
                title=data["title"], department=data["department"], room=data["room"],
                new_room_code=data["new_room_code"], new_room_name=data["new_room_name"], sessions=sessions,
                valid_from=data["valid_from"])
        except DoctorDetailsInvalid as exc:
            for field, problems in exc.errors.items():
                if field == "sessions":
                    session_errors.extend(problems)
                else:
                    for problem in problems:
                        form.add_error(None if field == "__all__" else field, problem)
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s was added to %(department)s with %(count)d weekly sessions. Tick the "
                                        "doctor and choose “Generate slots” to open their numbers for booking.")
                             % {"name": doctor.user.name, "department": doctor.department, "count": len(sessions)})
            return HttpResponseRedirect(f"{reverse('admin:appointments_doctorprofile_changelist')}?"
                                        f"{urlencode({'q': doctor.user.email})}")
    context = _context(request, _("Add a doctor"))
    context.update({"form": form, "formset": formset, "session_errors": session_errors})
    return TemplateResponse(request, "admin/backoffice/doctor_create.html", context)
