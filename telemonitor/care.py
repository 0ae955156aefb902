"""What home monitoring tells records about care relationships (records.care): the doctors and nurses on a patient's
active monitoring plan — its lead doctor and its care team — care for that patient, so they may open the chart
(records.access) and change the plan's targets. Registered from TelemonitorConfig.ready; records imports nothing
from here."""

from django.db.models import Q, QuerySet

from accounts.models import User


def monitoring_plan_team(*, user: User, today, window_days: int) -> QuerySet | None:
    """Patients of the active plans `user` leads or is on the care team of (a subquery, no query of its own)."""
    from telemonitor.models import MonitoringPlan

    if not user.is_clinician:
        return None
    return (MonitoringPlan.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today), starts_on__lte=today)
            .filter(Q(lead_doctor=user) | Q(care_team=user)).values("patient_id"))


def register() -> None:
    from records.care import register_care_relationship_source

    register_care_relationship_source(monitoring_plan_team, name="telemonitor.monitoring_plan_team")
