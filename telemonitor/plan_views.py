"""The care team's plan pages (desk PC): enrol a patient in home monitoring, set their targets, set SpO2 Scale 2.

Each page finds the patient, then asks telemonitor.selectors.access_plan_patient (a doctor or nurse with a care
relationship, as records decides) before showing or changing anything; the writes are telemonitor.services.plans.
A refused clinician gets a 403 page saying why; an unknown patient a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError, NotFound, PermissionRefused, ValidationFailed
from records.models import Patient
from telemonitor import selectors
from telemonitor.forms import EnrolForm, Spo2ScaleForm, TargetForm
from telemonitor.models import MonitoringPlan, PatientTarget, TargetParameter
from telemonitor.services import plans as plan_services


def _refused(request, exc: ApplicationError, status: int = 403):
    return render(request, "telemonitor/refused.html", {"message": exc.message}, status=status)


def _errors_onto(form, exc: ApplicationError) -> None:
    """Put a service's field errors on the form (fields it does not have: on the form as a whole)."""
    if not exc.errors:
        form.add_error(None, exc.message)
    for name, problems in exc.errors.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


@login_required
def enrol(request):
    """Enrol a patient, chosen from the chart or the dashboard (?patient=<id>) or by their MRN."""
    try:
        selectors.clinician_check(user=request.user)
        patient = selectors.patient_by_public_id(request.GET["patient"]) if request.GET.get("patient") else None
        if patient is not None:
            selectors.access_plan_patient(user=request.user, patient=patient)
    except PermissionRefused as exc:
        return _refused(request, exc)
    except NotFound:
        raise Http404 from None
    initial = {"lead_doctor": request.user.pk} if request.user.has_role("doctor") else {}
    form = EnrolForm(request.POST or None, patient=patient, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if patient is None:
                patient = Patient.objects.filter(mrn__iexact=data["mrn"].strip()).first()
            if patient is None:
                form.add_error("mrn", _("No patient has this MRN. Check the number on the chart."))
            else:
                try:
                    selectors.access_plan_patient(user=request.user, patient=patient)
                    plan = plan_services.plan_enrol(
                        patient=patient, kind=data["kind"], lead_doctor=data["lead_doctor"], enrolled_by=request.user,
                        care_team=list(data["care_team"]), department_code=data["department_code"],
                        starts_on=data["starts_on"])
                except PermissionRefused as exc:
                    return _refused(request, exc)
                except ApplicationError as exc:
                    _errors_onto(form, exc)
                else:
                    messages.success(request, _("%(name)s is enrolled in %(plan)s monitoring.") % {
                        "name": patient.name, "plan": plan.get_kind_display()})
                    return redirect("telemonitor:plan_settings", public_id=patient.public_id)
        status = 400
    return render(request, "telemonitor/plan_enrol.html", {"form": form, "patient": patient}, status=status)


def _plan_patient(request, public_id) -> Patient:
    """The patient of a plan page, after the access check; raises Http404 or PermissionRefused."""
    try:
        patient = selectors.patient_by_public_id(public_id)
    except NotFound:
        raise Http404 from None
    return selectors.access_plan_patient(user=request.user, patient=patient)


def _settings_page(request, patient, *, target_form=None, scale_form=None, status=200):
    targets = sorted(PatientTarget.objects.filter(patient=patient).select_related("set_by"),
                     key=lambda t: TargetParameter.values.index(t.parameter))
    plans = list(MonitoringPlan.objects.filter(patient=patient).select_related("lead_doctor", "spo2_scale_set_by")
                 .order_by("ends_on", "-starts_on", "kind"))
    return render(request, "telemonitor/plan_settings.html", {
        "patient": patient, "targets": targets, "plans": plans,
        "target_form": target_form or TargetForm(),
        "scale_form": scale_form or Spo2ScaleForm(patient=patient),
    }, status=status)


@login_required
def plan_settings(request, public_id):
    try:
        patient = _plan_patient(request, public_id)
    except PermissionRefused as exc:
        return _refused(request, exc)
    return _settings_page(request, patient)


@login_required
@require_POST
def target_save(request, public_id):
    try:
        patient = _plan_patient(request, public_id)
    except PermissionRefused as exc:
        return _refused(request, exc)
    form = TargetForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            target = plan_services.target_set(patient=patient, parameter=data["parameter"], low=data["low"],
                                              high=data["high"], set_by=request.user)
        except ValidationFailed as exc:
            _errors_onto(form, exc)
        else:
            messages.success(request, _("Target saved: %(parameter)s.") % {"parameter": target.get_parameter_display()})
            return redirect("telemonitor:plan_settings", public_id=patient.public_id)
    return _settings_page(request, patient, target_form=form, status=400)


@login_required
@require_POST
def target_remove(request, public_id, parameter):
    try:
        patient = _plan_patient(request, public_id)
    except PermissionRefused as exc:
        return _refused(request, exc)
    if parameter not in TargetParameter.values:
        raise Http404
    if plan_services.target_remove(patient=patient, parameter=parameter, removed_by=request.user):
        messages.success(request, _("Target removed: %(parameter)s.") % {
            "parameter": TargetParameter(parameter).label})
    return redirect("telemonitor:plan_settings", public_id=patient.public_id)


@login_required
@require_POST
def spo2_scale_save(request, public_id):
    try:
        patient = _plan_patient(request, public_id)
    except PermissionRefused as exc:
        return _refused(request, exc)
    form = Spo2ScaleForm(request.POST, patient=patient)
    if form.is_valid():
        try:
            plan = plan_services.plan_spo2_scale_set(plan=form.cleaned_data["plan"],
                                                     scale=int(form.cleaned_data["scale"]), set_by=request.user)
        except ValidationFailed as exc:
            _errors_onto(form, exc)
        else:
            messages.success(request, _("SpO2 scale %(scale)d set for %(plan)s monitoring.") % {
                "scale": plan.spo2_scale, "plan": plan.get_kind_display()})
            return redirect("telemonitor:plan_settings", public_id=patient.public_id)
    return _settings_page(request, patient, scale_form=form, status=400)
