"""FHIR R4 import: create the records a Bundle describes, once (see records.fhir)."""


import base64
import binascii
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import Conflict, ValidationFailed
from records.access import AuditContext, access_log_write, acting_role
from records.coding import icd10_check, loinc_check, ucum_check
from records.errors import FhirBundleInvalid, UploadRefused
from records.fhir.systems import (
    ALLERGY_CLINICAL,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    ICD10,
    IMPORT_NAMESPACE,
    LOINC,
    ROUTE_SNOMED,
    SNOMED,
    SUPPORTED,
    extension_url,
    system_uri,
)
from records.models import (
    AccessAction,
    Allergy,
    AllergySeverity,
    Diagnosis,
    DiagnosisRank,
    Drug,
    DrugForm,
    Encounter,
    EncounterStatus,
    Frequency,
    Order,
    OrderKind,
    OrderStatus,
    Patient,
    Prescription,
    Problem,
    ProblemStatus,
    Report,
    ResultItem,
    Route,
    Sex,
)
from records.services.results import result_flag
from records.uploads import report_file_check


@dataclass
class ImportResult:
    patient: Patient | None = None
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.existing
        target[kind] = target.get(kind, 0) + 1

    def as_dict(self) -> dict:
        return {"patient": str(self.patient.public_id) if self.patient else None,
                "created": self.created, "existing": self.existing}


class _Errors:
    def __init__(self) -> None:
        self.by_path: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.by_path.setdefault(path, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.by_path:
            raise FhirBundleInvalid(errors=self.by_path)


def _pydantic_path(location) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "bundle"


def _validate_structure(data) -> None:
    """Shape checks the R4B models cannot make (an unknown resourceType is a KeyError there), then the models."""
    errors = _Errors()
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        errors.add("resourceType", _("Send a FHIR Bundle (resourceType Bundle)."))
        errors.raise_if_any()
    if data.get("type") not in ("collection", "searchset", "transaction", "batch", "document"):
        errors.add("type", _("A Bundle of type collection (or searchset, transaction, batch, document) is expected."))
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        errors.add("entry", _("The Bundle has no entries."))
        errors.raise_if_any()
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            errors.add(f"entry[{index}].resource", _("Each entry needs a resource."))
        elif resource.get("resourceType") not in SUPPORTED:
            errors.add(f"entry[{index}].resource.resourceType",
                       _("%(type)s is not imported; supported: %(supported)s.")
                       % {"type": resource.get("resourceType") or "''", "supported": ", ".join(SUPPORTED)})
    errors.raise_if_any()

    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError as PydanticValidationError

    try:
        Bundle.model_validate(data)
    except PydanticValidationError as exc:
        for problem in exc.errors():
            errors.add(_pydantic_path(problem["loc"]), problem["msg"])
    errors.raise_if_any()


class _Reader:
    """Looks entries up by the references that point at them, and derives each one's local public id."""

    def __init__(self, entries: list[dict]) -> None:
        self.entries = entries
        self.by_reference: dict[str, int] = {}
        for index, entry in enumerate(entries):
            resource = entry["resource"]
            if entry.get("fullUrl"):
                self.by_reference[entry["fullUrl"]] = index
            if resource.get("id"):
                self.by_reference[f"{resource['resourceType']}/{resource['id']}"] = index

    def local_id(self, index: int) -> uuid.UUID:
        entry = self.entries[index]
        resource = entry["resource"]
        identifiers = resource.get("identifier") or []
        if isinstance(identifiers, dict):
            identifiers = [identifiers]
        own_kind = system_uri(resource["resourceType"].lower())
        for identifier in identifiers:
            if identifier.get("system") == own_kind:
                try:
                    return uuid.UUID(str(identifier.get("value")))
                except ValueError:
                    break
        for identifier in identifiers:
            if identifier.get("system") and identifier.get("value") and identifier["system"] != system_uri("mrn"):
                return uuid.uuid5(IMPORT_NAMESPACE, f"{identifier['system']}|{identifier['value']}")
        key = entry.get("fullUrl") or f"{resource['resourceType']}/{resource.get('id', index)}"
        return uuid.uuid5(IMPORT_NAMESPACE, key)

    def target(self, reference: dict | None, resource_type: str) -> int | None:
        if not reference or not reference.get("reference"):
            return None
        index = self.by_reference.get(reference["reference"])
        if index is None or self.entries[index]["resource"]["resourceType"] != resource_type:
            return None
        return index


def _coding(concept: dict | None, system: str) -> str:
    for coding in (concept or {}).get("coding") or []:
        if coding.get("system") == system and coding.get("code"):
            return str(coding["code"])
    return ""


def _text(concept: dict | None) -> str:
    concept = concept or {}
    if concept.get("text"):
        return str(concept["text"])
    for coding in concept.get("coding") or []:
        if coding.get("display"):
            return str(coding["display"])
    return ""


def _moment(value, *, default: datetime | None = None) -> datetime | None:
    if not value:
        return default
    moment = parse_datetime(str(value))
    if moment is None and parse_date(str(value)):
        moment = datetime.combine(parse_date(str(value)), datetime.min.time())
    if moment is None:
        return default
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _decimal(quantity: dict | None) -> Decimal | None:
    if not quantity or quantity.get("value") is None:
        return None
    try:
        return Decimal(str(quantity["value"]))
    except InvalidOperation:
        return None


def _extensions(resource: dict) -> dict[str, dict]:
    return {e.get("url"): e for e in resource.get("extension") or [] if isinstance(e, dict)}


class _Importer:
    def __init__(self, data: dict, *, by: User) -> None:
        self.reader = _Reader(data["entry"])
        self.by = by
        self.result = ImportResult()
        self.errors = _Errors()
        self.staff: dict[str, User] = {}
        self.encounters: dict[int, Encounter] = {}
        self.orders: dict[int, Order] = {}
        self.ranks: dict[int, str] = {}

    # Checking, before anything is written ---------------------------------------------------------------------

    def check(self) -> None:
        patients = [i for i, e in enumerate(self.reader.entries) if e["resource"]["resourceType"] == "Patient"]
        if len(patients) != 1:
            self.errors.add("entry", _("The Bundle must hold exactly one Patient; it holds %(n)d.") % {"n": len(patients)})
            self.errors.raise_if_any()
        self.patient_index = patients[0]
        patient = self.reader.entries[self.patient_index]["resource"]
        path = f"entry[{self.patient_index}].resource"
        if not (patient.get("name") and _name(patient)):
            self.errors.add(f"{path}.name", _("The patient's name is missing."))
        if patient.get("gender") not in Sex.values:
            self.errors.add(f"{path}.gender", _("Give the patient's gender: male, female, other or unknown."))
        if not patient.get("birthDate") or not parse_date(str(patient["birthDate"])):
            self.errors.add(f"{path}.birthDate", _("Give the patient's full date of birth (YYYY-MM-DD)."))
        for index, entry in enumerate(self.reader.entries):
            resource = entry["resource"]
            path = f"entry[{index}].resource"
            kind = resource["resourceType"]
            if kind == "Patient":
                continue
            subject = resource.get("patient") if kind == "AllergyIntolerance" else resource.get("subject")
            if self.reader.target(subject, "Patient") != self.patient_index:
                self.errors.add(f"{path}.{'patient' if kind == 'AllergyIntolerance' else 'subject'}",
                                _("Must refer to the Bundle's Patient."))
            getattr(self, f"_check_{kind.lower()}")(resource, path)
        self.errors.raise_if_any()

    def _check_code(self, path: str, check, value: str) -> None:
        try:
            check(value)
        except ValidationError as exc:
            for message in exc.messages:
                self.errors.add(path, message)

    def _check_encounter(self, resource: dict, path: str) -> None:
        if not resource.get("period", {}).get("start"):
            self.errors.add(f"{path}.period.start", _("When the patient was seen is missing."))
        for position, diagnosis in enumerate(resource.get("diagnosis") or []):
            target = self.reader.target(diagnosis.get("condition"), "Condition")
            if target is not None:
                self.ranks[target] = DiagnosisRank.PRIMARY if diagnosis.get("rank") == 1 else DiagnosisRank.SECONDARY
            elif diagnosis.get("condition"):
                self.errors.add(f"{path}.diagnosis[{position}].condition", _("Refers to no Condition in the Bundle."))

    def _check_condition(self, resource: dict, path: str) -> None:
        code = _coding(resource.get("code"), ICD10)
        category = _coding((resource.get("category") or [{}])[0], CONDITION_CATEGORY)
        if category == "encounter-diagnosis":
            if self.reader.target(resource.get("encounter"), "Encounter") is None:
                self.errors.add(f"{path}.encounter", _("An encounter diagnosis must refer to an Encounter in the Bundle."))
            if not code:
                self.errors.add(f"{path}.code", _("An encounter diagnosis needs an ICD-10 code."))
        elif not _text(resource.get("code")):
            self.errors.add(f"{path}.code", _("Describe the problem."))
        if code:
            self._check_code(f"{path}.code", icd10_check, code)

    def _check_allergyintolerance(self, resource: dict, path: str) -> None:
        if not _text(resource.get("code")):
            self.errors.add(f"{path}.code", _("Name the substance."))

    def _check_medicationrequest(self, resource: dict, path: str) -> None:
        if not _text(resource.get("medicationCodeableConcept")) and not _coding(
                resource.get("medicationCodeableConcept"), system_uri("formulary")):
            self.errors.add(f"{path}.medicationCodeableConcept", _("Name the medicine."))
        if self.reader.target(resource.get("encounter"), "Encounter") is None:
            self.errors.add(f"{path}.encounter", _("A prescription must refer to an Encounter in the Bundle."))
        dosage = (resource.get("dosageInstruction") or [{}])[0]
        dose = ((dosage.get("doseAndRate") or [{}])[0]).get("doseQuantity")
        if _decimal(dose) is None or _decimal(dose) <= 0:
            self.errors.add(f"{path}.dosageInstruction[0].doseAndRate[0].doseQuantity", _("Give the dose."))
        elif dose.get("code") or dose.get("unit"):
            self._check_code(f"{path}.dosageInstruction[0].doseAndRate[0].doseQuantity.code", ucum_check,
                             dose.get("code") or dose.get("unit"))

    def _check_servicerequest(self, resource: dict, path: str) -> None:
        if not _text(resource.get("code")) and not _coding(resource.get("code"), LOINC):
            self.errors.add(f"{path}.code", _("Name the test or examination."))
        if _coding(resource.get("code"), LOINC):
            self._check_code(f"{path}.code", loinc_check, _coding(resource.get("code"), LOINC))

    def _check_observation(self, resource: dict, path: str) -> None:
        code = _coding(resource.get("code"), LOINC)
        if not code:
            self.errors.add(f"{path}.code", _("A lab result needs its LOINC code."))
        else:
            self._check_code(f"{path}.code", loinc_check, code)
        quantity = resource.get("valueQuantity")
        if _decimal(quantity) is None:
            self.errors.add(f"{path}.valueQuantity", _("Only numeric results (valueQuantity) are imported."))
        elif quantity.get("code") or quantity.get("unit"):
            self._check_code(f"{path}.valueQuantity.code", ucum_check, quantity.get("code") or quantity.get("unit"))

    def _check_diagnosticreport(self, resource: dict, path: str) -> None:
        if not _text(resource.get("code")):
            self.errors.add(f"{path}.code", _("Give the report a title."))
        for position, form in enumerate(resource.get("presentedForm") or []):
            if form.get("data"):
                try:
                    report_file_check(content=base64.b64decode(form["data"]), claimed_type=form.get("contentType", ""))
                except (UploadRefused, binascii.Error, ValueError) as exc:
                    self.errors.add(f"{path}.presentedForm[{position}]", getattr(exc, "message", str(exc)))

    # Writing ---------------------------------------------------------------------------------------------------

    def staff_member(self, person: dict | None) -> User | None:
        """Our member of staff a reference names by our staff identifier; None for anyone else."""
        identifier = (person or {}).get("identifier") or {}
        if identifier.get("system") != system_uri("staff"):
            return None
        key = str(identifier.get("value"))
        if key not in self.staff:
            try:
                self.staff[key] = User.objects.filter(public_id=key).first()
            except ValidationError:
                self.staff[key] = None
        return self.staff[key]

    def user(self, person: dict | None) -> User:
        """Who wrote it here: our member of staff if named, else the doctor importing the Bundle."""
        return self.staff_member(person) or self.by

    def run(self) -> ImportResult:
        self._patient()
        handlers = [("Encounter", self._encounter), ("Condition", self._condition),
                    ("AllergyIntolerance", self._allergy), ("ServiceRequest", self._order),
                    ("Observation", self._observation), ("DiagnosticReport", self._report),
                    ("MedicationRequest", self._prescription)]
        for kind, handler in handlers:
            for index, entry in enumerate(self.reader.entries):
                if entry["resource"]["resourceType"] == kind:
                    handler(index, entry["resource"])
        return self.result

    def _patient(self) -> None:
        from records.services.patients import patient_create, patient_details_check

        resource = self.reader.entries[self.patient_index]["resource"]
        public_id = self.reader.local_id(self.patient_index)
        mrn = next((i.get("value") for i in resource.get("identifier") or [] if i.get("system") == system_uri("mrn")), None)
        patient = Patient.objects.filter(Q(public_id=public_id) | Q(mrn=mrn) if mrn else Q(public_id=public_id)).first()
        if patient is None:
            phone = next((t.get("value", "") for t in resource.get("telecom") or [] if t.get("system") == "phone"), "")
            try:
                details = patient_details_check(name=_name(resource), sex=resource["gender"],
                                                date_of_birth=parse_date(resource["birthDate"]),
                                                phone=phone if re.fullmatch(r"1\d{10}", phone or "") else "")
            except ValidationFailed as exc:
                raise FhirBundleInvalid(errors={f"entry[{self.patient_index}].resource.{k}": v
                                                for k, v in exc.errors.items()}) from exc
            patient = patient_create(details=details, created_by=self.by, public_id=public_id, mrn=mrn)
            self.result.count("Patient", True)
        else:
            self.result.count("Patient", False)
        self.result.patient = patient

    def _encounter(self, index: int, resource: dict) -> None:
        record_id = self.reader.local_id(index)
        existing = (Encounter.objects.filter(record_id=record_id).exclude(amended_by__isnull=False)
                    .order_by("-version").first())
        if existing is not None:
            self.encounters[index] = existing
            self.result.count("Encounter", False)
            return
        extensions = _extensions(resource)
        participant = (resource.get("participant") or [{}])[0].get("individual") or {}
        known = self.staff_member(participant)
        author = known or self.by
        external = "" if known else participant.get("display", "")
        started = _moment(resource["period"]["start"])
        signed = _moment(extensions.get(extension_url("encounter-signed-at"), {}).get("valueDateTime"), default=started)
        service = resource.get("serviceType") or {}
        appointment = extensions.get(extension_url("encounter-appointment"), {}).get("valueString")
        try:
            appointment = uuid.UUID(appointment) if appointment else None
        except ValueError:
            appointment = None
        version = (resource.get("meta") or {}).get("versionId")
        encounter = Encounter.objects.create(
            record_id=record_id, version=int(version) if str(version or "").isdigit() else 1,
            patient=self.result.patient, author=author, external_author=external[:100],
            department_code=_coding(service, system_uri("department"))[:20], department_name=_text(service)[:100],
            appointment_public_id=appointment,
            chief_complaint=_text((resource.get("reasonCode") or [{}])[0]),
            **{name: extensions.get(extension_url(f"encounter-{name}"), {}).get("valueString", "")
               for name in ("history", "examination", "assessment", "plan")},
            amendment_reason=extensions.get(extension_url("encounter-amendment-reason"), {}).get("valueString", "")[:300],
            status=EncounterStatus.SIGNED, started_at=started, signed_at=signed, signed_by=author)
        self.encounters[index] = encounter
        self.result.count("Encounter", True)

    def _condition(self, index: int, resource: dict) -> None:
        public_id = self.reader.local_id(index)
        category = _coding((resource.get("category") or [{}])[0], CONDITION_CATEGORY)
        code = _coding(resource.get("code"), ICD10)
        if category == "encounter-diagnosis":
            if Diagnosis.objects.filter(public_id=public_id).exists():
                self.result.count("Condition", False)
                return
            encounter = self.encounters[self.reader.target(resource.get("encounter"), "Encounter")]
            entry = icd10_check(code)
            if encounter.diagnoses.filter(icd10_code=entry.code).exists():
                self.result.count("Condition", False)
                return
            rank = self.ranks.get(index, DiagnosisRank.SECONDARY)
            if rank == DiagnosisRank.PRIMARY and encounter.diagnoses.filter(rank=DiagnosisRank.PRIMARY).exists():
                rank = DiagnosisRank.SECONDARY
            Diagnosis.objects.create(public_id=public_id, encounter=encounter, icd10_code=entry.code,
                                     description=entry.description[:300], rank=rank,
                                     note=((resource.get("note") or [{}])[0].get("text") or "")[:300])
        else:
            if Problem.objects.filter(public_id=public_id).exists():
                self.result.count("Condition", False)
                return
            status = _coding(resource.get("clinicalStatus"), CONDITION_CLINICAL)
            onset = _moment(resource.get("onsetDateTime"))
            resolved = _moment(resource.get("abatementDateTime"))
            Problem.objects.create(
                public_id=public_id, patient=self.result.patient, description=_text(resource.get("code"))[:300],
                icd10_code=icd10_check(code).code if code else "",
                status=ProblemStatus.ACTIVE if status in ("active", "recurrence", "relapse", "") else ProblemStatus.RESOLVED,
                onset_date=timezone.localdate(onset) if onset and resource.get("onsetDateTime", "").count("T") else (
                    parse_date(resource["onsetDateTime"][:10]) if onset else None),
                resolved_date=parse_date(resource["abatementDateTime"][:10]) if resolved else None,
                recorded_at=_moment(resource.get("recordedDate"), default=timezone.now()), recorded_by=self.by)
        self.result.count("Condition", True)

    def _allergy(self, index: int, resource: dict) -> None:
        public_id = self.reader.local_id(index)
        substance = _text(resource.get("code"))[:100]
        active = _coding(resource.get("clinicalStatus"), ALLERGY_CLINICAL) in ("active", "")
        duplicate = active and Allergy.objects.filter(patient=self.result.patient, substance__iexact=substance,
                                                      is_active=True).exists()
        if duplicate or Allergy.objects.filter(public_id=public_id).exists():
            self.result.count("AllergyIntolerance", False)
            return
        reaction = (resource.get("reaction") or [{}])[0]
        manifestation = (reaction.get("manifestation") or [{}])[0]
        severity = reaction.get("severity") if reaction.get("severity") in AllergySeverity.values else (
            AllergySeverity.SEVERE if resource.get("criticality") == "high" else AllergySeverity.MODERATE)
        Allergy.objects.create(public_id=public_id, patient=self.result.patient, substance=substance, severity=severity,
                               reaction=(manifestation.get("text") or "")[:300], is_active=active, recorded_by=self.by,
                               recorded_at=_moment(resource.get("recordedDate"), default=timezone.now()))
        self.result.count("AllergyIntolerance", True)

    def _order(self, index: int, resource: dict) -> None:
        public_id = self.reader.local_id(index)
        order = Order.objects.filter(public_id=public_id).first()
        if order is not None:
            self.orders[index] = order
            self.result.count("ServiceRequest", False)
            return
        status = {"active": OrderStatus.ORDERED, "completed": OrderStatus.COMPLETED, "revoked": OrderStatus.CANCELLED}
        kind = _coding((resource.get("category") or [{}])[0], system_uri("order-kind"))
        encounter_index = self.reader.target(resource.get("encounter"), "Encounter")
        self.orders[index] = Order.objects.create(
            public_id=public_id, patient=self.result.patient, kind=kind if kind in OrderKind.values else OrderKind.LAB,
            code=_coding(resource.get("code"), LOINC),
            name=(_text(resource.get("code")) or _coding(resource.get("code"), LOINC))[:200],
            note=((resource.get("note") or [{}])[0].get("text") or "")[:300],
            status=status.get(resource.get("status"), OrderStatus.COMPLETED),
            encounter=self.encounters.get(encounter_index) if encounter_index is not None else None,
            ordered_by=self.user(resource.get("requester")),
            ordered_at=_moment(resource.get("authoredOn"), default=timezone.now()))
        self.result.count("ServiceRequest", True)

    def _based_on(self, resource: dict) -> Order | None:
        for reference in resource.get("basedOn") or []:
            target = self.reader.target(reference, "ServiceRequest")
            if target is not None:
                return self.orders.get(target)
        return None

    def _observation(self, index: int, resource: dict) -> None:
        public_id = self.reader.local_id(index)
        if ResultItem.objects.filter(public_id=public_id).exists():
            self.result.count("Observation", False)
            return
        quantity = resource["valueQuantity"]
        normal, critical = {}, {}
        for reference_range in resource.get("referenceRange") or []:
            is_critical = _coding(reference_range.get("type"), system_uri("reference-range")) == "critical" or (
                (reference_range.get("type") or {}).get("text") == "critical")
            (critical if is_critical else normal).update(low=_decimal(reference_range.get("low")),
                                                         high=_decimal(reference_range.get("high")))
        value = _decimal(quantity)
        ResultItem.objects.create(
            public_id=public_id, patient=self.result.patient, order=self._based_on(resource),
            loinc_code=_coding(resource["code"], LOINC), name=(_text(resource["code"]) or _coding(resource["code"], LOINC))[:200],
            value=value, unit=quantity.get("code") or quantity.get("unit") or "",
            reference_low=normal.get("low"), reference_high=normal.get("high"), critical_low=critical.get("low"),
            critical_high=critical.get("high"), entered_by=self.by,
            observed_at=_moment(resource.get("effectiveDateTime"), default=timezone.now()),
            flag=result_flag(value=value, reference_low=normal.get("low"), reference_high=normal.get("high"),
                             critical_low=critical.get("low"), critical_high=critical.get("high")))
        self.result.count("Observation", True)

    def _report(self, index: int, resource: dict) -> None:
        public_id = self.reader.local_id(index)
        if Report.objects.filter(public_id=public_id).exists():
            self.result.count("DiagnosticReport", False)
            return
        kind = next((c for c in (_coding(cat, system_uri("order-kind")) for cat in resource.get("category") or []) if c), "")
        encounter_index = self.reader.target(resource.get("encounter"), "Encounter")
        performer = (resource.get("performer") or [None])[0]
        report = Report(public_id=public_id, patient=self.result.patient, order=self._based_on(resource),
                        encounter=self.encounters.get(encounter_index) if encounter_index is not None else None,
                        kind=kind if kind in OrderKind.values else OrderKind.EXAM, title=_text(resource["code"])[:200],
                        text=resource.get("conclusion") or _text(resource["code"]),
                        author=self.user(performer) if performer else self.by,
                        issued_at=_moment(resource.get("issued"), default=timezone.now()))
        form = next((f for f in resource.get("presentedForm") or [] if f.get("data")), None)
        if form is not None:
            checked = report_file_check(content=base64.b64decode(form["data"]), claimed_type=form.get("contentType", ""))
            report.file_content_type = checked.content_type
            report.file_size = checked.size
            report.file.save(f"report.{checked.extension}", ContentFile(checked.content), save=False)
        report.save()
        self.result.count("DiagnosticReport", True)

    def _drug(self, concept: dict) -> Drug:
        code = _coding(concept, system_uri("formulary"))
        drug = Drug.objects.filter(code=code).first() if code else None
        if drug is None:
            # Not in our formulary: keep what was prescribed, as an inactive entry nobody can prescribe from.
            name = _text(concept)[:200] or code
            code = code or f"import-{uuid.uuid5(IMPORT_NAMESPACE, name).hex[:12]}"
            drug, _created = Drug.objects.get_or_create(code=code[:40], defaults={
                "name": name, "form": DrugForm.OTHER, "strength": "", "unit_price": Decimal("0"), "is_active": False})
        return drug

    def _prescription(self, index: int, resource: dict) -> None:
        public_id = self.reader.local_id(index)
        if Prescription.objects.filter(public_id=public_id).exists():
            self.result.count("MedicationRequest", False)
            return
        encounter = self.encounters[self.reader.target(resource.get("encounter"), "Encounter")]
        dosage = (resource.get("dosageInstruction") or [{}])[0]
        dose = dosage["doseAndRate"][0]["doseQuantity"]
        route = _coding(dosage.get("route"), system_uri("route"))
        if route not in Route.values:
            snomed = _coding(dosage.get("route"), SNOMED)
            route = next((r for r, code in ROUTE_SNOMED.items() if code == snomed), Route.OTHER)
        frequency = _coding((dosage.get("timing") or {}).get("code"), system_uri("frequency"))
        supply = resource.get("dispenseRequest") or {}
        extensions = _extensions(resource)
        warning = extensions.get(extension_url("allergy-warning"), {}).get("valueString", "")
        Prescription.objects.create(
            public_id=public_id, encounter=encounter, patient=self.result.patient,
            drug=self._drug(resource.get("medicationCodeableConcept")), dose_amount=_decimal(dose),
            dose_unit=dose.get("code") or dose.get("unit") or "1", route=route,
            frequency=frequency if frequency in Frequency.values else Frequency.ONCE,
            duration_days=int(_decimal(supply.get("expectedSupplyDuration")) or 1),
            quantity=int(_decimal(supply.get("quantity")) or 1), instructions=(dosage.get("text") or "")[:300],
            allergy_warning=warning[:300],
            allergy_override_reason=(extensions.get(extension_url("allergy-override-reason"), {}).get("valueString", "")
                                     or ("imported" if warning else ""))[:300],
            prescribed_by=self.user(resource.get("requester")),
            prescribed_at=_moment(resource.get("authoredOn"), default=timezone.now()))
        self.result.count("MedicationRequest", True)


def _name(patient: dict) -> str:
    name = (patient.get("name") or [{}])[0]
    if name.get("text"):
        return str(name["text"]).strip()
    return (str(name.get("family") or "") + "".join(name.get("given") or [])).strip()


def bundle_import(data: dict, *, by: User, audit: AuditContext | None = None) -> ImportResult:
    """Create the records a FHIR Bundle describes, once. Everything is checked before anything is written; the
    writing is one transaction, so a Bundle is imported whole or not at all. One 'write' row in the access log."""
    _validate_structure(data)
    importer = _Importer(data, by=by)
    importer.check()
    try:
        with transaction.atomic():
            result = importer.run()
            created = sum(result.created.values())
            if created:
                access_log_write(user=by, role=acting_role(by), patient=result.patient, action=AccessAction.WRITE,
                                 object_type="fhir_bundle", object_id=str((data.get("identifier") or {}).get("value", ""))[:64],
                                 purpose="referral", reason=f"imported {created} resources", audit=audit)
    except IntegrityError as exc:  # the same Bundle posted twice at the same moment: the other one won
        raise Conflict(_("This record was being imported at the same moment. Post the Bundle again; nothing will "
                         "be duplicated.")) from exc
    return result
