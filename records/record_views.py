"""Browser pages of the clinical record: the chart (doctors and nurses), "my records" (patients and their
guardians), report downloads and the break-the-glass form. Each page view is one records.access call, so one
audit row; the data comes from records.selectors in a fixed number of queries."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role
from core.errors import ApplicationError, ValidationFailed
from records import selectors, services
from records.access import AuditContext, Purpose, access_patient, access_patient_record
from records.errors import RecordAccessDenied, RecordNotFound
from records.models import FamilyMember, Patient, Report


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
    clinician = request.user.has_role(Role.DOCTOR) or request.user.has_role(Role.NURSE)
    chart = selectors.patient_chart(patient=patient, viewer=request.user if request.user.has_role(Role.DOCTOR) else None)
    template = "records/chart.html" if clinician else "records/my_record.html"
    return render(request, template, {"patient": patient, "chart": chart})


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
    if patient is None or not request.user.is_hospital_staff:
        raise Http404
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


