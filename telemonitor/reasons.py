"""Why an alert was raised, stored as a code and its parameters and put into words when read.

An alert is read by people in different languages — the patient in their advice, the care team on their pages, each
recipient of a notification in their own preferred language — so the reason is never stored as text: the scorer
stores ``reason_code`` and ``reason_params`` (numbers and codes only), and ``reason_text`` renders them in the
active language. Codes of categories (ACC/AHA blood pressure, glucose bands, NEWS2 parameters) have their labels
here too, for every page that shows them.
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from telemonitor.models import Risk, TargetParameter

NEWS2 = "news2"
BP_CATEGORY = "bp_category"
GLUCOSE_BAND = "glucose_band"
TARGET = "target"
LEGACY = "legacy"  # a reason written as text before codes were stored (migration 0003) and not recognised

BP_CATEGORY_LABELS = {
    "normal": gettext_lazy("normal"),
    "elevated": gettext_lazy("elevated"),
    "stage1": gettext_lazy("stage 1 hypertension"),
    "stage2": gettext_lazy("stage 2 hypertension"),
    "crisis": gettext_lazy("hypertensive crisis"),
}
GLUCOSE_BAND_LABELS = {
    "very_low": gettext_lazy("very low"),
    "low": gettext_lazy("low"),
    "in_range": gettext_lazy("in range"),
    "high": gettext_lazy("high"),
    "very_high": gettext_lazy("very high"),
}
# A reading's stored ``category`` is one of these two sets (blood pressure or glucose).
READING_CATEGORY_LABELS = {**BP_CATEGORY_LABELS, **GLUCOSE_BAND_LABELS}

NEWS2_PARAMETER_LABELS = {
    "resp_rate": gettext_lazy("respiration rate"),
    "spo2": gettext_lazy("oxygen saturation"),
    "on_oxygen": gettext_lazy("air or oxygen"),
    "systolic_bp": gettext_lazy("systolic pressure"),
    "pulse": gettext_lazy("pulse"),
    "consciousness": gettext_lazy("consciousness"),
    "temperature": gettext_lazy("temperature"),
}

TARGET_PARAMETER_LABELS = {
    TargetParameter.SYSTOLIC: gettext_lazy("systolic pressure"),
    TargetParameter.DIASTOLIC: gettext_lazy("diastolic pressure"),
    TargetParameter.GLUCOSE: gettext_lazy("blood glucose"),
    TargetParameter.HEART_RATE: gettext_lazy("heart rate"),
    TargetParameter.SPO2: gettext_lazy("oxygen saturation"),
    TargetParameter.TEMPERATURE: gettext_lazy("temperature"),
    TargetParameter.RESP_RATE: gettext_lazy("respiration rate"),
}
TARGET_UNITS = {TargetParameter.SYSTOLIC: "mmHg", TargetParameter.DIASTOLIC: "mmHg", TargetParameter.GLUCOSE: "mmol/L",
                TargetParameter.HEART_RATE: "/min", TargetParameter.SPO2: "%", TargetParameter.TEMPERATURE: "°C",
                TargetParameter.RESP_RATE: "/min"}


def label(labels: dict, code) -> str:
    """The translated label of a code, or the code itself if unknown (never an empty cell)."""
    found = labels.get(code)
    return str(found) if found is not None else str(code or "")


def _number(value) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return "?"


def _band(low, high) -> str:
    if low is None:
        return f"≤ {_number(high)}"
    if high is None:
        return f"≥ {_number(low)}"
    return f"{_number(low)}–{_number(high)}"


def reason_text(code: str, params: dict) -> str:
    """The reason in the active language. Unknown codes fall back to the stored text or the code."""
    params = params or {}
    if code == NEWS2:
        return _("NEWS2 %(total)s (%(risk)s)") % {
            "total": params.get("total"), "risk": label(dict(Risk.choices), params.get("risk"))}
    if code == BP_CATEGORY:
        return _("blood pressure %(systolic)s/%(diastolic)s mmHg (%(category)s)") % {
            "systolic": _number(params.get("systolic")), "diastolic": _number(params.get("diastolic")),
            "category": label(BP_CATEGORY_LABELS, params.get("category"))}
    if code == GLUCOSE_BAND:
        return _("blood glucose %(value)s mmol/L (%(band)s)") % {
            "value": f"{float(params.get('value') or 0):.1f}", "band": label(GLUCOSE_BAND_LABELS, params.get("band"))}
    if code == TARGET:
        parameter = params.get("parameter")
        return _("%(parameter)s %(value)s %(unit)s (target %(band)s)") % {
            "parameter": label(TARGET_PARAMETER_LABELS, parameter), "value": _number(params.get("value")),
            "unit": TARGET_UNITS.get(parameter, ""), "band": _band(params.get("low"), params.get("high"))}
    return str(params.get("text") or code or "")


# --- reading the English text written before migration 0003 ------------------------------------------------------

_OLD_FORMS = (
    (NEWS2, re.compile(r"NEWS2 (?P<total>\d+) \((?P<risk>[a-z-]+)\)\Z"),
     lambda m: {"total": int(m["total"]), "risk": m["risk"]}),
    (BP_CATEGORY, re.compile(r"BP (?P<s>[\d.]+)/(?P<d>[\d.]+) mmHg \((?P<category>\w+)\)\Z"),
     lambda m: {"systolic": float(m["s"]), "diastolic": float(m["d"]), "category": m["category"]}),
    (GLUCOSE_BAND, re.compile(r"Glucose (?P<v>[\d.]+) mmol/L \((?P<band>\w+)\)\Z"),
     lambda m: {"value": float(m["v"]), "band": m["band"]}),
    (TARGET, re.compile(r"(?P<parameter>[a-z0-9_]+) (?P<v>-?[\d.]+) \S+ \(target (?P<band>[^)]*)\)\Z"),
     lambda m: {"parameter": m["parameter"], "value": float(m["v"]), **_old_band(m["band"])}),
)


def _old_band(text: str) -> dict:
    text = text.strip()
    if text.startswith("≤"):
        return {"low": None, "high": float(text[1:])}
    if text.startswith("≥"):
        return {"low": float(text[1:]), "high": None}
    low, _sep, high = text.partition("–")
    return {"low": float(low), "high": float(high)}


def reason_parse_legacy(text: str) -> tuple[str, dict]:
    """(code, params) of a reason stored as English text by the scorer before codes were stored."""
    for code, pattern, params in _OLD_FORMS:
        match = pattern.match(text or "")
        if match:
            try:
                return code, params(match)
            except ValueError:
                break
    return LEGACY, {"text": text or ""}
