"""Home monitoring data: devices and their credentials, readings, NEWS2 scores, alerts, monitoring plans.

Rules that must never break are database constraints, so that no code path (ingest, MQTT bridge, a task run twice,
two workers at once) can break them:

* a reading is stored once per (device, device reading id) — the device's own id is the idempotency key;
* a score is stored once per (reading set, algorithm version) — a scoring task run twice writes once;
* a patient has at most one active alert of each kind — new crossings update it instead of adding another;
* a device has at most one current credential; a rotated-out credential carries the end of its grace window.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from records.models import Patient
from telemonitor import scoring


class DeviceKind(models.TextChoices):
    BP_MONITOR = "bp_monitor", _("Blood-pressure monitor")
    GLUCOMETER = "glucometer", _("Glucometer")
    PULSE_OXIMETER = "pulse_oximeter", _("Pulse oximeter")
    THERMOMETER = "thermometer", _("Thermometer")
    HEART_WEARABLE = "heart_wearable", _("Heart-rate / ECG wearable")


class Device(models.Model):
    """A measuring device at a patient's home, paired to one patient.

    Paired by the patient with a short-lived code (PairingCode) or registered by staff. Revoking a device ends every
    credential it has; a revoked device's serial can be paired again (to the same or another patient) as a new Device.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=DeviceKind.choices)
    serial = models.CharField(_("serial number"), max_length=64)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="devices", verbose_name=_("patient"))
    label = models.CharField(pgettext_lazy("device", "name"), max_length=60, blank=True)
    paired_at = models.DateTimeField(_("paired"))
    paired_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last reading received"), null=True, blank=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["-paired_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=DeviceKind.values), name="device_kind_valid"),
            models.CheckConstraint(condition=~Q(serial=""), name="device_serial_given"),
            # One physical device feeds one patient at a time.
            models.UniqueConstraint(fields=["kind", "serial"], condition=Q(revoked_at__isnull=True),
                                    name="device_serial_paired_once"),
            models.CheckConstraint(condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=F("paired_at")),
                                   name="device_revoked_after_paired"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class DeviceCredential(models.Model):
    """A device's secret for ``Authorization: Device <token>``; only its sha256 is stored.

    The token is ``<prefix>.<secret>``: ``prefix`` (unique, not secret) finds the row with one index lookup, and the
    sha256 of the whole token is compared in constant time. The secret is 32 random bytes, so a plain sha256 (not a
    slow password hash) is enough and keeps every ingest request cheap.

    Rotation issues a new current credential and gives the old one ``expires_at`` = now + a grace window
    (TELEMONITOR_TOKEN_GRACE_MINUTES, default 60), so readings a device already queued with the old token still
    arrive. Revocation (of the credential or the device) ends it at once, with no grace.
    """

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="credentials")
    prefix = models.CharField(max_length=16, unique=True)
    token_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("device credential")
        verbose_name_plural = _("device credentials")
        constraints = [
            models.UniqueConstraint(fields=["device"], condition=Q(expires_at__isnull=True, revoked_at__isnull=True),
                                    name="device_one_current_credential"),
            models.CheckConstraint(condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("created_at")),
                                   name="device_credential_expires_after_created"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.device})"


class PairingCode(models.Model):
    """A short code a patient makes in the portal and types into the device's app; single use, minutes long.

    Only the sha256 of the code is stored. Codes are 8 characters from a 31-letter alphabet (about 40 bits), live
    TELEMONITOR_PAIRING_MINUTES (default 10), and the exchange endpoint is throttled.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="pairing_codes")
    code_sha256 = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    device = models.OneToOneField(Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="pairing_code")

    class Meta:
        verbose_name = _("pairing code")
        verbose_name_plural = _("pairing codes")
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="pairing_code_expires_after_created"),
            models.CheckConstraint(condition=Q(used_at__isnull=True) | Q(used_at__lte=F("expires_at")),
                                   name="pairing_code_used_before_expiry"),
        ]

    def __str__(self) -> str:
        return f"pairing code for {self.patient_id}"


class ReadingKind(models.TextChoices):
    HEART_RATE = scoring.KIND_HEART_RATE, _("Heart rate")
    RESP_RATE = scoring.KIND_RESP_RATE, _("Respiration rate")
    SPO2 = scoring.KIND_SPO2, _("Oxygen saturation (SpO2)")
    TEMPERATURE = scoring.KIND_TEMPERATURE, _("Temperature")
    BLOOD_PRESSURE = scoring.KIND_BLOOD_PRESSURE, _("Blood pressure")
    GLUCOSE = "glucose", _("Blood glucose")
    CONSCIOUSNESS = scoring.KIND_CONSCIOUSNESS, _("Consciousness (ACVPU)")


# UCUM code of the unit `value` (and `value2`) is stored in, per kind. Consciousness is an ACVPU letter, no number.
CANONICAL_UNITS = {
    ReadingKind.HEART_RATE: "/min",
    ReadingKind.RESP_RATE: "/min",
    ReadingKind.SPO2: "%",
    ReadingKind.TEMPERATURE: "Cel",
    ReadingKind.BLOOD_PRESSURE: "mm[Hg]",
    ReadingKind.GLUCOSE: "mmol/L",
    ReadingKind.CONSCIOUSNESS: "{ACVPU}",
}

ACVPU_LEVELS = ("A", "C", "V", "P", "U")


class Reading(models.Model):
    """One measurement a device sent, as sent and in the canonical unit.

    Written in bulk by telemonitor.services.ingest (COPY on PostgreSQL), never a row at a time through the ORM.
    ``value`` is in CANONICAL_UNITS[kind] (blood pressure: systolic, ``value2`` diastolic; consciousness: ``acvpu``);
    ``raw_*`` keep what the device sent. ``measured_at`` is the device's time in UTC, ``device_offset_minutes`` the
    UTC offset it was sent with. ``scored_at`` is set, in the same transaction as the scores and alerts it led to,
    by the scoring task; ``category`` then holds the ACC/AHA category (blood pressure) or glucose band.
    """

    # No per-row foreign-key triggers here: on PostgreSQL they took 60 % of the write time at ingest rates
    # (2.0 s of every 100k rows; see bench/ingest.py). The same rule is kept once per INSERT statement instead, by
    # the trigger in migration 0002 (every reading's device exists and belongs to the reading's patient), and
    # devices with readings cannot be deleted or moved to another patient. Their indexes are the unique
    # (device, id) and the (patient, time) ones below, so Django's own per-column indexes are left out too.
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="readings", db_constraint=False,
                               db_index=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="readings", db_constraint=False,
                                db_index=False)
    device_reading_id = models.CharField(max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=ReadingKind.choices)
    value = models.FloatField(_("value"), null=True, blank=True)
    value2 = models.FloatField(null=True, blank=True)
    acvpu = models.CharField(max_length=1, blank=True)
    raw_value = models.FloatField(null=True, blank=True)
    raw_value2 = models.FloatField(null=True, blank=True)
    raw_unit = models.CharField(max_length=16)
    on_oxygen = models.BooleanField(null=True, blank=True)
    measured_at = models.DateTimeField(_("measured"))
    device_offset_minutes = models.SmallIntegerField()
    received_at = models.DateTimeField(_("received"))
    scored_at = models.DateTimeField(null=True, blank=True)
    category = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        constraints = [
            # The idempotency key: a resent or concurrently re-sent batch stores nothing twice.
            models.UniqueConstraint(fields=["device", "device_reading_id"], name="reading_once_per_device_id"),
            models.CheckConstraint(condition=Q(kind__in=ReadingKind.values), name="reading_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind=ReadingKind.CONSCIOUSNESS, acvpu__in=ACVPU_LEVELS, value__isnull=True)
                           | (~Q(kind=ReadingKind.CONSCIOUSNESS) & Q(acvpu="", value__isnull=False))),
                name="reading_value_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind=ReadingKind.BLOOD_PRESSURE, value2__isnull=False, value__gt=F("value2"))
                | (~Q(kind=ReadingKind.BLOOD_PRESSURE) & Q(value2__isnull=True)),
                name="reading_pressure_pair",
            ),
            models.CheckConstraint(condition=Q(on_oxygen__isnull=True) | Q(kind=ReadingKind.SPO2),
                                   name="reading_oxygen_only_with_spo2"),
            models.CheckConstraint(condition=Q(device_offset_minutes__gte=-18 * 60, device_offset_minutes__lte=18 * 60),
                                   name="reading_offset_range"),
        ]
        indexes = [
            models.Index(fields=["patient", "measured_at"], name="reading_patient_time_idx"),
            # The scorer's work list stays small: only unscored rows are in it.
            models.Index(fields=["patient"], condition=Q(scored_at__isnull=True), name="reading_unscored_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.value if self.acvpu == '' else self.acvpu} @ {self.measured_at:%Y-%m-%d %H:%M}"

    @property
    def unit(self) -> str:
        return CANONICAL_UNITS[self.kind]


class Risk(models.TextChoices):
    INCOMPLETE = scoring.RISK_INCOMPLETE, _("Incomplete")
    LOW = scoring.RISK_LOW, _("Low")
    LOW_MEDIUM = scoring.RISK_LOW_MEDIUM, _("Low-medium")
    MEDIUM = scoring.RISK_MEDIUM, _("Medium")
    HIGH = scoring.RISK_HIGH, _("High")


class Score(models.Model):
    """A NEWS2 score of one reading set (the latest of each parameter within an hour of ``at``).

    Unique per (set key, algorithm version): the key is the sha256 of the sorted reading ids, so scoring the same
    readings again — a task redelivered after a crash, two workers — cannot add a row.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="news2_scores")
    set_key = models.CharField(max_length=64)
    algorithm_version = models.CharField(max_length=32)
    at = models.DateTimeField(_("as of"))
    reading_ids = models.JSONField(default=list)
    total = models.PositiveSmallIntegerField(_("NEWS2 total"))
    risk = models.CharField(_("risk"), max_length=12, choices=Risk.choices)
    partial = models.BooleanField(_("partial"))
    details = models.JSONField(default=dict)  # points per parameter, missing parameters, the values used
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("NEWS2 score")
        verbose_name_plural = _("NEWS2 scores")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["set_key", "algorithm_version"], name="score_once_per_set_and_version"),
            models.CheckConstraint(condition=Q(risk__in=Risk.values), name="score_risk_valid"),
            models.CheckConstraint(condition=Q(total__lte=20), name="score_total_range"),
            # A partial set never reads "low" on its own (telemonitor.scoring).
            models.CheckConstraint(condition=~Q(partial=True, risk=Risk.LOW), name="score_partial_never_low"),
        ]
        indexes = [models.Index(fields=["patient", "-at"], name="score_patient_time_idx")]

    def __str__(self) -> str:
        return f"NEWS2 {self.total} ({self.risk})"


class AlertKind(models.TextChoices):
    NEWS2 = "news2", _("Early warning score (NEWS2)")
    BLOOD_PRESSURE = "blood_pressure", _("Blood pressure")
    GLUCOSE = "glucose", _("Blood glucose")
    HEART_RATE = "heart_rate", _("Heart rate")
    SPO2 = "spo2", _("Oxygen saturation")
    TEMPERATURE = "temperature", _("Temperature")
    RESP_RATE = "resp_rate", _("Respiration rate")


class Severity(models.TextChoices):
    # What the patient is told (telemonitor.services.alerts.ADVICE): measure again / book a visit today / call 120.
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3}


class AlertStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("alert status", "Open")  # "Open" alone is a slot open for booking
    ESCALATED = "escalated", _("Escalated")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


ACTIVE_ALERT_STATUSES = (AlertStatus.OPEN, AlertStatus.ESCALATED, AlertStatus.ACKNOWLEDGED)


class Alert(models.Model):
    """A patient's score or target crossed; one active alert per (patient, kind), updated rather than repeated.

    Life: open → (escalated, when nobody acknowledged it by ``ack_due_at``) → acknowledged (by a clinician, with a
    note) → closed. A worse crossing while acknowledged (or escalated) raises the severity and opens it again, with a
    new acknowledgement deadline. Changes are pushed live to the care team (telemonitor.live).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=16, choices=AlertKind.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    status = models.CharField(_("status"), max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    # Why, as a code and its parameters (numbers and codes only), put into words in the reader's language when read:
    # telemonitor.reasons. ``reason`` below is that text.
    reason_code = models.CharField(_("reason"), max_length=32)
    reason_params = models.JSONField(default=dict)
    details = models.JSONField(default=dict)
    score = models.ForeignKey(Score, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    occurrences = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField(_("opened"))
    last_seen_at = models.DateTimeField(_("last crossed"))
    ack_due_at = models.DateTimeField(_("acknowledge by"))
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    ack_note = models.TextField(_("note"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "kind"], condition=Q(status__in=ACTIVE_ALERT_STATUSES),
                                    name="alert_one_active_per_patient_kind"),
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alert_kind_valid"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="alert_severity_valid"),
            models.CheckConstraint(condition=Q(status__in=AlertStatus.values), name="alert_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=AlertStatus.ACKNOWLEDGED)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="alert_acknowledged_by_someone",
            ),
            models.CheckConstraint(condition=~Q(status=AlertStatus.ESCALATED) | Q(escalated_at__isnull=False),
                                   name="alert_escalated_has_time"),
            models.CheckConstraint(condition=~Q(status=AlertStatus.CLOSED) | Q(closed_at__isnull=False),
                                   name="alert_closed_has_time"),
            models.CheckConstraint(condition=Q(occurrences__gte=1), name="alert_occurrences_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "ack_due_at"], name="alert_escalation_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.severity}, {self.status})"

    @property
    def reason(self) -> str:
        """Why the alert was raised, in the active language (a page's, or a notification's recipient's)."""
        from telemonitor.reasons import reason_text  # reasons reads this module's choices

        return reason_text(self.reason_code, self.reason_params)


class PlanKind(models.TextChoices):
    BLOOD_PRESSURE = "blood_pressure", _("Blood pressure")
    GLUCOSE = "glucose", _("Blood glucose")
    CARDIAC = "cardiac", _("Cardiac")


class MonitoringPlan(models.Model):
    """A patient enrolled in home monitoring: the lead doctor, the care team, and clinical settings.

    The care team (``care_team``: the doctors and nurses who watch this patient) receives escalations; its live feed
    is the lead doctor's team group (telemonitor.live). ``department_code`` records the department by its code only:
    telemonitor sits below appointments and does not import its Department model (DESIGN.md layering).
    ``spo2_scale`` 2 is for patients with hypercapnic respiratory failure and is set only by a clinician.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="monitoring_plans")
    kind = models.CharField(_("plan"), max_length=16, choices=PlanKind.choices)
    lead_doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_monitoring_plans",
                                    verbose_name=_("lead doctor"))
    care_team = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="monitoring_plans",
                                       verbose_name=_("care team"))
    department_code = models.CharField(_("department code"), max_length=20, blank=True)
    spo2_scale = models.PositiveSmallIntegerField(_("SpO2 scale"), default=1)
    spo2_scale_set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+", verbose_name=_("SpO2 scale set by"))
    spo2_scale_set_at = models.DateTimeField(_("SpO2 scale set"), null=True, blank=True)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("monitoring plan")
        verbose_name_plural = _("monitoring plans")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PlanKind.values), name="plan_kind_valid"),
            models.CheckConstraint(condition=Q(spo2_scale__in=(1, 2)), name="plan_spo2_scale_valid"),
            models.CheckConstraint(condition=Q(spo2_scale=1) | Q(spo2_scale_set_by__isnull=False),
                                   name="plan_spo2_scale2_set_by_clinician"),
            models.CheckConstraint(condition=Q(spo2_scale_set_by__isnull=True) | Q(spo2_scale_set_at__isnull=False),
                                   name="plan_spo2_scale_set_when"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                                   name="plan_ends_after_start"),
            models.UniqueConstraint(fields=["patient", "kind"], condition=Q(ends_on__isnull=True),
                                    name="plan_one_open_per_patient_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.patient}"


class TargetParameter(models.TextChoices):
    SYSTOLIC = "systolic", _("Systolic pressure (mmHg)")
    DIASTOLIC = "diastolic", _("Diastolic pressure (mmHg)")
    GLUCOSE = "glucose", _("Blood glucose (mmol/L)")
    HEART_RATE = "heart_rate", _("Heart rate (/min)")
    SPO2 = "spo2", _("Oxygen saturation (%)")
    TEMPERATURE = "temperature", _("Temperature (°C)")
    RESP_RATE = "resp_rate", _("Respiration rate (/min)")


class PatientTarget(models.Model):
    """A doctor's target band for one parameter of one patient, in the canonical unit; a reading outside it alerts."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="monitoring_targets")
    parameter = models.CharField(_("parameter"), max_length=16, choices=TargetParameter.choices)
    low = models.FloatField(_("lowest"), null=True, blank=True)
    high = models.FloatField(_("highest"), null=True, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("patient target")
        verbose_name_plural = _("patient targets")
        constraints = [
            models.UniqueConstraint(fields=["patient", "parameter"], name="target_once_per_parameter"),
            models.CheckConstraint(condition=Q(parameter__in=TargetParameter.values), name="target_parameter_valid"),
            models.CheckConstraint(condition=Q(low__isnull=False) | Q(high__isnull=False), name="target_has_a_bound"),
            models.CheckConstraint(condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lt=F("high")),
                                   name="target_low_below_high"),
        ]

    def __str__(self) -> str:
        return f"{self.parameter} {self.low}–{self.high}"
