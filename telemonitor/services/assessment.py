"""Scoring new readings, per patient: NEWS2 sets, blood-pressure categories, glucose bands, the doctor's targets;
then scores stored once and alerts raised or updated.

Safe to run any number of times, at once or after a crash, which is what lets the Celery task be ``acks_late``:

* one transaction per patient holds everything — scores, reading categories, ``scored_at``, alerts — so a worker
  killed mid-way leaves the patient's readings unscored and the rerun does the whole of it, once;
* a per-patient lock (a PostgreSQL advisory transaction lock; SQLite transactions are serialised already) makes two
  workers scoring one patient take turns, and the second finds nothing left to do;
* scores are unique per (reading set, algorithm version), and only scores new to this run count towards alerts.

The pure rules are in telemonitor.scoring; this module only gathers readings for them and stores what they say.
"""

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta

import pandas as pd
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from records.models import Patient
from telemonitor import reasons, scoring
from telemonitor.models import (
    AlertKind,
    MonitoringPlan,
    PatientTarget,
    Reading,
    ReadingKind,
    Score,
    Severity,
    TargetParameter,
)
from telemonitor.services.alerts import Crossing, alert_observe

NEWS2_WINDOW = timedelta(hours=1)  # the latest of each parameter within this window makes a set
BATCH = 20_000  # readings scored per patient per transaction; a larger backlog takes several
ADVISORY_LOCK_NAMESPACE = 7  # issue 7; the second key is the patient id

NEWS2_KINDS = tuple(scoring.KIND_TO_PARAMETER)

# NEWS2 risk → alert severity (RCP 2017 clinical response: low-medium urgent ward review, medium urgent response,
# high emergency response) → patient advice: measure again / book a visit today / call 120.
RISK_SEVERITY = {scoring.RISK_LOW_MEDIUM: Severity.LOW, scoring.RISK_MEDIUM: Severity.MEDIUM,
                 scoring.RISK_HIGH: Severity.HIGH}
# Blood-pressure categories and glucose bands that alert whatever the targets say, and those that alert only when
# the doctor has set no target for the parameter (a target is the doctor's judgement for this patient).
BP_ALWAYS = {"crisis": Severity.HIGH}
BP_WITHOUT_TARGET = {"stage2": Severity.LOW}
GLUCOSE_ALWAYS = {"very_low": Severity.HIGH, "very_high": Severity.MEDIUM}
GLUCOSE_WITHOUT_TARGET = {"low": Severity.LOW, "high": Severity.LOW}

TARGET_ALERT_KIND = {
    TargetParameter.SYSTOLIC: AlertKind.BLOOD_PRESSURE, TargetParameter.DIASTOLIC: AlertKind.BLOOD_PRESSURE,
    TargetParameter.GLUCOSE: AlertKind.GLUCOSE, TargetParameter.HEART_RATE: AlertKind.HEART_RATE,
    TargetParameter.SPO2: AlertKind.SPO2, TargetParameter.TEMPERATURE: AlertKind.TEMPERATURE,
    TargetParameter.RESP_RATE: AlertKind.RESP_RATE,
}
# Which reading value a target parameter reads: (kind, field).
TARGET_SOURCE = {
    TargetParameter.SYSTOLIC: (ReadingKind.BLOOD_PRESSURE, "value"),
    TargetParameter.DIASTOLIC: (ReadingKind.BLOOD_PRESSURE, "value2"),
    TargetParameter.GLUCOSE: (ReadingKind.GLUCOSE, "value"),
    TargetParameter.HEART_RATE: (ReadingKind.HEART_RATE, "value"),
    TargetParameter.SPO2: (ReadingKind.SPO2, "value"),
    TargetParameter.TEMPERATURE: (ReadingKind.TEMPERATURE, "value"),
    TargetParameter.RESP_RATE: (ReadingKind.RESP_RATE, "value"),
}

_FIELDS = ("id", "kind", "value", "value2", "acvpu", "on_oxygen", "measured_at")


def readings_score(*, patient_ids) -> int:
    """Score every unscored reading of these patients. Returns how many readings were scored by this call."""
    scored = 0
    for patient_id in sorted({int(p) for p in patient_ids}):
        while True:
            count = patient_readings_score(patient_id=patient_id)
            scored += count
            if count < BATCH:
                break
    return scored


def readings_score_backlog(*, older_than: timedelta = timedelta(minutes=2), limit: int = 200) -> int:
    """Score readings whose task never ran (the broker lost it, the outbox is late). Returns readings scored."""
    cutoff = timezone.now() - older_than
    patient_ids = (Reading.objects.filter(scored_at__isnull=True, received_at__lte=cutoff)
                   .values_list("patient_id", flat=True).distinct()[:limit])
    return readings_score(patient_ids=list(patient_ids))


def _lock_patient(patient_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_NAMESPACE, patient_id & 0x7FFFFFFF])


def _spo2_scale(patient_id: int) -> int | None:
    """Scale 2 only when a clinician set it on an active plan (telemonitor.scoring: None means Scale 1)."""
    today = timezone.localdate()
    scale2 = MonitoringPlan.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today), patient_id=patient_id,
                                           starts_on__lte=today, spo2_scale=2).exists()
    return 2 if scale2 else None


def patient_readings_score(*, patient_id: int) -> int:
    """Score up to BATCH unscored readings of one patient in one transaction (see the module docstring)."""
    now = timezone.now()
    with transaction.atomic():
        _lock_patient(patient_id)
        new = list(Reading.objects.filter(patient_id=patient_id, scored_at__isnull=True)
                   .order_by("measured_at", "id").values(*_FIELDS)[:BATCH])
        if not new:
            return 0
        patient = Patient.objects.select_related("account").get(pk=patient_id)
        targets = {t.parameter: t for t in PatientTarget.objects.filter(patient_id=patient_id)}
        crossings: dict[str, Crossing] = {}

        def cross(crossing: Crossing) -> None:
            if crossing.kind in crossings:
                crossings[crossing.kind].merge(crossing)
            else:
                crossings[crossing.kind] = crossing

        for score in _news2_scores(patient_id=patient_id, new=new):
            severity = RISK_SEVERITY.get(score.risk)
            if severity:
                cross(Crossing(kind=AlertKind.NEWS2, severity=severity, at=score.at, score_id=score.pk,
                               reason_code=reasons.NEWS2, reason_params={"total": score.total, "risk": score.risk},
                               details={"total": score.total, "risk": score.risk, "partial": score.partial}))
        for crossing in _categorise(new=new, targets=targets):
            cross(crossing)
        for crossing in _target_crossings(new=new, targets=targets):
            cross(crossing)

        Reading.objects.filter(pk__in=[r["id"] for r in new]).update(scored_at=now)
        for crossing in sorted(crossings.values(), key=lambda c: c.kind):  # a fixed order for the alert row locks
            alert_observe(patient=patient, crossing=crossing, now=now)
    return len(new)


def _news2_scores(*, patient_id: int, new: list[dict]) -> list[Score]:
    """Build the NEWS2 set as of each new vital reading's time, score the sets in one frame, store the new ones.

    Returns only the scores this call created, oldest first (a set scored before, by any run, is not scored again).
    """
    times = sorted({r["measured_at"] for r in new if r["kind"] in NEWS2_KINDS})
    if not times:
        return []
    pool = list(Reading.objects.filter(patient_id=patient_id, kind__in=NEWS2_KINDS,
                                       measured_at__gte=times[0] - NEWS2_WINDOW, measured_at__lte=times[-1])
                .order_by("measured_at", "id").values(*_FIELDS))
    for reading in pool:
        if reading["kind"] == ReadingKind.CONSCIOUSNESS:
            reading["value"] = reading["acvpu"]  # build_news2_set reads the ACVPU letter from `value`
    stamps = [r["measured_at"] for r in pool]
    scale = _spo2_scale(patient_id)
    sets: dict[str, tuple[datetime, scoring.News2Set]] = {}
    for at in times:
        window = pool[bisect_left(stamps, at - NEWS2_WINDOW):bisect_right(stamps, at)]
        news2_set = scoring.build_news2_set(window, at=at, window=NEWS2_WINDOW, spo2_scale=scale)
        if news2_set.used:
            sets.setdefault(news2_set.key, (at, news2_set))

    existing = set()
    keys = list(sets)
    for start in range(0, len(keys), 900):
        existing.update(Score.objects.filter(set_key__in=keys[start:start + 900],
                                             algorithm_version=scoring.ALGORITHM_VERSION)
                        .values_list("set_key", flat=True))
    fresh = [(key, at, news2_set) for key, (at, news2_set) in sets.items() if key not in existing]
    if not fresh:
        return []
    frame = scoring.score_news2_frame(pd.DataFrame([s.arguments for _, _, s in fresh], columns=list(scoring.ARGUMENTS)))
    points = {name: frame[f"news2_points_{name}"].tolist() for name in scoring.PARAMETERS}
    totals, risks, partials = frame["news2_total"].tolist(), frame["news2_risk"].astype(str).tolist(), \
        frame["news2_partial"].tolist()
    scores = []
    for i, (key, at, news2_set) in enumerate(fresh):
        row_points = {name: (None if pd.isna(points[name][i]) else int(points[name][i])) for name in scoring.PARAMETERS}
        scores.append(Score(
            patient_id=patient_id, set_key=key, algorithm_version=scoring.ALGORITHM_VERSION, at=at,
            reading_ids=list(news2_set.reading_ids), total=int(totals[i]), risk=risks[i], partial=bool(partials[i]),
            details={"points": row_points, "missing": [n for n, p in row_points.items() if p is None],
                     "used": news2_set.used, "spo2_scale": news2_set.arguments["spo2_scale"] or 1},
        ))
    # Under the patient lock nobody else inserts these keys; ignore_conflicts is the constraint's second line.
    Score.objects.bulk_create(scores, ignore_conflicts=True, batch_size=1000)
    ids = {}
    for start in range(0, len(fresh), 900):
        ids.update(Score.objects.filter(set_key__in=[k for k, _, _ in fresh[start:start + 900]],
                                        algorithm_version=scoring.ALGORITHM_VERSION).values_list("set_key", "id"))
    for score in scores:
        score.pk = ids.get(score.set_key)
    return sorted(scores, key=lambda s: s.at)


def _categorise(*, new: list[dict], targets: dict) -> list[Crossing]:
    """ACC/AHA category of each new blood-pressure reading and band of each glucose reading: stored on the reading
    (one UPDATE per category), and crossings for the alerting ones."""
    crossings = []
    pressures = [r for r in new if r["kind"] == ReadingKind.BLOOD_PRESSURE]
    glucose = [r for r in new if r["kind"] == ReadingKind.GLUCOSE]
    has_bp_target = TargetParameter.SYSTOLIC in targets or TargetParameter.DIASTOLIC in targets
    has_glucose_target = TargetParameter.GLUCOSE in targets
    groups: dict[str, list[int]] = {}
    if pressures:
        categories = scoring.bp_categories([r["value"] for r in pressures], [r["value2"] for r in pressures])
        for reading, category in zip(pressures, categories.astype(str).tolist(), strict=True):
            groups.setdefault(category, []).append(reading["id"])
            severity = BP_ALWAYS.get(category) or (None if has_bp_target else BP_WITHOUT_TARGET.get(category))
            if severity:
                crossings.append(Crossing(
                    kind=AlertKind.BLOOD_PRESSURE, severity=severity, at=reading["measured_at"],
                    reason_code=reasons.BP_CATEGORY,
                    reason_params={"systolic": reading["value"], "diastolic": reading["value2"], "category": category},
                    details={"reading": reading["id"], "category": category}))
    if glucose:
        bands = scoring.glucose_bands([r["value"] for r in glucose])
        for reading, band in zip(glucose, bands.astype(str).tolist(), strict=True):
            groups.setdefault(band, []).append(reading["id"])
            severity = GLUCOSE_ALWAYS.get(band) or (None if has_glucose_target else GLUCOSE_WITHOUT_TARGET.get(band))
            if severity:
                crossings.append(Crossing(
                    kind=AlertKind.GLUCOSE, severity=severity, at=reading["measured_at"],
                    reason_code=reasons.GLUCOSE_BAND, reason_params={"value": round(reading["value"], 1), "band": band},
                    details={"reading": reading["id"], "band": band}))
    for category, ids in groups.items():
        Reading.objects.filter(pk__in=ids).update(category=category)
    return crossings


def _target_crossings(*, new: list[dict], targets: dict) -> list[Crossing]:
    crossings = []
    for parameter, target in targets.items():
        kind, field = TARGET_SOURCE[parameter]
        for reading in new:
            value = reading[field] if reading["kind"] == kind else None
            if value is None:
                continue
            if (target.low is not None and value < target.low) or (target.high is not None and value > target.high):
                crossings.append(Crossing(
                    kind=TARGET_ALERT_KIND[parameter], severity=Severity.LOW, at=reading["measured_at"],
                    reason_code=reasons.TARGET, reason_params={"parameter": str(parameter), "value": round(value, 1),
                                                               "low": target.low, "high": target.high},
                    details={"reading": reading["id"], "parameter": parameter, "target": [target.low, target.high]}))
    return crossings

