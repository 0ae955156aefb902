"""The doctor's pages that write the record: a new note (from the chart, or from the queue console linked to
the appointment), the note page (draft: text, ICD-10 diagnoses, prescriptions from the formulary with the
allergy warning, lab and exam orders, signing; signed: read-only, its versions, and amending), and the
ICD-10 search behind the diagnosis field.

Every page view is one records.access call, so one audit row; a refused one writes its 'refused' row. A write
is checked with ``write=True`` (logs nothing) and then done by a records.services function (which logs the
'write' row); when a write fails and the page is shown again with the errors beside the fields, that showing
is a read and is logged as one.
"""

import uuid
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import Role
from core.errors import ApplicationError, ValidationFailed
from records import care, selectors, services
from records.access import AuditContext, Purpose, access_log_write, access_patient_record, acting_role
from records.coding import icd10_search
from records.errors import AllergyConflictError, RecordAccessDenied, RecordNotFound
from records.models import (
    AccessAction,
    Allergy,
    DiagnosisRank,
    Drug,
    Encounter,
    EncounterStatus,
    Patient,
)
from records.note_forms import AmendForm, DiagnosisForm, EncounterForm, OrderForm, PrescriptionForm
from records.record_views import _denied
from records.services.encounters import allergy_warning_text


class _Refused(Exception):
    """Raised by the access helpers below with the page to answer (the refusal is already logged)."""

    def __init__(self, response: HttpResponse):
        self.response = response


def record_page(view: Callable) -> Callable:
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Refused as refused:
            return refused.response
    return wrapper


def _access(request, patient: Patient, *, object_type: str, object_id: str = "", write: bool = False) -> None:
    try:
        access_patient_record(user=request.user, patient=patient, purpose=Purpose.CARE, request=request, write=write,
                              object_type=object_type, object_id=object_id)
    except RecordNotFound:
        raise Http404 from None
    except RecordAccessDenied as exc:
        raise _Refused(_denied(request, exc, patient)) from None


def _note(request, public_id, *, write: bool = False, object_type: str = "encounter") -> Encounter:
    """The note, through the access check of its patient (a read is logged, a refusal too). A draft is its
    author's alone until signed: to anyone else it does not exist (404), and the attempt is logged."""
    encounter = selectors.note_get(public_id=public_id)
    if encounter is None:
        raise Http404
    if encounter.status == EncounterStatus.DRAFT and encounter.author_id != request.user.pk:
        access_log_write(user=request.user, role=acting_role(request.user), patient=encounter.patient,
                         action=AccessAction.REFUSED, object_type=object_type, object_id=str(encounter.public_id),
                         purpose=Purpose.CARE, reason="draft of another doctor", audit=AuditContext.from_request(request))
        raise Http404
    _access(request, encounter.patient, object_type=object_type, object_id=str(encounter.public_id), write=write)
    return encounter


def _post_or_back_to_note(view: Callable) -> Callable:
    """The note's write actions answer POST. A GET (the address bar after a refused write shows the action's
    URL, and a reload or the language switch then asks for it) goes back to the note instead of a 405."""
    @wraps(view)
    def wrapper(request, public_id, *args, **kwargs):
        if request.method != "POST":
            return redirect("records:note", public_id=public_id)
        return view(request, public_id, *args, **kwargs)
    return wrapper


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _audit(request) -> AuditContext:
    return AuditContext.from_request(request)


# --- Starting a note ------------------------------------------------------------------------------------


@record_page
@require_GET
def open_chart(request):
    """"Open chart" on the queue console: the chart of the ticket's patient, remembering the appointment so
    that a note started there is linked to it."""
    consultation = care.consultation_for_ticket(user=request.user, ticket_public_id=_uuid_or_none(request.GET.get("ticket")))
    if consultation is None:
        raise Http404
    url = reverse("records:patient_record", args=[consultation.patient_public_id])
    if consultation.appointment_public_id:
        url += f"?appointment={consultation.appointment_public_id}"
    return redirect(url)


@record_page
@require_http_methods(["GET", "POST"])
def note_new(request, public_id):
    """A new note for the patient, saved as a draft of the signed-in doctor."""
    patient = Patient.objects.filter(public_id=public_id).first()
    if patient is None:
        raise Http404
    _access(request, patient, object_type="encounter", object_id=str(patient.public_id), write=True)
    form = EncounterForm(request.POST or None, initial={"appointment": _uuid_or_none(request.GET.get("appointment"))})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                encounter = services.encounter_create(patient=patient, author=request.user, audit=_audit(request),
                                                      appointment_public_id=_uuid_or_none(form.cleaned_data["appointment"]),
                                                      **form.note())
            except ApplicationError as exc:
                form.apply_service_errors(exc, renames={"appointment": "__all__"})
            else:
                messages.success(request, _("Draft saved. Add the diagnoses and medicines, then sign."))
                return redirect("records:note", public_id=encounter.public_id)
        status = 400
    _access(request, patient, object_type="encounter_form", object_id=str(patient.public_id))
    allergies = list(Allergy.objects.filter(patient=patient, is_active=True).order_by("substance"))
    return render(request, "records/note_new.html", {"patient": patient, "form": form, "view_chart": {"allergies": allergies},
                                                     "appointment": form["appointment"].value()}, status=status)


# --- The note page ----------------------------------------------------------------------------------------


def _formulary(patient: Patient, allergies: list[Allergy]) -> list[tuple[Drug, str]]:
    """Every drug of the formulary with the allergy warning it raises for this patient (one query)."""
    return [(drug, allergy_warning_text(allergies=allergies, drug=drug))
            for drug in Drug.objects.filter(is_active=True).order_by("name", "strength")]


def _render_note(request, encounter: Encounter, *, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    allergies = list(Allergy.objects.filter(patient=encounter.patient, is_active=True).order_by("substance"))
    versions = selectors.note_versions(encounter=encounter, viewer=user)
    later = next((v for v in versions if v.amends_id == encounter.pk), None)
    editable = encounter.status == EncounterStatus.DRAFT and encounter.author_id == user.pk
    context = {
        "encounter": encounter, "patient": encounter.patient, "allergies": allergies, "chart": {"allergies": allergies},
        "versions": versions, "later": later, "editable": editable,
        "can_amend": encounter.is_signed and later is None and user.has_role(Role.DOCTOR),
        "diagnoses": list(encounter.diagnoses.all()), "prescriptions": list(encounter.prescriptions.all()),
        "orders": list(encounter.orders.all()), "page_errors": forms.get("page_errors", []),
        "not_saved": forms.get("not_saved", False),
    }
    if editable:
        has_primary = any(d.rank == DiagnosisRank.PRIMARY for d in context["diagnoses"])
        context["note_form"] = forms.get("note_form") or EncounterForm(
            initial={name: getattr(encounter, name) for name in Encounter.CLINICAL_FIELDS})
        context["diagnosis_form"] = forms.get("diagnosis_form") or DiagnosisForm(
            initial={"rank": DiagnosisRank.SECONDARY if has_primary else DiagnosisRank.PRIMARY})
        context["prescription_form"] = forms.get("prescription_form") or PrescriptionForm(
            drugs=_formulary(encounter.patient, allergies), initial={"route": "oral", "frequency": "tid",
                                                                     "duration_days": 3, "quantity": 1})
        context["order_form"] = forms.get("order_form") or OrderForm()
        context["sign_errors"] = forms.get("sign_errors", [])
        context["allergy_conflict"] = forms.get("allergy_conflict", "")
    elif context["can_amend"]:
        context["amend_form"] = forms.get("amend_form") or AmendForm()
    return render(request, "records/note.html", context, status=status)


def _redisplay(request, encounter: Encounter, *, status: int, **forms) -> HttpResponse:
    """The note page again after a refused write, with the errors beside the fields. Showing it is a read."""
    encounter = selectors.note_get(public_id=encounter.public_id)
    _access(request, encounter.patient, object_type="encounter", object_id=str(encounter.public_id))
    return _render_note(request, encounter, status=status, not_saved=True, **forms)


@record_page
@require_GET
def note_detail(request, public_id):
    return _render_note(request, _note(request, public_id))


def _write(request, encounter: Encounter, form, do: Callable[[dict], object], *, form_name: str, success: str,
           next_url: str | None = None) -> HttpResponse:
    """Validate `form`, call the service through `do`, and go back to the note; or show the errors."""
    extra = {}
    status = 400
    if form.is_valid():
        try:
            done = do(form.cleaned_data)
        except AllergyConflictError as exc:
            form.add_error("allergy_override_reason", _("State why you prescribe it despite the allergy, or choose "
                                                        "another medicine."))
            extra["allergy_conflict"] = exc.extra.get("warning", exc.message)
            status = exc.http_status
        except ValidationFailed as exc:
            form.apply_service_errors(exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            status = exc.http_status
        else:
            messages.success(request, success)
            return redirect(next_url or reverse("records:note", args=[getattr(done, "public_id", encounter.public_id)]))
    return _redisplay(request, encounter, status=status, **{form_name: form}, **extra)


@record_page
@_post_or_back_to_note
def note_save(request, public_id):
    """Save the draft's text; with ``action=sign`` also sign it (so nothing typed is lost on signing)."""
    encounter = _note(request, public_id, write=True)
    form = EncounterForm(request.POST)
    signing = request.POST.get("action") == "sign"
    if not form.is_valid():
        return _redisplay(request, encounter, status=400, note_form=form)
    try:
        encounter = services.encounter_update(encounter=encounter, by=request.user, audit=_audit(request), **form.note())
    except ValidationFailed as exc:
        form.apply_service_errors(exc)
        return _redisplay(request, encounter, status=400, note_form=form)
    except ApplicationError as exc:  # signed meanwhile, or not the author: nothing is changed
        form.add_error(None, exc.message)
        return _redisplay(request, encounter, status=exc.http_status, note_form=form, page_errors=[exc.message])
    if not signing:
        messages.success(request, _("Draft saved."))
        return redirect("records:note", public_id=encounter.public_id)
    try:
        services.encounter_sign(encounter=encounter, by=request.user, audit=_audit(request))
    except ValidationFailed as exc:
        errors = dict(exc.errors)
        for message in errors.pop("chief_complaint", []):
            form.add_error("chief_complaint", message)
        return _redisplay(request, encounter, status=400, note_form=form,
                          sign_errors=[exc.message, *(m for ms in errors.values() for m in ms)])
    except ApplicationError as exc:
        return _redisplay(request, encounter, status=exc.http_status, note_form=form, sign_errors=[exc.message])
    messages.success(request, _("The note is signed. It can no longer be changed; amend it if needed."))
    return redirect("records:note", public_id=encounter.public_id)


@record_page
@_post_or_back_to_note
def diagnosis_add(request, public_id):
    encounter = _note(request, public_id, write=True, object_type="diagnosis")
    return _write(request, encounter, DiagnosisForm(request.POST), form_name="diagnosis_form",
                  success=_("Diagnosis added."), next_url=reverse("records:note", args=[encounter.public_id]) + "#diagnoses",
                  do=lambda data: services.diagnosis_add(encounter=encounter, code=data["code"], rank=data["rank"],
                                                         note=data["note"], by=request.user, audit=_audit(request)))


@record_page
@_post_or_back_to_note
def diagnosis_remove(request, public_id, diagnosis_id):
    encounter = _note(request, public_id, write=True, object_type="diagnosis")
    diagnosis = next((d for d in encounter.diagnoses.all() if d.public_id == diagnosis_id), None)
    if diagnosis is None:
        raise Http404
    try:
        services.diagnosis_remove(diagnosis=diagnosis, by=request.user, audit=_audit(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Diagnosis removed."))
    return redirect(reverse("records:note", args=[encounter.public_id]) + "#diagnoses")


@record_page
@_post_or_back_to_note
def prescription_add(request, public_id):
    encounter = _note(request, public_id, write=True, object_type="prescription")
    allergies = list(Allergy.objects.filter(patient=encounter.patient, is_active=True).order_by("substance"))
    form = PrescriptionForm(request.POST, drugs=_formulary(encounter.patient, allergies))

    def prescribe(data):
        drug = Drug.objects.filter(public_id=data["drug"], is_active=True).first()
        if drug is None:
            raise ValidationFailed(errors={"drug": [_("This drug is not in the formulary. Choose another.")]})
        return services.prescription_create(
            encounter=encounter, drug=drug, dose_amount=data["dose_amount"], dose_unit=data["dose_unit"],
            route=data["route"], frequency=data["frequency"], duration_days=data["duration_days"],
            quantity=data["quantity"], instructions=data["instructions"],
            allergy_override_reason=data["allergy_override_reason"], by=request.user, audit=_audit(request))

    return _write(request, encounter, form, prescribe, form_name="prescription_form", success=_("Medicine prescribed."),
                  next_url=reverse("records:note", args=[encounter.public_id]) + "#prescriptions")


@record_page
@_post_or_back_to_note
def order_add(request, public_id):
    encounter = _note(request, public_id, write=True, object_type="order")
    return _write(request, encounter, OrderForm(request.POST), form_name="order_form", success=_("Order placed."),
                  next_url=reverse("records:note", args=[encounter.public_id]) + "#orders",
                  do=lambda data: services.order_create(patient=encounter.patient, encounter=encounter, by=request.user,
                                                        kind=data["kind"], name=data["name"], code=data["code"],
                                                        note=data["note"], audit=_audit(request)))


@record_page
@_post_or_back_to_note
def note_amend(request, public_id):
    """Open an amendment of a signed note: a new draft version; the signed one stays as it is."""
    encounter = _note(request, public_id, write=True)
    return _write(request, encounter, AmendForm(request.POST), form_name="amend_form",
                  success=_("Amendment opened as a new version. Change what needs changing, then sign it."),
                  do=lambda data: services.encounter_amend(encounter=encounter, by=request.user, reason=data["reason"],
                                                           audit=_audit(request)))


# --- ICD-10 search as you type ------------------------------------------------------------------------------


@login_required
@require_GET
def icd10_lookup(request):
    """Codes for the diagnosis field's list: ``[{"code", "title"}]``, titles in the user's language where we have
    them. Staff only; reads no patient data, so nothing to log."""
    if not request.user.is_hospital_staff:
        raise Http404
    entries = icd10_search(request.GET.get("q", ""), limit=20)
    return JsonResponse({"results": [{"code": e.code, "title": e.title} for e in entries]})
