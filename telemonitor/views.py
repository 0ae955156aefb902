"""Home monitoring pages. Patients: my devices (pair, revoke), my readings with trends and targets, my alerts and
advice. Care team: the monitoring dashboard sorted by risk with the live alert queue, and a patient's trends."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError, NotFound, PermissionRefused
from records.models import FamilyMember, Relationship
from telemonitor import charts, selectors
from telemonitor.live import team_latest_seq
from telemonitor.models import Alert, Device, MonitoringPlan, PatientTarget, Score
from telemonitor.services import alerts as alert_services
from telemonitor.services import devices as device_services


def _own_patient(request, public_id=None):
    try:
        return selectors.access_own_patient(user=request.user, public_id=public_id or None)
    except NotFound:
        raise Http404 from None


def _charts(patient):
    targets = {t.parameter: t for t in PatientTarget.objects.filter(patient=patient)}
    return charts.trend_charts(trends=selectors.reading_trends(patient=patient), targets=targets), targets


@login_required
def mine(request):
    patient = _own_patient(request, request.GET.get("patient"))
    trend_charts, targets = _charts(patient)
    recent_alerts = list(Alert.objects.filter(patient=patient).order_by("-last_seen_at")[:10])
    for alert in recent_alerts:
        alert.advice_title, alert.advice = alert_services.advice(alert)  # in the page's language, reason included
    members = [m for m in FamilyMember.objects.filter(account=request.user).select_related("patient")
               if m.relationship == Relationship.SELF or m.is_guardian]
    return render(request, "telemonitor/mine.html", {
        "patient": patient, "members": members,
        "devices": Device.objects.filter(patient=patient, revoked_at=None).order_by("-paired_at"),
        "alerts": recent_alerts, "charts": trend_charts, "targets": targets.values(),
        "readings": selectors.recent_readings(patient=patient, limit=15),
        "book_url": alert_services.book_link(),
    })


@login_required
@require_POST
def pairing_code(request):
    patient = _own_patient(request, request.POST.get("patient"))
    code, pairing = device_services.pairing_code_create(patient=patient, created_by=request.user)
    # Shown once, on this response only: the database keeps only its hash.
    return render(request, "telemonitor/pairing_code.html", {
        "patient": patient, "code": code, "expires_at": pairing.expires_at,
        "pair_api": request.build_absolute_uri(reverse("api-telemonitor-pair")),
    })


@login_required
@require_POST
def device_revoke(request, public_id):
    try:
        device = Device.objects.select_related("patient").get(public_id=public_id, revoked_at=None)
    except (Device.DoesNotExist, ValueError):
        raise Http404 from None
    _own_patient(request, device.patient.public_id)  # the device must be one of the people this account manages
    device_services.device_revoke(device=device)
    messages.success(request, _("%(device)s is no longer paired. Its readings stay in your record.") % {
        "device": device.label or device.get_kind_display()})
    return redirect(f"{reverse('telemonitor:mine')}?patient={device.patient.public_id}")


# --- care team -------------------------------------------------------------------------------------------------

def _clinician(request):
    try:
        selectors.clinician_check(user=request.user)
    except PermissionRefused:
        raise PermissionDenied from None


@login_required
def dashboard(request):
    _clinician(request)
    leads = selectors.team_lead_ids(user=request.user)
    return render(request, "telemonitor/dashboard.html", {
        "rows": selectors.monitoring_dashboard(user=request.user),
        "alerts": selectors.alert_queue(user=request.user)[:100],
        "teams": {lead: team_latest_seq(lead) for lead in leads},
    })


@login_required
def alert_queue(request):
    """The alert queue alone: what the live page re-reads when a nudge arrives."""
    _clinician(request)
    return render(request, "telemonitor/_alert_queue.html", {"alerts": selectors.alert_queue(user=request.user)[:100]})


@login_required
def monitored_patients(request):
    """The enrolled-patients table alone, re-read with the alert queue: an alert changes its order and columns."""
    _clinician(request)
    return render(request, "telemonitor/_monitored_patients.html",
                  {"rows": selectors.monitoring_dashboard(user=request.user)})


@login_required
@require_POST
def alert_acknowledge(request, public_id):
    try:
        alert = selectors.access_team_alert(user=request.user, public_id=public_id)
    except PermissionRefused:
        raise PermissionDenied from None
    except NotFound:
        raise Http404 from None
    action = request.POST.get("action", "acknowledge")
    note = request.POST.get("note", "")[:2000]
    try:
        if action == "close":
            alert_services.alert_close(alert=alert, by=request.user, note=note)
            messages.success(request, _("Alert closed for %(name)s.") % {"name": alert.patient.name})
        else:
            alert_services.alert_acknowledge(alert=alert, by=request.user, note=note)
            messages.success(request, _("Alert acknowledged for %(name)s. It will not escalate.") % {
                "name": alert.patient.name})
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("telemonitor:dashboard")


@login_required
def clinic_patient(request, public_id):
    try:
        patient = selectors.access_clinic_patient(user=request.user, public_id=public_id)
    except PermissionRefused:
        raise PermissionDenied from None
    except NotFound:
        raise Http404 from None
    trend_charts, targets = _charts(patient)
    return render(request, "telemonitor/clinic_patient.html", {
        "patient": patient, "charts": trend_charts, "targets": targets.values(),
        "plans": MonitoringPlan.objects.filter(patient=patient).select_related("lead_doctor").order_by("-starts_on"),
        "scores": Score.objects.filter(patient=patient).order_by("-at")[:20],
        "alerts": Alert.objects.filter(patient=patient).select_related("acknowledged_by").order_by("-last_seen_at")[:20],
        "readings": selectors.recent_readings(patient=patient, limit=30),
    })
