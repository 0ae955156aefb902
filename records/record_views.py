"""Browser pages of the clinical record: the chart (doctors and nurses), "my records" (patients and their
guardians), report downloads and the break-the-glass form. Each page view is one records.access call, so one
audit row; the data comes from records.selectors in a fixed number of queries."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import Role
from core.errors import ApplicationError, ValidationFailed
from records import chart_panels, pdf, selectors, services
from records.access import (
    AuditContext,
    Purpose,
    access_log_write,
    access_patient,
    access_patient_record,
    acting_role,
    is_own_or_guarded,
)
from records.errors import RecordAccessDenied, RecordNotFound
from records.models import AccessAction, FamilyMember, Patient, Report


def _denied(request, exc: RecordAccessDenied, patient: Patient | None = None):
    return render(request, "records/access_denied.html", {
        "message": exc.message, "patient": patient, "offer_break_glass": exc.extra.get("break_glass", False)}, status=403)


@login_required
def my_records(request):
    """The records the signed-in person may read as a patient: their own and those they are guardian of."""
    members = (FamilyMember.objects.filter(account=request.user, is_guardian=True).select_related("patient")
               .order_by("created_at", "id"))
    return render(request, "records/my_records.html", {"members": members})


@login_required
def patient_record(request, public_id):
    """The chart for clinicians; the same record in plain words for the patient and their guardians."""
    try:
        patient = access_patient(user=request.user, public_id=public_id, purpose=Purpose.CARE, request=request,
                                 object_type="chart")
    except RecordNotFound:
        raise Http404 from None
    except RecordAccessDenied as exc:
        return _denied(request, exc, Patient.objects.filter(public_id=public_id).first())
    doctor = request.user.has_role(Role.DOCTOR)
    clinician = doctor or request.user.has_role(Role.NURSE)
    chart = selectors.patient_chart(patient=patient, viewer=request.user if doctor else None)
    if clinician:
        # ?appointment= comes from "open chart" on the queue console: a note started here is linked to it.
        # Panels of apps above records (home monitoring's vitals), asked only now that access is allowed.
        panels = chart_panels.chart_panels(patient=patient, viewer=request.user)
        return render(request, "records/chart.html", {"patient": patient, "chart": chart, "can_write_notes": doctor,
                                                      "appointment": _uuid_or_none(request.GET.get("appointment")),
                                                      "panels": panels})
    return render(request, "records/my_record.html", {"patient": patient, "chart": chart,
                                                      "pdf_sections": pdf.SECTIONS.values(),
                                                      "pdf_available": pdf.pdf_available()})


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@login_required
def record_pdf(request, public_id, section):
    """One section of the record as a PDF download (visits, diagnoses, medicines, results). Logged like the page."""
    if section not in pdf.SECTIONS:
        raise Http404
    try:
        patient = access_patient(user=request.user, public_id=public_id, purpose=Purpose.CARE, request=request,
                                 object_type=f"pdf_{section}")
    except RecordNotFound:
        raise Http404 from None
    except RecordAccessDenied as exc:
        return _denied(request, exc, Patient.objects.filter(public_id=public_id).first())
    try:
        content = pdf.record_pdf(patient=patient, section=section, request=request)
    except pdf.PdfUnavailable:
        return render(request, "records/pdf_unavailable.html", {"patient": patient}, status=503)
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"{section}-{patient.mrn}-{timezone.localdate():%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# What a look at the record was, in the patient's words.
VIEWER_ACTIONS = {"read": gettext_lazy("opened the record"), "write": gettext_lazy("wrote in the record"),
                  "break_glass": gettext_lazy("emergency access, reviewed by the hospital")}


@login_required
def record_viewers(request, public_id):
    """Who has viewed my record: for the patient and their guardians only. Role, department, time and purpose of
    each look by staff; the staff member's name only where the hospital's policy allows it
    (RECORDS_SHOW_VIEWER_NAMES)."""
    patient = Patient.objects.filter(public_id=public_id).first()
    if patient is None or not is_own_or_guarded(user=request.user, patient=patient):
        raise Http404
    show_names = bool(getattr(settings, "RECORDS_SHOW_VIEWER_NAMES", False))
    roles = dict(Role.choices)
    rows = [{"at": entry.at, "role": roles.get(entry.actor_role, entry.actor_role), "department": entry.actor_department,
             "purpose": Purpose.LABELS.get(entry.purpose, entry.purpose),
             "action": VIEWER_ACTIONS.get(entry.action, entry.get_action_display()),
             "name": entry.actor.name if show_names and entry.actor else ""}
            for entry in selectors.access_log_for_patient(patient=patient, with_actor=show_names)]
    return render(request, "records/viewers.html", {"patient": patient, "rows": rows, "show_names": show_names})


@login_required
def report_file(request, public_id):
    report = Report.objects.select_related("patient").filter(public_id=public_id).first()
    if report is None or not report.file:
        raise Http404
    try:
        access_patient_record(user=request.user, patient=report.patient, purpose=Purpose.CARE, request=request,
                              object_type="report_file", object_id=str(report.public_id))
    except RecordNotFound:
        raise Http404 from None
    except RecordAccessDenied as exc:
        return _denied(request, exc, report.patient)
    extension = report.file.name.rsplit(".", 1)[-1]
    response = FileResponse(report.file.open("rb"), content_type=report.file_content_type, as_attachment=True,
                            filename=f"report-{report.issued_at:%Y%m%d}-{report.public_id.hex[:8]}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def break_glass(request, public_id):
    patient = Patient.objects.filter(public_id=public_id).first()
    if patient is None:
        raise Http404
    if not request.user.has_role(Role.DOCTOR):
        # Refused like any access to the record, and logged as such (as the API does; found by the access probe).
        access_log_write(user=request.user, role=acting_role(request.user), patient=patient, action=AccessAction.REFUSED,
                         object_type="break_glass", object_id=str(patient.public_id), purpose=Purpose.EMERGENCY,
                         audit=AuditContext.from_request(request))
        if not request.user.is_hospital_staff:
            raise Http404
        messages.error(request, _("Only doctors can use emergency access."))
        return redirect("records:patient_record", public_id=public_id)
    try:
        services.break_glass_grant(doctor=request.user, patient=patient, reason=request.POST.get("reason", ""),
                                   audit=AuditContext.from_request(request))
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for ms in exc.errors.values() for m in ms) or exc.message)
        return redirect("records:patient_record", public_id=public_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("records:patient_record", public_id=public_id)
    messages.warning(request, _("Emergency access granted for a limited time. It is recorded and will be reviewed."))
    return redirect("records:patient_record", public_id=public_id)


