"""Writing the clinical note: encounters (draft → signed → amended), diagnoses, the problem list,
allergies and prescriptions.

The caller has already checked, with records.access, that the user may write to this patient's record;
these services keep the clinical rules and append the 'write' row to the access log.
Locks: a draft is changed under ``select_for_update`` of its row, so two tabs cannot sign and edit at once;
the one-draft-per-record and version-once constraints decide races between two amendments.
"""

from datetime import date
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from core.errors import PermissionRefused, ValidationFailed
from records import care
from records.access import AuditContext, access_log_write, acting_role
from records.coding import icd10_check, ucum_check
from records.errors import (
    AllergyConflictError,
    EncounterNotSignedError,
    EncounterSignedError,
    EncounterSupersededError,
)
from records.models import (
    AccessAction,
    Allergy,
    AllergySeverity,
    Diagnosis,
    DiagnosisRank,
    Drug,
    Encounter,
    EncounterStatus,
    Frequency,
    Patient,
    Prescription,
    Problem,
    ProblemStatus,
    Route,
)
from records.signals import encounter_signed

NOTE_MAX_CHARS = 20_000


def _log_write(*, by: User, patient: Patient, object_type: str, object_id, audit: AuditContext | None,
               reason: str = "") -> None:
    access_log_write(user=by, role=acting_role(by), patient=patient, action=AccessAction.WRITE, object_type=object_type,
                     object_id=str(object_id), purpose="care", reason=reason, audit=audit)


def _require_doctor(user: User) -> None:
    if not user.has_role(Role.DOCTOR):
        raise PermissionRefused(_("Only doctors write and sign clinical notes."))


def _require_clinician(user: User) -> None:
    if not (user.has_role(Role.DOCTOR) or user.has_role(Role.NURSE)):
        raise PermissionRefused(_("Only doctors and nurses record this."))


def _note_fields(fields: dict) -> dict:
    unknown = set(fields) - set(Encounter.CLINICAL_FIELDS)
    if unknown:
        raise ValidationFailed(errors={name: [_("This part of the note does not exist.")] for name in sorted(unknown)})
    errors = {name: [_("At most %(n)d characters.") % {"n": NOTE_MAX_CHARS}]
              for name, value in fields.items() if len(value or "") > NOTE_MAX_CHARS}
    if errors:
        raise ValidationFailed(errors=errors)
    return {name: (value or "").strip() for name, value in fields.items()}


def encounter_create(*, patient: Patient, author: User, appointment_public_id: UUID | None = None,
                     department_code: str | None = None, department_name: str | None = None,
                     audit: AuditContext | None = None, **note: str) -> Encounter:
    """Open a draft note for `patient`, written by doctor `author`. The department defaults to the author's."""
    _require_doctor(author)
    fields = _note_fields(note)
    if appointment_public_id is not None and not care.appointment_is_with(
            appointment_public_id=appointment_public_id, patient=patient, doctor=author):
        raise ValidationFailed(errors={"appointment": [
            _("This appointment is not this patient's with you. Open the chart from your queue, or start the note "
              "without an appointment.")]})
    if department_code is None and department_name is None:
        department = care.staff_department(author)
        department_code, department_name = department.code, department.name
    with transaction.atomic():
        encounter = Encounter.objects.create(
            patient=patient, author=author, appointment_public_id=appointment_public_id,
            department_code=(department_code or "")[:20], department_name=(department_name or "")[:100], **fields)
        _log_write(by=author, patient=patient, object_type="encounter", object_id=encounter.public_id, audit=audit)
    return encounter


def _locked_draft(encounter: Encounter, *, by: User) -> Encounter:
    encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
    if encounter.is_signed:
        raise EncounterSignedError()
    if encounter.author_id != by.pk:
        raise PermissionRefused(_("Only the doctor who wrote this draft can change or sign it."))
    return encounter


def encounter_update(*, encounter: Encounter, by: User, audit: AuditContext | None = None, **note: str) -> Encounter:
    """Change a draft. A signed note is refused (EncounterSignedError): amend it instead."""
    fields = _note_fields(note)
    with transaction.atomic():
        encounter = _locked_draft(encounter, by=by)
        for name, value in fields.items():
            setattr(encounter, name, value)
        encounter.save(update_fields=[*fields, "updated_at"])
        _log_write(by=by, patient=encounter.patient, object_type="encounter", object_id=encounter.public_id, audit=audit)
    return encounter


def encounter_sign(*, encounter: Encounter, by: User, audit: AuditContext | None = None) -> Encounter:
    """Sign the draft: from now on it is final. Needs a chief complaint and a primary diagnosis."""
    with transaction.atomic():
        encounter = _locked_draft(encounter, by=by)
        errors = {}
        if not encounter.chief_complaint:
            errors["chief_complaint"] = [_("Write the chief complaint before signing.")]
        if not encounter.diagnoses.filter(rank=DiagnosisRank.PRIMARY).exists():
            errors["diagnoses"] = [_("Add the primary diagnosis before signing.")]
        if errors:
            raise ValidationFailed(_("The note is not complete enough to sign."), errors=errors)
        encounter.status = EncounterStatus.SIGNED
        encounter.signed_at = timezone.now()
        encounter.signed_by = by
        encounter.save(update_fields=["status", "signed_at", "signed_by", "updated_at"])
        _log_write(by=by, patient=encounter.patient, object_type="encounter", object_id=encounter.public_id, audit=audit,
                   reason="signed")
        signed = encounter
        transaction.on_commit(lambda: encounter_signed.send(sender=Encounter, encounter=signed, by=by))
    return encounter


def encounter_amend(*, encounter: Encounter, by: User, reason: str, audit: AuditContext | None = None) -> Encounter:
    """Open an amendment of a signed note: a new draft version (its text and diagnoses copied) that `by`
    edits and signs. The amended version is never touched and stays readable."""
    _require_doctor(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(errors={"reason": [_("Say why the note needs to be amended.")]})
    with transaction.atomic():
        current = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if not current.is_signed:
            raise EncounterNotSignedError()
        if Encounter.objects.filter(amends=current).exists():
            raise EncounterSupersededError()
        amendment = Encounter(
            record_id=current.record_id, version=current.version + 1, amends=current, amendment_reason=reason[:300],
            patient_id=current.patient_id, author=by, department_code=current.department_code,
            department_name=current.department_name, appointment_public_id=current.appointment_public_id,
            started_at=current.started_at, **{name: getattr(current, name) for name in Encounter.CLINICAL_FIELDS})
        try:
            with transaction.atomic():
                amendment.save()
        except IntegrityError as exc:  # another amendment of this record was opened at the same moment
            raise EncounterSupersededError() from exc
        Diagnosis.objects.bulk_create([
            Diagnosis(encounter=amendment, icd10_code=d.icd10_code, description=d.description, rank=d.rank, note=d.note)
            for d in current.diagnoses.all()])
        _log_write(by=by, patient=current.patient, object_type="encounter", object_id=amendment.public_id, audit=audit,
                   reason=f"amends version {current.version}: {reason}")
    return amendment


def diagnosis_add(*, encounter: Encounter, code: str, by: User, rank: str | None = None, note: str = "",
                  audit: AuditContext | None = None) -> Diagnosis:
    """Add an ICD-10 diagnosis to a draft. The first is primary unless said otherwise; a new primary makes
    the previous one secondary (one primary per note, also a database constraint)."""
    try:
        entry = icd10_check(code)
    except ValidationError as exc:
        raise ValidationFailed(errors={"code": exc.messages}) from None
    if rank is not None and rank not in DiagnosisRank.values:
        raise ValidationFailed(errors={"rank": [_("Choose primary or secondary.")]})
    with transaction.atomic():
        encounter = _locked_draft(encounter, by=by)
        existing = list(encounter.diagnoses.all())
        if any(d.icd10_code == entry.code for d in existing):
            raise ValidationFailed(errors={"code": [_("%(code)s is already on this note.") % {"code": entry.code}]})
        has_primary = any(d.rank == DiagnosisRank.PRIMARY for d in existing)
        rank = rank or (DiagnosisRank.SECONDARY if has_primary else DiagnosisRank.PRIMARY)
        if rank == DiagnosisRank.PRIMARY and has_primary:
            encounter.diagnoses.filter(rank=DiagnosisRank.PRIMARY).update(rank=DiagnosisRank.SECONDARY)
        diagnosis = Diagnosis.objects.create(encounter=encounter, icd10_code=entry.code, description=entry.description[:300],
                                             rank=rank, note=(note or "").strip()[:300])
        _log_write(by=by, patient=encounter.patient, object_type="diagnosis", object_id=diagnosis.public_id, audit=audit)
    return diagnosis


def diagnosis_remove(*, diagnosis: Diagnosis, by: User, audit: AuditContext | None = None) -> None:
    with transaction.atomic():
        encounter = _locked_draft(diagnosis.encounter, by=by)
        _log_write(by=by, patient=encounter.patient, object_type="diagnosis", object_id=diagnosis.public_id, audit=audit,
                   reason="removed")
        diagnosis.delete()


def problem_record(*, patient: Patient, description: str, by: User, icd10_code: str = "", onset_date: date | None = None,
                   audit: AuditContext | None = None) -> Problem:
    _require_doctor(by)
    description = (description or "").strip()
    errors = {}
    if not description:
        errors["description"] = [_("Describe the problem.")]
    elif len(description) > 300:
        errors["description"] = [_("At most %(n)d characters.") % {"n": 300}]
    if icd10_code:
        try:
            icd10_code = icd10_check(icd10_code).code
        except ValidationError as exc:
            errors["icd10_code"] = exc.messages
    if onset_date and onset_date > timezone.localdate():
        errors["onset_date"] = [_("The onset cannot be in the future.")]
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        problem = Problem.objects.create(patient=patient, description=description, icd10_code=icd10_code,
                                         onset_date=onset_date, recorded_by=by)
        _log_write(by=by, patient=patient, object_type="problem", object_id=problem.public_id, audit=audit)
    return problem


def problem_resolve(*, problem: Problem, by: User, resolved_date: date | None = None,
                    audit: AuditContext | None = None) -> Problem:
    _require_doctor(by)
    with transaction.atomic():
        problem = Problem.objects.select_for_update().get(pk=problem.pk)
        problem.status = ProblemStatus.RESOLVED
        problem.resolved_date = resolved_date or timezone.localdate()
        problem.save(update_fields=["status", "resolved_date"])
        _log_write(by=by, patient=problem.patient, object_type="problem", object_id=problem.public_id, audit=audit,
                   reason="resolved")
    return problem


def allergy_record(*, patient: Patient, substance: str, severity: str, by: User, reaction: str = "",
                   audit: AuditContext | None = None) -> Allergy:
    """Record an allergy (doctors and nurses). The same substance is recorded once while active."""
    _require_clinician(by)
    substance = (substance or "").strip()
    errors = {}
    if not substance:
        errors["substance"] = [_("Name the substance, for example penicillin or 青霉素.")]
    elif len(substance) > 100:
        errors["substance"] = [_("At most %(n)d characters.") % {"n": 100}]
    if severity not in AllergySeverity.values:
        errors["severity"] = [_("Choose mild, moderate or severe.")]
    if errors:
        raise ValidationFailed(errors=errors)
    duplicate = ValidationFailed(errors={"substance": [_("An allergy to %(substance)s is already recorded.")
                                                      % {"substance": substance}]})
    if Allergy.objects.filter(patient=patient, substance__iexact=substance, is_active=True).exists():
        raise duplicate
    try:
        with transaction.atomic():
            allergy = Allergy.objects.create(patient=patient, substance=substance, severity=severity,
                                             reaction=(reaction or "").strip()[:300], recorded_by=by)
            _log_write(by=by, patient=patient, object_type="allergy", object_id=allergy.public_id, audit=audit)
    except IntegrityError as exc:  # recorded by someone else a moment ago
        raise duplicate from exc
    return allergy


def _terms(text: str) -> list[str]:
    return [part.strip().casefold() for part in text.replace("，", ",").split(",") if part.strip()]


def prescription_allergy_warning(*, patient: Patient, drug: Drug) -> str:
    """The active allergies `drug` may trigger, as a sentence; "" if none.

    A match is the allergy's substance and the drug's name, generic name or one of its allergy classes
    containing one another, ignoring case ("Penicillin" matches the class "penicillin" of amoxicillin;
    "青霉素" matches "青霉素类").
    """
    return allergy_warning_text(allergies=Allergy.objects.filter(patient=patient, is_active=True).order_by("substance"),
                                drug=drug)


def allergy_warning_text(*, allergies, drug: Drug) -> str:
    """The warning for `drug` against these (already loaded) active allergies; "" if none matches. No query:
    the prescribing page runs it for every drug of the formulary against one list of allergies."""
    drug_terms = _terms(drug.name) + _terms(drug.generic_name) + _terms(drug.allergy_classes)
    matches = []
    for allergy in allergies:
        substance = allergy.substance.casefold()
        if len(substance) >= 2 and any(substance in term or term in substance for term in drug_terms if len(term) >= 2):
            matches.append(f"{allergy.substance} ({allergy.get_severity_display()})")
    if not matches:
        return ""
    return _("Recorded allergy: %(allergies)s.") % {"allergies": ", ".join(matches)}


def prescription_create(*, encounter: Encounter, drug: Drug, dose_amount: Decimal, dose_unit: str, route: str,
                        frequency: str, duration_days: int, quantity: int, by: User, instructions: str = "",
                        allergy_override_reason: str = "", audit: AuditContext | None = None) -> Prescription:
    """Prescribe `drug` on a draft note. If it matches a recorded allergy, AllergyConflictError (409) unless
    the doctor states why they prescribe it anyway; the warning and the reason are kept on the prescription."""
    _require_doctor(by)
    errors = {}
    if not drug.is_active:
        errors["drug"] = [_("This drug is no longer in the formulary. Choose another.")]
    if dose_amount is None or Decimal(dose_amount) <= 0:
        errors["dose_amount"] = [_("Give a dose above zero.")]
    try:
        dose_unit = ucum_check(dose_unit, allow_blank=False)
    except ValidationError as exc:
        errors["dose_unit"] = exc.messages
    if route not in Route.values:
        errors["route"] = [_("Choose how the medicine is taken.")]
    if frequency not in Frequency.values:
        errors["frequency"] = [_("Choose how often.")]
    if not duration_days or duration_days < 1 or duration_days > 365:
        errors["duration_days"] = [_("Give the number of days, from 1 to 365.")]
    if not quantity or quantity < 1 or quantity > 10_000:
        errors["quantity"] = [_("Give the quantity to dispense, from 1 to 10000.")]
    if errors:
        raise ValidationFailed(errors=errors)
    override = (allergy_override_reason or "").strip()[:300]
    with transaction.atomic():
        encounter = _locked_draft(encounter, by=by)
        warning = prescription_allergy_warning(patient=encounter.patient, drug=drug)
        if warning and not override:
            raise AllergyConflictError(f"{warning} {AllergyConflictError.default_message}", extra={"warning": warning})
        prescription = Prescription.objects.create(
            encounter=encounter, patient_id=encounter.patient_id, drug=drug, dose_amount=dose_amount, dose_unit=dose_unit,
            route=route, frequency=frequency, duration_days=duration_days, quantity=quantity,
            instructions=(instructions or "").strip()[:300], allergy_warning=warning[:300],
            allergy_override_reason=override if warning else "", prescribed_by=by)
        _log_write(by=by, patient=encounter.patient, object_type="prescription", object_id=prescription.public_id,
                   audit=audit, reason=f"allergy override: {override}" if warning else "")
    return prescription
