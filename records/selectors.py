from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import NotFound
from records.models import (
    AccessLog,
    Allergy,
    Diagnosis,
    Encounter,
    EncounterStatus,
    FamilyMember,
    Order,
    OrderStatus,
    Patient,
    Prescription,
    Problem,
    ProblemStatus,
    Report,
    ResultItem,
)

MAX_PRESCRIPTION_DAYS = 365  # prescription_create refuses longer courses


def family_member_list(*, account: User) -> QuerySet[FamilyMember]:
    return FamilyMember.objects.filter(account=account).select_related("patient").order_by("created_at", "id")


def access_family_member(*, account: User, public_id) -> FamilyMember:
    """The family list entry `public_id` if it is on `account`'s list; otherwise NotFound, so other
    accounts' entries cannot even be confirmed to exist."""
    try:
        return family_member_list(account=account).get(public_id=public_id)
    except (FamilyMember.DoesNotExist, ValueError):
        raise NotFound(_("This person is not on your list.")) from None


# --- The clinical record ---------------------------------------------------------------------------------------
# Reads only: the caller has already been through records.access (which wrote the audit row). Each selector
# runs a fixed number of queries whatever the size of the record (tests/records/test_encounters_chart.py).

CHART_RESULTS = 50
CHART_REPORTS = 20
CHART_ENCOUNTERS = 50


def encounter_list(*, patient: Patient, viewer: User | None = None, current_only: bool = True) -> QuerySet[Encounter]:
    """The patient's notes, newest first, with their diagnoses (two queries).

    Signed notes, and the drafts `viewer` is writing: a draft is nobody else's business until it is signed.
    With ``current_only`` the latest signed version of each record (a signed note whose amendment is still a
    draft stays current for everyone but the amending doctor, who sees both)."""
    visible = Q(status=EncounterStatus.SIGNED)
    if viewer is not None:
        visible |= Q(author=viewer)
    encounters = (Encounter.objects.filter(visible, patient=patient)
                  .select_related("patient", "author", "signed_by", "amends")
                  .prefetch_related("diagnoses").order_by("-started_at", "-version"))
    if current_only:
        encounters = encounters.exclude(amended_by__status=EncounterStatus.SIGNED)
    return encounters


def encounter_versions(*, encounter: Encounter) -> QuerySet[Encounter]:
    """Every version of the note `encounter` belongs to, oldest first."""
    return (Encounter.objects.filter(record_id=encounter.record_id).select_related("author", "signed_by", "amends")
            .prefetch_related("diagnoses", "prescriptions__drug").order_by("version"))


def encounter_get(*, public_id) -> Encounter | None:
    try:
        return (Encounter.objects.select_related("patient", "author", "signed_by", "amends")
                .prefetch_related("diagnoses", "prescriptions__drug").get(public_id=public_id))
    except (Encounter.DoesNotExist, ValueError, TypeError, ValidationError):
        return None


def note_get(*, public_id) -> Encounter | None:
    """One note with everything its page shows: diagnoses, prescriptions with their drugs, orders (four queries)."""
    try:
        return (Encounter.objects.select_related("patient", "author", "signed_by", "amends")
                .prefetch_related("diagnoses", "prescriptions__drug", "orders").get(public_id=public_id))
    except (Encounter.DoesNotExist, ValueError, TypeError, ValidationError):
        return None


def note_versions(*, encounter: Encounter, viewer: User) -> list[Encounter]:
    """The versions of `encounter`'s note that `viewer` may see (signed ones and their own draft), oldest first."""
    return list(Encounter.objects.filter(Q(status=EncounterStatus.SIGNED) | Q(author=viewer), record_id=encounter.record_id)
                .select_related("author", "signed_by").order_by("version"))


def _running(prescription: Prescription, today: date) -> bool:
    return timezone.localdate(prescription.prescribed_at) + timedelta(days=prescription.duration_days) > today


def current_medications(*, patient: Patient, today: date | None = None, viewer: User | None = None) -> list[Prescription]:
    """Prescriptions still running today (prescribed on or after today − duration), newest first; one query.
    Those of signed notes, and of the drafts `viewer` is writing: an unsigned prescription is not yet an order
    for anyone else (the patient would otherwise read medicines a doctor is still deciding on)."""
    today = today or timezone.localdate()
    since = timezone.now() - timedelta(days=MAX_PRESCRIPTION_DAYS)
    visible = Q(encounter__status=EncounterStatus.SIGNED)
    if viewer is not None:
        visible |= Q(encounter__author=viewer)
    prescriptions = (Prescription.objects.filter(visible, patient=patient, prescribed_at__gte=since)
                     .select_related("drug", "encounter", "prescribed_by").order_by("-prescribed_at", "id"))
    return [p for p in prescriptions if _running(p, today)]


# --- The patient's record as documents (records.pdf) ----------------------------------------------------------
# Signed content only: drafts are nobody's business but their author's until signed. One query each (two for
# visits), whatever the size of the record.


def signed_visits(*, patient: Patient) -> list[Encounter]:
    """The current version of each signed note, newest first, with diagnoses and prescriptions."""
    return list(encounter_list(patient=patient).prefetch_related("prescriptions__drug"))


def signed_diagnoses(*, patient: Patient) -> list[Diagnosis]:
    return list(Diagnosis.objects.filter(encounter__patient=patient, encounter__status=EncounterStatus.SIGNED)
                .exclude(encounter__amended_by__status=EncounterStatus.SIGNED)
                .select_related("encounter").order_by("-encounter__started_at", "rank", "id"))


def problem_list(*, patient: Patient) -> list[Problem]:
    return list(Problem.objects.filter(patient=patient).order_by("status", "-recorded_at", "id"))


def signed_prescriptions(*, patient: Patient, today: date | None = None) -> list[tuple[Prescription, bool]]:
    """Every prescription of a signed note, newest first, each with whether it is still running today."""
    today = today or timezone.localdate()
    prescriptions = (Prescription.objects.filter(patient=patient, encounter__status=EncounterStatus.SIGNED)
                     .select_related("drug", "encounter", "prescribed_by").order_by("-prescribed_at", "id"))
    return [(p, _running(p, today)) for p in prescriptions]


def result_list(*, patient: Patient) -> list[ResultItem]:
    return list(ResultItem.objects.filter(patient=patient).select_related("order").order_by("-observed_at", "loinc_code", "id"))


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # encounter, result, report, order
    item: object


@dataclass(frozen=True)
class Chart:
    patient: Patient
    allergies: list[Allergy]
    problems: list[Problem]
    encounters: list[Encounter]
    medications: list[Prescription]
    results: list[ResultItem]
    reports: list[Report]
    orders: list[Order]

    @property
    def abnormal_results(self) -> list[ResultItem]:
        return [r for r in self.results if r.flag]

    @property
    def timeline(self) -> list[TimelineEntry]:
        entries = [TimelineEntry(e.started_at, "encounter", e) for e in self.encounters]
        entries += [TimelineEntry(r.observed_at, "result", r) for r in self.results]
        entries += [TimelineEntry(r.issued_at, "report", r) for r in self.reports]
        entries += [TimelineEntry(o.ordered_at, "order", o) for o in self.orders]
        return sorted(entries, key=lambda entry: entry.at, reverse=True)


def patient_chart(*, patient: Patient, viewer: User | None = None) -> Chart:
    """Everything the chart shows on one screen: allergy banner, active problems, recent notes with their
    diagnoses, current medicines, recent results (abnormal ones flagged), reports and open orders.
    Eight queries, whatever the size of the record."""
    return Chart(
        patient=patient,
        allergies=list(Allergy.objects.filter(patient=patient, is_active=True).order_by("substance")),
        problems=list(Problem.objects.filter(patient=patient, status=ProblemStatus.ACTIVE).order_by("-recorded_at")),
        encounters=list(encounter_list(patient=patient, viewer=viewer)[:CHART_ENCOUNTERS]),
        medications=current_medications(patient=patient, viewer=viewer),
        results=list(ResultItem.objects.filter(patient=patient).select_related("order")
                     .order_by("-observed_at", "loinc_code", "id")[:CHART_RESULTS]),
        reports=list(Report.objects.filter(patient=patient).order_by("-issued_at", "id")[:CHART_REPORTS]),
        orders=list(Order.objects.filter(patient=patient, status=OrderStatus.ORDERED).select_related("encounter")
                    .order_by("-ordered_at")),
    )


def access_log_for_patient(*, patient: Patient, limit: int = 200, with_actor: bool = False) -> QuerySet[AccessLog]:
    """Who has looked at this patient's record ("who has viewed my record"): reads, writes and emergency accesses
    by staff, newest first (the patient's and guardians' own looks are left out). Pages show role, department,
    time and purpose; not the staff member's name."""
    entries = AccessLog.objects.filter(patient=patient, action__in=["read", "break_glass", "write"]).exclude(purpose="self")
    if with_actor:
        entries = entries.select_related("actor")
    return entries.order_by("-at", "-id")[:limit]
