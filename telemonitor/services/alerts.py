"""Alerts: raised or updated when a score or target is crossed, acknowledged by a clinician, escalated when nobody does.

One active alert per (patient, kind) is a database constraint (alert_one_active_per_patient_kind); a new crossing
updates it (occurrences, last value, a higher severity) instead of adding another, so doctors do not drown in
repeats. The patient is told what to do once per alert and severity; the care team gets a live nudge per change.

Escalation goes to the care team: the lead doctor and the care-team members of the patient's active monitoring plans
(the department's monitoring doctors and nurses). Departments live in the appointments app, above this one, so a plan
records its department only by code and its people by the care team (see MonitoringPlan).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.outbox import enqueue
from notifications.services import notification_send
from records.models import Patient
from telemonitor.errors import AlertNotActive
from telemonitor.models import (
    ACTIVE_ALERT_STATUSES,
    SEVERITY_RANK,
    Alert,
    AlertKind,
    AlertStatus,
    MonitoringPlan,
    Severity,
)

logger = logging.getLogger(__name__)

# Minutes a clinician has to acknowledge an alert before it escalates (TELEMONITOR_ACK_MINUTES overrides).
ACK_MINUTES = {Severity.HIGH: 15, Severity.MEDIUM: 60, Severity.LOW: 240}

# What the patient is told, per severity: measure again / book a visit today / call emergency services.
ADVICE = {
    Severity.LOW: (
        gettext_lazy("Please measure again"),
        gettext_lazy("Your reading ({reason}) is outside your target. Sit quietly for 5 minutes and measure again. "
                     "If it stays outside your target, contact your care team."),
    ),
    Severity.MEDIUM: (
        gettext_lazy("Please book a visit today"),
        gettext_lazy("Your readings ({reason}) need a doctor to look at them today. Please book a visit for today. "
                     "If you feel worse, call emergency services on 120."),
    ),
    Severity.HIGH: (
        gettext_lazy("Call emergency services (120) now"),
        gettext_lazy("Your readings ({reason}) show you may be seriously unwell. Call emergency services on 120 now, "
                     "or ask someone to call for you. Your care team has been told."),
    ),
}


@dataclass
class Crossing:
    """A score or target crossed by one patient's new readings, gathered over a scoring batch."""

    kind: str
    severity: str
    reason_code: str  # telemonitor.reasons: put into words in the reader's language when shown
    reason_params: dict
    at: datetime
    details: dict = field(default_factory=dict)
    score_id: int | None = None
    count: int = 1

    def merge(self, other: "Crossing") -> None:
        """Fold another crossing of the same kind in: the total count, the latest time, and the reason and details of
        the worst (the later of equally bad ones)."""
        self.count += other.count
        if (SEVERITY_RANK[other.severity], other.at) >= (SEVERITY_RANK[self.severity], self.at):
            self.severity, self.details = other.severity, other.details
            self.reason_code, self.reason_params = other.reason_code, other.reason_params
            self.score_id = other.score_id or self.score_id
        self.at = max(self.at, other.at)


def ack_minutes(severity: str) -> int:
    return getattr(settings, "TELEMONITOR_ACK_MINUTES", {}).get(severity, ACK_MINUTES[severity])


def care_team(*, patient_id: int) -> list[User]:
    """The lead doctors and care-team members of the patient's active monitoring plans, each once."""
    today = timezone.localdate()
    plans = MonitoringPlan.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today), patient_id=patient_id,
                                          starts_on__lte=today)
    return list(User.objects.filter(Q(led_monitoring_plans__in=plans) | Q(monitoring_plans__in=plans), is_active=True)
                .distinct().order_by("id"))


def book_link() -> str:
    try:
        return reverse("appointments:departments")
    except NoReverseMatch:  # registration not installed: the advice stands without a link
        return ""


def advice(alert: Alert) -> tuple[str, str]:
    """(title, text) of the patient's advice for the alert, in the active language, its reason included."""
    title, body = ADVICE[alert.severity]
    return str(title), str(body).format(reason=alert.reason)


def _notify_patient(alert: Alert) -> None:
    """Advice for the alert's severity, once per (alert, severity), in the patient's language."""
    account = alert.patient.account
    if account is None:
        return
    with translation.override(account.preferred_language or settings.LANGUAGE_CODE):
        title, body = advice(alert)
        notification_send(
            user=account, key=f"telemonitor:alert:{alert.public_id}:{alert.severity}", kind="telemonitor_alert",
            title=title, body=body,
            link=book_link() if alert.severity == Severity.MEDIUM else "",
            sms=alert.severity == Severity.HIGH,
        )


def alert_observe(*, patient: Patient, crossing: Crossing, now: datetime | None = None) -> Alert:
    """Raise the patient's alert of `crossing.kind`, or update the active one. Runs inside the caller's transaction.

    Locks the active alert row. A worse severity than the active alert's reopens it (even if acknowledged or
    escalated) with a new deadline and tells the patient the new advice; the same or a milder one only counts.
    """
    now = now or timezone.now()
    with transaction.atomic():
        alert = (Alert.objects.select_for_update()
                 .filter(patient=patient, kind=crossing.kind, status__in=ACTIVE_ALERT_STATUSES).first())
        if alert is None:
            alert = Alert(patient=patient, kind=crossing.kind, severity=crossing.severity, status=AlertStatus.OPEN,
                          reason_code=crossing.reason_code, reason_params=crossing.reason_params,
                          details=crossing.details, score_id=crossing.score_id,
                          occurrences=crossing.count, opened_at=now, last_seen_at=crossing.at,
                          ack_due_at=now + timedelta(minutes=ack_minutes(crossing.severity)))
            try:
                with transaction.atomic():
                    alert.save()
            except IntegrityError:
                # Raised meanwhile by another scorer (the patient lock makes this rare): update that one instead.
                return alert_observe(patient=patient, crossing=crossing, now=now)
        else:
            worse = SEVERITY_RANK[crossing.severity] > SEVERITY_RANK[alert.severity]
            alert.occurrences += crossing.count
            alert.last_seen_at = max(alert.last_seen_at, crossing.at)
            alert.reason_code, alert.reason_params = crossing.reason_code, crossing.reason_params
            alert.details = crossing.details
            alert.score_id = crossing.score_id or alert.score_id
            if worse:
                alert.severity = crossing.severity
                alert.status = AlertStatus.OPEN
                alert.ack_due_at = now + timedelta(minutes=ack_minutes(crossing.severity))
            alert.save()
        _notify_patient(alert)
        _push_later(alert)
    return alert


def _push_later(alert: Alert) -> None:
    from telemonitor import tasks  # tasks import the services

    enqueue(tasks.alert_push, alert.pk)


def alert_acknowledge(*, alert: Alert, by: User, note: str = "") -> Alert:
    """A clinician has seen the alert: it stops escalating. Idempotent for an acknowledged alert; locks the row."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status == AlertStatus.CLOSED:
            raise AlertNotActive()
        if alert.status != AlertStatus.ACKNOWLEDGED:
            alert.status = AlertStatus.ACKNOWLEDGED
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by = by
            alert.ack_note = note.strip()
            alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "ack_note"])
            _push_later(alert)
    return alert


def alert_close(*, alert: Alert, by: User, note: str = "") -> Alert:
    """Done with: the next crossing opens a new alert. Acknowledges on the way if nobody had."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status == AlertStatus.CLOSED:
            return alert
        now = timezone.now()
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by = now, by
        if note.strip():
            alert.ack_note = f"{alert.ack_note}\n{note.strip()}".strip()
        alert.status, alert.closed_at = AlertStatus.CLOSED, now
        alert.save()
        _push_later(alert)
    return alert


def alerts_escalate(*, now: datetime | None = None, limit: int = 500) -> int:
    """Escalate open alerts whose acknowledgement deadline passed: notify the care team. Returns how many.

    Rows are locked with SKIP LOCKED, so two beat runs (or an overlap with an acknowledgement) never escalate one
    alert twice; notifications are keyed per (alert, severity), so a rerun after a crash sends nothing twice.
    """
    now = now or timezone.now()
    escalated = 0
    with transaction.atomic():
        due = list(Alert.objects.select_for_update(skip_locked=True).select_related("patient")
                   .filter(status=AlertStatus.OPEN, ack_due_at__lte=now).order_by("ack_due_at")[:limit])
        for alert in due:
            alert.status, alert.escalated_at = AlertStatus.ESCALATED, now
            alert.save(update_fields=["status", "escalated_at"])
            team = care_team(patient_id=alert.patient_id)
            if not team:
                logger.warning("Alert %s escalated but patient %s has no care team", alert.public_id, alert.patient_id)
            for user in team:
                with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
                    notification_send(
                        user=user, key=f"telemonitor:escalation:{alert.public_id}:{alert.severity}",
                        kind="telemonitor_escalation",
                        title=_("Unacknowledged %(severity)s alert: %(kind)s") % {
                            "severity": alert.get_severity_display(), "kind": AlertKind(alert.kind).label},
                        body=_("Patient %(mrn)s: %(reason)s. Nobody has acknowledged it yet.") % {
                            "mrn": alert.patient.mrn, "reason": alert.reason},
                        sms=alert.severity == Severity.HIGH,
                    )
            _push_later(alert)
            escalated += 1
    return escalated
