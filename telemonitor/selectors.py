"""Reads for home monitoring, and the access checks that go with them."""

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import NotFound, PermissionRefused
from records.models import FamilyMember, Patient, Relationship
from telemonitor.models import (
    ACTIVE_ALERT_STATUSES,
    SEVERITY_RANK,
    Alert,
    AlertStatus,
    MonitoringPlan,
    PlanKind,
    Reading,
    ReadingKind,
    Risk,
    Score,
)

if TYPE_CHECKING:
    import pandas as pd


def access_own_patient(*, user: User, public_id=None) -> Patient:
    """The patient whose home devices and readings `user` manages: their own record, or a family member they look
    after (guardian). Anyone else's answers NotFound, so other people's records cannot be confirmed to exist."""
    links = FamilyMember.objects.filter(account=user).filter(Q(relationship=Relationship.SELF) | Q(is_guardian=True))
    try:
        if public_id is None:
            return Patient.objects.get(account=user)
        return Patient.objects.get(public_id=public_id, family_links__in=links)
    except (Patient.DoesNotExist, ValueError):
        raise NotFound(_("This person is not on your list, or you do not look after their records.")) from None


# --- the care team's view ----------------------------------------------------------------------------------------

def _active_plans():
    today = timezone.localdate()
    return MonitoringPlan.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today), starts_on__lte=today)


def clinician_check(*, user: User) -> None:
    if not user.is_authenticated or not user.is_clinician:
        raise PermissionRefused(_("Home monitoring pages are for the care team's doctors and nurses."))


def team_plans(*, user: User):
    """Active plans `user` leads or is on the care team of."""
    return _active_plans().filter(Q(lead_doctor=user) | Q(care_team=user)).distinct()


def team_lead_ids(*, user: User) -> list[int]:
    """The care teams (by lead doctor) whose live alert feed `user` may follow."""
    return sorted(set(team_plans(user=user).values_list("lead_doctor_id", flat=True)))


def access_clinic_patient(*, user: User, public_id) -> Patient:
    """A patient on one of `user`'s care teams' active plans; NotFound for anyone else."""
    clinician_check(user=user)
    patient = (Patient.objects.filter(public_id=public_id, monitoring_plans__in=team_plans(user=user)).first()
               if _is_uuid(public_id) else None)
    if patient is None:
        raise NotFound(_("This patient is not enrolled with your care team."))
    return patient


def access_plan_patient(*, user: User, patient: Patient) -> Patient:
    """`patient`, if `user` may enrol them in home monitoring or change their targets and SpO2 scale: a doctor or nurse
    with a care relationship to them, as records decides it (records.access.has_care_relationship: a booking or
    queue ticket with them, a note they wrote, today's patients of a nurse's department, a monitoring plan they
    lead or are on the team of). Everyone else is refused (PermissionRefused); staff may see the patient index, so
    saying no does not reveal anything."""
    from records.access import has_care_relationship

    clinician_check(user=user)
    if not has_care_relationship(user=user, patient=patient):
        raise PermissionRefused(_("You have no care relationship with this patient (no booking, visit or monitoring "
                                  "plan with you), so you cannot change their home monitoring."))
    return patient


def patient_by_public_id(public_id) -> Patient:
    patient = Patient.objects.filter(public_id=public_id).first() if _is_uuid(public_id) else None
    if patient is None:
        raise NotFound(_("No patient with this id."))
    return patient


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def alert_queue(*, user: User) -> QuerySet[Alert]:
    """Active alerts of the team's patients: unacknowledged first, then by severity, newest first."""
    patients = team_plans(user=user).values("patient_id")
    return (Alert.objects.filter(patient_id__in=patients, status__in=ACTIVE_ALERT_STATUSES)
            .select_related("patient", "acknowledged_by")
            .annotate(waiting=Case(When(status=AlertStatus.ACKNOWLEDGED, then=Value(0)), default=Value(1)),
                      severity_rank=Case(*[When(severity=s, then=Value(r)) for s, r in SEVERITY_RANK.items()],
                                         default=Value(0)))
            .order_by("-waiting", "-severity_rank", "-last_seen_at", "-id"))


def access_team_alert(*, user: User, public_id) -> Alert:
    clinician_check(user=user)
    alert = alert_queue(user=user).filter(public_id=public_id).first() if _is_uuid(public_id) else None
    if alert is None:
        raise NotFound(_("This alert is not on your care team's queue (it may be closed already)."))
    return alert


RISK_RANK = {"high": 4, "medium": 3, "low-medium": 2, "low": 1, "incomplete": 0}


def monitoring_dashboard(*, user: User) -> list[dict]:
    """The team's enrolled patients, worst first: by active alert severity, then latest NEWS2 risk and total."""
    latest = Score.objects.filter(patient=OuterRef("pk")).order_by("-at", "-id")
    last_reading = Reading.objects.filter(patient=OuterRef("pk")).order_by("-measured_at").values("measured_at")[:1]
    patients = list(Patient.objects.filter(monitoring_plans__in=team_plans(user=user)).distinct()
                    .annotate(news2_total=Subquery(latest.values("total")[:1]),
                              news2_risk=Subquery(latest.values("risk")[:1]),
                              last_reading_at=Subquery(last_reading)))
    alerts: dict[int, list[Alert]] = {}
    for alert in Alert.objects.filter(patient__in=patients, status__in=ACTIVE_ALERT_STATUSES):
        alerts.setdefault(alert.patient_id, []).append(alert)
    plans: dict[int, list[str]] = {}
    for patient_id, kind in team_plans(user=user).values_list("patient_id", "kind"):
        plans.setdefault(patient_id, []).append(str(PlanKind(kind).label))
    rows = []
    for patient in patients:
        active = alerts.get(patient.pk, [])
        worst = max(active, key=lambda a: (SEVERITY_RANK[a.severity], a.status != AlertStatus.ACKNOWLEDGED), default=None)
        rows.append({"patient": patient, "alerts": active, "worst": worst, "plans": sorted(plans.get(patient.pk, [])),
                     "risk_label": dict(Risk.choices).get(patient.news2_risk, patient.news2_risk),
                     "rank": (SEVERITY_RANK[worst.severity] if worst else 0,
                              sum(a.status != AlertStatus.ACKNOWLEDGED for a in active),
                              RISK_RANK.get(patient.news2_risk or "", -1), patient.news2_total or 0)})
    return sorted(rows, key=lambda row: row["rank"], reverse=True)


# --- readings and trends -----------------------------------------------------------------------------------------

TREND_KINDS = (ReadingKind.BLOOD_PRESSURE, ReadingKind.GLUCOSE, ReadingKind.HEART_RATE, ReadingKind.SPO2,
               ReadingKind.TEMPERATURE, ReadingKind.RESP_RATE)


def reading_trends(*, patient: Patient, days: int = 30) -> dict[str, "pd.DataFrame"]:
    """Mean, lowest and highest of each kind per time bucket over the last `days` (pandas aggregates, one query).

    The bucket follows the span of the readings, so a chart has points to draw: a local day when they cover more
    than three days, an hour when more than six hours, else 5 minutes. Indexed by the bucket's local start time;
    blood pressure gives systolic (value) and diastolic (value2) columns. Kinds with no readings are left out.
    """
    import pandas as pd

    since = timezone.now() - timedelta(days=days)
    rows = list(Reading.objects.filter(patient=patient, measured_at__gte=since, kind__in=TREND_KINDS)
                .values_list("kind", "measured_at", "value", "value2"))
    if not rows:
        return {}
    frame = pd.DataFrame(rows, columns=["kind", "measured_at", "value", "value2"])
    local = pd.to_datetime(frame["measured_at"], utc=True).dt.tz_convert(timezone.get_current_timezone())
    span = local.max() - local.min()
    bucket = "D" if span > pd.Timedelta(days=3) else "h" if span > pd.Timedelta(hours=6) else "5min"
    frame["bucket"] = local.dt.floor(bucket) if bucket != "D" else local.dt.normalize()
    trends = {}
    for kind, group in frame.groupby("kind", sort=False):
        columns = ["value", "value2"] if kind == ReadingKind.BLOOD_PRESSURE else ["value"]
        aggregated = group.groupby("bucket")[columns].agg(["mean", "min", "max"]).sort_index()
        aggregated.columns = [f"{column}_{stat}" for column, stat in aggregated.columns]
        aggregated.attrs["bucket"] = bucket
        trends[kind] = aggregated
    return trends


def recent_readings(*, patient: Patient, limit: int = 20) -> QuerySet[Reading]:
    return Reading.objects.filter(patient=patient).order_by("-measured_at", "-id")[:limit]
