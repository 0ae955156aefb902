"""Home monitoring's panel on the clinician's chart (records.chart_panels): the latest home reading of each kind,
the NEWS2 score and its trend, and the active alerts. records asks for it only after records.access has allowed the
viewer to read the patient's clinical record. Five queries whatever the patient's history."""

from datetime import timedelta

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from records.chart_panels import ChartPanel, register_chart_panel
from telemonitor.models import ACTIVE_ALERT_STATUSES, Alert, MonitoringPlan, Reading, ReadingKind, Score

LATEST_WITHIN = timedelta(days=30)  # "latest" readings older than this are history, not the patient's state
TREND_SCORES = 12
KIND_ORDER = [ReadingKind.BLOOD_PRESSURE, ReadingKind.HEART_RATE, ReadingKind.SPO2, ReadingKind.RESP_RATE,
              ReadingKind.TEMPERATURE, ReadingKind.GLUCOSE, ReadingKind.CONSCIOUSNESS]


def latest_readings(*, patient, now=None) -> list[Reading]:
    """The latest reading of each kind within LATEST_WITHIN, in KIND_ORDER (one query: a window per kind)."""
    since = (now or timezone.now()) - LATEST_WITHIN
    rows = list(Reading.objects.filter(patient=patient, measured_at__gte=since)
                .annotate(rank=Window(RowNumber(), partition_by=[F("kind")],
                                      order_by=[F("measured_at").desc(), F("id").desc()]))
                .filter(rank=1))
    return sorted(rows, key=lambda r: KIND_ORDER.index(r.kind) if r.kind in KIND_ORDER else len(KIND_ORDER))


def news2_sparkline(totals: list[int]) -> SafeString:
    """The NEWS2 totals, oldest first, as a small inline SVG line (0–20 scale, the 5 and 7 thresholds marked)."""
    if len(totals) < 2:
        return SafeString("")
    width, height, pad = 160, 40, 3

    def y(total: int) -> float:
        return round(height - pad - (height - 2 * pad) * min(total, 20) / 20, 1)

    step = (width - 2 * pad) / (len(totals) - 1)
    points = " ".join(f"{round(pad + i * step, 1)},{y(t)}" for i, t in enumerate(totals))
    thresholds = format_html_join("", '<line class="news2-threshold" x1="0" x2="{}" y1="{}" y2="{}"/>',
                                  ((width, y(t), y(t)) for t in (5, 7)))
    return format_html('<svg class="news2-spark" viewBox="0 0 {} {}" role="img" aria-label="{}">{}'
                       '<polyline class="news2-line" points="{}"/></svg>',
                       width, height, _("NEWS2 trend: %(totals)s") % {"totals": ", ".join(map(str, totals))},
                       thresholds, points)


def _trend(totals: list[int]) -> str:
    if len(totals) < 2 or totals[-1] == totals[-2]:
        return _("steady") if len(totals) >= 2 else ""
    return _("rising") if totals[-1] > totals[-2] else _("falling")


def vitals_panel(*, patient, viewer) -> ChartPanel | None:
    if not viewer.is_clinician:
        return None
    today = timezone.localdate()
    readings = latest_readings(patient=patient)
    scores = list(Score.objects.filter(patient=patient).order_by("-at", "-id")[:TREND_SCORES])[::-1]
    alerts = list(Alert.objects.filter(patient=patient, status__in=ACTIVE_ALERT_STATUSES)
                  .select_related("acknowledged_by").order_by("-last_seen_at", "-id"))
    plans = list(MonitoringPlan.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today), patient=patient,
                                               starts_on__lte=today).select_related("lead_doctor").order_by("kind"))
    totals = [score.total for score in scores]
    html = render_to_string("telemonitor/_chart_panel.html", {
        "patient": patient, "readings": readings, "latest_score": scores[-1] if scores else None,
        "sparkline": news2_sparkline(totals), "trend": _trend(totals), "alerts": alerts, "plans": plans,
    })
    return ChartPanel(key="vitals", title=_("Vitals from home monitoring"), html=SafeString(html), order=10)


def register() -> None:
    register_chart_panel(vitals_panel, name="telemonitor.vitals")
