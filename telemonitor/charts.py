"""Trend charts as inline SVG, drawn on the server from the pandas daily aggregates (telemonitor.selectors).

No chart library and no script: the page stays light on a phone, prints, and is readable without JavaScript. Each
chart shows the daily mean as a line with the day's lowest–highest as a shaded range, and the patient's target band.
"""

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from telemonitor.models import PatientTarget, ReadingKind, TargetParameter

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 26

TITLES = {
    ReadingKind.BLOOD_PRESSURE: _("Blood pressure (mmHg)"),
    ReadingKind.GLUCOSE: _("Blood glucose (mmol/L)"),
    ReadingKind.HEART_RATE: _("Heart rate (/min)"),
    ReadingKind.SPO2: _("Oxygen saturation (%)"),
    ReadingKind.TEMPERATURE: _("Temperature (°C)"),
    ReadingKind.RESP_RATE: _("Respiration rate (/min)"),
}
# Which targets are drawn on which chart.
TARGETS = {
    ReadingKind.BLOOD_PRESSURE: (TargetParameter.SYSTOLIC, TargetParameter.DIASTOLIC),
    ReadingKind.GLUCOSE: (TargetParameter.GLUCOSE,),
    ReadingKind.HEART_RATE: (TargetParameter.HEART_RATE,),
    ReadingKind.SPO2: (TargetParameter.SPO2,),
    ReadingKind.TEMPERATURE: (TargetParameter.TEMPERATURE,),
    ReadingKind.RESP_RATE: (TargetParameter.RESP_RATE,),
}
BUCKET_LABELS = {"D": _("daily"), "h": _("hourly"), "5min": _("5-minute")}
SERIES_CLASS = {"value": "trend-line", "value2": "trend-line trend-line-2"}


def _scale(low: float, high: float, size: float, start: float, *, invert: bool):
    span = (high - low) or 1.0

    def at(value: float) -> float:
        share = (value - low) / span
        return round(start + (size * (1 - share) if invert else size * share), 1)

    return at


def trend_chart(*, kind: str, daily, targets: dict[str, PatientTarget]) -> dict:
    """{"title", "svg", "summary", ...} for one kind's aggregates (telemonitor.selectors.reading_trends)."""
    columns = [c for c in ("value", "value2") if f"{c}_mean" in daily.columns]
    bands = [targets[p] for p in TARGETS.get(kind, ()) if p in targets]
    values = [v for c in columns for stat in ("min", "max") for v in daily[f"{c}_{stat}"].tolist()]
    values += [b for t in bands for b in (t.low, t.high) if b is not None]
    low, high = min(values), max(values)
    pad = max((high - low) * 0.1, 1.0)
    low, high = low - pad, high + pad
    days = list(daily.index)
    label_format = "%m-%d" if daily.attrs.get("bucket", "D") == "D" else "%m-%d %H:%M"
    x = _scale(0, max(len(days) - 1, 1), WIDTH - LEFT - RIGHT, LEFT, invert=False)
    y = _scale(low, high, HEIGHT - TOP - BOTTOM, TOP, invert=True)

    parts = [format_html('<svg class="trend" viewBox="0 0 {} {}" role="img" aria-label="{}">', WIDTH, HEIGHT,
                         TITLES.get(kind, kind))]
    for target in bands:
        top = y(target.high) if target.high is not None else TOP
        bottom = y(target.low) if target.low is not None else HEIGHT - BOTTOM
        parts.append(format_html('<rect class="trend-target" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
                                 LEFT, top, WIDTH - LEFT - RIGHT, max(bottom - top, 0.5),
                                 _("Target: %(band)s") % {"band": _band_text(target)}))
    for column in columns:
        mins, maxs, means = (daily[f"{column}_{s}"].tolist() for s in ("min", "max", "mean"))
        upper = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(maxs))
        lower = " ".join(f"{x(i)},{y(v)}" for i, v in reversed(list(enumerate(mins))))
        parts.append(format_html('<polygon class="trend-range" points="{} {}"/>', upper, lower))
        line = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(means))
        parts.append(format_html('<polyline class="{}" points="{}"/>', SERIES_CLASS[column], line))
        for i, v in enumerate(means):
            parts.append(format_html('<circle class="trend-dot" cx="{}" cy="{}" r="2.5"><title>{}: {}</title></circle>',
                                     x(i), y(v), days[i].strftime(label_format), f"{v:.1f}"))
    for tick in (low + pad, (low + high) / 2, high - pad):
        parts.append(format_html('<text class="trend-axis" x="{}" y="{}" text-anchor="end">{}</text>',
                                 LEFT - 4, y(tick) + 4, f"{tick:.0f}" if high - low > 8 else f"{tick:.1f}"))
    for i in sorted({0, len(days) - 1}):
        parts.append(format_html('<text class="trend-axis" x="{}" y="{}" text-anchor="{}">{}</text>', x(i), HEIGHT - 8,
                                 "start" if i == 0 else "end", days[i].strftime(label_format)))
    parts.append(mark_safe("</svg>"))
    last = daily.iloc[-1]
    summary = " / ".join(f"{last[f'{c}_mean']:.1f}" for c in columns)
    return {"kind": kind, "title": TITLES.get(kind, kind), "svg": SafeString("".join(parts)), "summary": escape(summary),
            "points": len(days), "bucket": BUCKET_LABELS[daily.attrs.get("bucket", "D")]}


def _band_text(target: PatientTarget) -> str:
    if target.low is None:
        return f"≤ {target.high:g}"
    if target.high is None:
        return f"≥ {target.low:g}"
    return f"{target.low:g}–{target.high:g}"


def trend_charts(*, trends: dict, targets: dict[str, PatientTarget]) -> list[dict]:
    order = list(TITLES)
    return [trend_chart(kind=kind, daily=trends[kind], targets=targets)
            for kind in sorted(trends, key=lambda k: order.index(k) if k in order else 99)]
