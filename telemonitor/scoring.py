"""Vital-sign scoring for home monitoring: NEWS2, blood-pressure category, glucose band.

Pure functions, no Django: the Celery scorer feeds them plain values or a pandas DataFrame.

NEWS2 follows the Royal College of Physicians' National Early Warning Score 2 (2017), chart 1, band for band.

Rules this module keeps, and the choices it makes where the chart is silent:

* Rounding. A value between two printed bands is rounded half-up to the chart's precision before it is banded:
  whole numbers for respiration rate, SpO2, systolic pressure and pulse; one decimal for temperature. "Half-up" is
  decimal ROUND_HALF_UP on the number as written (``repr`` of the float), so 36.05 °C is 36.1 (1 point) even though the
  binary float 36.05 is a hair below it. Python's ``round`` (banker's rounding) is never used. The scalar
  :func:`news2` rounds with :mod:`decimal` and reads the printed bands; :func:`score_news2_frame` compares against
  the half-way points (``x >= 36.05`` is exactly "rounds half-up to 36.1 or more" for a float ``x``) — two
  independent routes that the property tests hold to the same answers.
* SpO2 Scale 2 is used only when ``spo2_scale == 2`` (a clinician set it for the patient); ``None`` means Scale 1.
  On Scale 2 an SpO2 of 93 % or more scores by air/oxygen; when whether the patient is on oxygen is unknown, those
  SpO2 points cannot be read off the chart, so ``spo2`` counts as missing as well as ``on_oxygen``.
* Consciousness is ACVPU, one letter, any case. New confusion (C) scores 3, like V, P and U.
* Risk: aggregate 0–4 is "low", or "low-medium" when any single parameter scores 3; 5–6 "medium"; 7 or more "high".
* Partial sets. Any of the seven parameters may be missing (``None``; NaN in a frame). The total is then the sum of
  the points present, ``partial`` is true and ``missing`` names what is absent. Missing points can only raise the
  total, so the risk of a partial set is a floor: "low-medium", "medium" and "high" stand as they are, but a partial
  set never reads "low" — its risk is "incomplete" instead (RISK_INCOMPLETE), and the patient is asked to measure
  the rest rather than reassured.
* Non-finite values (±inf) are refused with ValueError; NaN is the same as missing.

Stored scores carry ALGORITHM_VERSION so that a reading set is scored once per version of these rules.
"""

from __future__ import annotations

import hashlib
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal

import numpy as np
import pandas as pd

ALGORITHM_VERSION = "news2-rcp-2017.1"

RISK_LOW = "low"
RISK_LOW_MEDIUM = "low-medium"
RISK_MEDIUM = "medium"
RISK_HIGH = "high"
RISK_INCOMPLETE = "incomplete"
# Category order of the frame's news2_risk column (codes 0..4).
RISK_LEVELS = (RISK_INCOMPLETE, RISK_LOW, RISK_LOW_MEDIUM, RISK_MEDIUM, RISK_HIGH)

# The seven scored parameters, in chart order. spo2_scale is a setting, not a parameter: it is never "missing".
PARAMETERS = ("resp_rate", "spo2", "on_oxygen", "systolic_bp", "pulse", "consciousness", "temperature")
ARGUMENTS = ("resp_rate", "spo2", "spo2_scale", "on_oxygen", "systolic_bp", "pulse", "consciousness", "temperature")

ACVPU_POINTS = {"A": 0, "C": 3, "V": 3, "P": 3, "U": 3}

BP_CATEGORIES = ("normal", "elevated", "stage1", "stage2", "crisis")
GLUCOSE_BANDS = ("very_low", "low", "in_range", "high", "very_high")

# Reading kinds that feed a NEWS2 set, and the news2() argument each one fills.
KIND_RESP_RATE = "resp_rate"
KIND_SPO2 = "spo2"
KIND_BLOOD_PRESSURE = "blood_pressure"
KIND_HEART_RATE = "heart_rate"
KIND_CONSCIOUSNESS = "consciousness"
KIND_TEMPERATURE = "temperature"
KIND_TO_PARAMETER = {
    KIND_RESP_RATE: "resp_rate",
    KIND_SPO2: "spo2",
    KIND_BLOOD_PRESSURE: "systolic_bp",
    KIND_HEART_RATE: "pulse",
    KIND_CONSCIOUSNESS: "consciousness",
    KIND_TEMPERATURE: "temperature",
}

# Enough digits to quantize any finite float exactly (the largest has 309 integer digits).
_DECIMAL = Context(prec=1000, rounding=ROUND_HALF_UP)
_WHOLE = Decimal(1)
_TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class News2Points:
    """Points per NEWS2 parameter; None where the parameter is missing."""

    resp_rate: int | None
    spo2: int | None
    on_oxygen: int | None
    systolic_bp: int | None
    pulse: int | None
    consciousness: int | None
    temperature: int | None


@dataclass(frozen=True, slots=True)
class News2Score:
    total: int
    risk: str
    points: News2Points
    partial: bool
    missing: tuple[str, ...]
    algorithm_version: str = ALGORITHM_VERSION


# ---------------------------------------------------------------------------------------------------------------------
# Scalar NEWS2: round half-up with decimal, then read the printed bands of chart 1.


def _is_missing(value) -> bool:
    """None, NaN or pd.NA: what a frame's missing cell turns into when taken out one row at a time."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _as_decimal(name: str, value) -> Decimal | None:
    """The value as written, or None when missing. Floats go through repr so 36.05 stays 36.05."""
    if _is_missing(value):
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real | Decimal):
        raise TypeError(f"{name} must be a number or None, not {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, numbers.Integral):
        number = Decimal(int(value))
    else:
        number = Decimal(repr(float(value)))
    if number.is_nan():
        return None
    if number.is_infinite():
        raise ValueError(f"{name} must be finite, not {value!r}")
    return number


def _rounded(name: str, value, precision: Decimal) -> Decimal | None:
    number = _as_decimal(name, value)
    return None if number is None else number.quantize(precision, context=_DECIMAL)


def _resp_rate_points(rr: Decimal) -> int:
    if rr <= 8:
        return 3
    if rr <= 11:
        return 1
    if rr <= 20:
        return 0
    if rr <= 24:
        return 2
    return 3


def _spo2_scale1_points(spo2: Decimal) -> int:
    if spo2 <= 91:
        return 3
    if spo2 <= 93:
        return 2
    if spo2 <= 95:
        return 1
    return 0


def _spo2_scale2_points(spo2: Decimal, on_oxygen: bool | None) -> int | None:
    if spo2 <= 83:
        return 3
    if spo2 <= 85:
        return 2
    if spo2 <= 87:
        return 1
    if spo2 <= 92:
        return 0
    # 93 % or more: on air scores 0, on oxygen it is a sign of over-oxygenation.
    if on_oxygen is None:
        return None
    if not on_oxygen:
        return 0
    if spo2 <= 94:
        return 1
    if spo2 <= 96:
        return 2
    return 3


def _systolic_points(bp: Decimal) -> int:
    if bp <= 90:
        return 3
    if bp <= 100:
        return 2
    if bp <= 110:
        return 1
    if bp <= 219:
        return 0
    return 3


def _pulse_points(pulse: Decimal) -> int:
    if pulse <= 40:
        return 3
    if pulse <= 50:
        return 1
    if pulse <= 90:
        return 0
    if pulse <= 110:
        return 1
    if pulse <= 130:
        return 2
    return 3


def _temperature_points(temp: Decimal) -> int:
    if temp <= Decimal("35.0"):
        return 3
    if temp <= Decimal("36.0"):
        return 1
    if temp <= Decimal("38.0"):
        return 0
    if temp <= Decimal("39.0"):
        return 1
    return 2


def _consciousness_points(value) -> int | None:
    if _is_missing(value):
        return None
    if not isinstance(value, str) or value.upper() not in ACVPU_POINTS:
        raise ValueError(f"consciousness must be one of A, C, V, P, U (any case) or None, not {value!r}")
    return ACVPU_POINTS[value.upper()]


def _oxygen_flag(value) -> bool:
    """True (on oxygen) or False (air), given as a bool or as the number 1 or 0."""
    if isinstance(value, bool | np.bool_) or (isinstance(value, numbers.Real) and value in (0, 1)):
        return bool(value)
    raise TypeError(f"on_oxygen must be True, False (or 1, 0) or None, not {value!r}")


def _risk(total: int, any_three: bool, partial: bool) -> str:
    if total >= 7:
        return RISK_HIGH
    if total >= 5:
        return RISK_MEDIUM
    if any_three:
        return RISK_LOW_MEDIUM
    return RISK_INCOMPLETE if partial else RISK_LOW


def _check_scale(value) -> int:
    if _is_missing(value):
        return 1
    if isinstance(value, bool | np.bool_) or value not in (1, 2):
        raise ValueError(f"spo2_scale must be 1, 2 or None, not {value!r}")
    return int(value)


def news2(*, resp_rate, spo2, spo2_scale, on_oxygen, systolic_bp, pulse, consciousness, temperature) -> News2Score:
    """NEWS2 (RCP 2017, chart 1) for one set of observations; any argument may be None (see the module docstring)."""
    scale = _check_scale(spo2_scale)
    oxygen = None if _is_missing(on_oxygen) else _oxygen_flag(on_oxygen)

    rr = _rounded("resp_rate", resp_rate, _WHOLE)
    sat = _rounded("spo2", spo2, _WHOLE)
    bp = _rounded("systolic_bp", systolic_bp, _WHOLE)
    hr = _rounded("pulse", pulse, _WHOLE)
    temp = _rounded("temperature", temperature, _TENTH)

    if sat is None:
        spo2_points = None
    elif scale == 2:
        spo2_points = _spo2_scale2_points(sat, oxygen)
    else:
        spo2_points = _spo2_scale1_points(sat)

    points = News2Points(
        resp_rate=None if rr is None else _resp_rate_points(rr),
        spo2=spo2_points,
        on_oxygen=None if oxygen is None else (2 if oxygen else 0),
        systolic_bp=None if bp is None else _systolic_points(bp),
        pulse=None if hr is None else _pulse_points(hr),
        consciousness=_consciousness_points(consciousness),
        temperature=None if temp is None else _temperature_points(temp),
    )
    values = {name: getattr(points, name) for name in PARAMETERS}
    missing = tuple(name for name, p in values.items() if p is None)
    present = [p for p in values.values() if p is not None]
    total = sum(present)
    partial = bool(missing)
    return News2Score(total=total, risk=_risk(total, 3 in present, partial), points=points, partial=partial, missing=missing)


# ---------------------------------------------------------------------------------------------------------------------
# Vectorised NEWS2. Each numeric band table is (half-way edges, points per band): a float x that rounds half-up into
# band i satisfies edges[i-1] <= x < edges[i], with the edges written as the decimal half-way points.

_RESP_RATE_BANDS = ((8.5, 11.5, 20.5, 24.5), (3, 1, 0, 2, 3))
_SPO2_SCALE1_BANDS = ((91.5, 93.5, 95.5), (3, 2, 1, 0))
_SPO2_SCALE2_EDGES = (83.5, 85.5, 87.5, 92.5, 94.5, 96.5)
_SPO2_SCALE2_AIR = (3, 2, 1, 0, 0, 0, 0)
_SPO2_SCALE2_OXYGEN = (3, 2, 1, 0, 1, 2, 3)
_SPO2_SCALE2_BY_OXYGEN_FROM = 92.5  # 93 % or more once rounded: Scale 2 then depends on air or oxygen
_SYSTOLIC_BANDS = ((90.5, 100.5, 110.5, 219.5), (3, 2, 1, 0, 3))
_PULSE_BANDS = ((40.5, 50.5, 90.5, 110.5, 130.5), (3, 1, 0, 1, 2, 3))
_TEMPERATURE_BANDS = ((35.05, 36.05, 38.05, 39.05), (3, 1, 0, 1, 2))
_RISK_DTYPE = pd.CategoricalDtype(RISK_LEVELS)
_NUMERIC_KINDS = {"empty", "integer", "floating", "mixed-integer-float", "decimal"}  # pandas' infer_dtype names
# Object columns with at most this many distinct objects are factorized by identity (see _distinct_codes).
_MAX_DISTINCT_OBJECTS = 1024


def _band_points(x: np.ndarray, edges: Iterable[float], table: Iterable[int]) -> np.ndarray:
    """table[band of x] as int8, built as the lowest band's points plus each step up at each edge x reaches.

    One comparison per edge and int8 adds: cheaper than searchsorted, np.select or a gather. NaN reaches no edge, so
    it gets the lowest band's points; callers mask it.
    """
    table = tuple(table)
    points = np.full(x.shape, table[0], dtype=np.int8)
    for edge, step in zip(edges, np.diff(table), strict=True):
        if step:
            reached = (x >= edge).view(np.int8)
            points += reached if step == 1 else reached * np.int8(step)
    return points


def _banded(column: tuple[np.ndarray, np.ndarray], bands) -> tuple[np.ndarray, np.ndarray]:
    """(points, missing) for a numeric parameter; points are 0 where missing."""
    values, missing = column
    points = _band_points(values, *bands)
    points[missing] = 0
    return points, missing


def _float_values(column: pd.Series, name: str) -> np.ndarray:
    """The column as float64 (NaN where missing); text, truth values and infinities are refused, as news2() does."""
    numeric = pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)
    # Numbers in an object column (all missing, Decimals) are fine; "12" or True would be converted silently.
    if not numeric and pd.api.types.infer_dtype(column, skipna=True) not in _NUMERIC_KINDS:
        raise ValueError(f"{name} must hold numbers or missing values")
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        raise ValueError(f"{name} must be finite")
    return values


def _numeric_column(df: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(values as float64, missing)."""
    values = _float_values(df[name], f"column {name}")
    return values, np.isnan(values)


def _distinct_codes(column: pd.Series) -> tuple[np.ndarray, Iterable]:
    """(codes, distinct values) of a column of few distinct values; missing values may be among the distinct ones."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), column.cat.categories
    values = column.to_numpy()
    if values.dtype == object:
        # Hash each cell's object identity (one machine word) rather than its value: five to eight times faster, and
        # such columns hold a few shared objects (True, False, None, one-letter strings, which CPython caches). The
        # distinct objects found are still checked by value. `values` keeps every object alive meanwhile, so equal
        # identities are the same object. Columns of many distinct objects are factorized by value instead.
        values = np.ascontiguousarray(values)
        identities = np.frombuffer(memoryview(values), dtype=np.uintp)
        codes, distinct = pd.factorize(identities)
        if len(distinct) <= _MAX_DISTINCT_OBJECTS:
            return codes, values[_one_cell_each(codes, len(distinct))]
    return pd.factorize(column, use_na_sentinel=True)


def _one_cell_each(codes: np.ndarray, count: int) -> np.ndarray:
    """The position of one cell per code 0..count-1, looking no further than needed.

    pd.factorize numbers values in order of first appearance, so the first n cells hold every code once their
    largest code is count - 1.
    """
    head = codes
    size = 4096
    while size < len(codes):
        if codes[:size].max() == count - 1:
            head = codes[:size]
            break
        size *= 16
    where = np.empty(count, dtype=np.intp)
    where[head] = np.arange(len(head))
    return where


def _mapped(column: pd.Series, name: str, mapping: Mapping, *, key=lambda value: value) -> tuple[np.ndarray, np.ndarray]:
    """(mapping[key(value)] per cell as int8, missing); points are 0 where missing. Unknown values are refused."""
    codes, distinct = _distinct_codes(column)
    table = np.full(len(distinct) + 1, -1, dtype=np.int8)  # -1: missing; code -1 (from pd.factorize) is the last slot
    refused = []
    for i, value in enumerate(distinct):
        if _is_missing(value):
            continue
        try:
            table[i] = mapping[key(value)]
        except (KeyError, TypeError, ValueError):
            refused.append(i)
    if refused:
        # Only a categorical can list values no cell holds; those do not matter.
        held = np.isin(codes, refused)
        if held.any():
            raise ValueError(f"column {name} holds {distinct[codes[held.argmax()]]!r}, which is not allowed")
    points = np.take(table, codes)
    missing = points < 0
    points[missing] = 0
    return points, missing


def _oxygen_column(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(on_oxygen, missing) as two bool arrays."""
    column = df["on_oxygen"]
    if column.dtype == np.bool_:
        values = column.to_numpy()
        return values, np.zeros(values.shape, dtype=bool)
    if isinstance(column.dtype, pd.BooleanDtype):
        return column.to_numpy(dtype=bool, na_value=False), column.isna().to_numpy()
    flags, missing = _mapped(column, "on_oxygen", {False: 0, True: 1}, key=_oxygen_flag)
    return flags.view(bool), missing


def _scale_column(df: pd.DataFrame) -> np.ndarray:
    """True where Scale 2 applies. Missing means Scale 1; anything but 1 or 2 is refused."""
    column = df["spo2_scale"]
    if column.dtype == object or column.dtype == np.bool_:
        return _mapped(column, "spo2_scale", {1: False, 2: True}, key=_check_scale)[0].view(bool)
    scale, missing = _numeric_column(df, "spo2_scale")
    scale2 = scale == 2
    if not (scale2 | (scale == 1) | missing).all():
        raise ValueError("column spo2_scale must hold 1, 2 or missing values")
    return scale2


def _spo2_points(column: tuple[np.ndarray, np.ndarray], scale2: np.ndarray, oxygen: np.ndarray, oxygen_missing: np.ndarray):
    """(points, unscored) for SpO2: missing, or on Scale 2 at 93 % or more with air/oxygen unknown."""
    spo2, unscored = column
    points = _band_points(spo2, *_SPO2_SCALE1_BANDS)
    if scale2.any():
        rows = np.flatnonzero(scale2)
        saturation = spo2[rows]
        points[rows] = np.where(
            oxygen[rows],
            _band_points(saturation, _SPO2_SCALE2_EDGES, _SPO2_SCALE2_OXYGEN),
            _band_points(saturation, _SPO2_SCALE2_EDGES, _SPO2_SCALE2_AIR),
        )
        unscored[rows] |= oxygen_missing[rows] & (saturation >= _SPO2_SCALE2_BY_OXYGEN_FROM)
    points[unscored] = 0
    return points, unscored


def score_news2_frame(df: pd.DataFrame) -> pd.DataFrame:
    """NEWS2 for every row of `df`, whose columns are news2()'s argument names; returns a new frame with added columns.

    Missing values are NaN/None; `consciousness` holds ACVPU letters (strings or a categorical), `on_oxygen` bools
    (or a nullable boolean), `spo2_scale` 1, 2 or missing (Scale 1). Adds `news2_total` (int8), `news2_risk`
    (categorical over RISK_LEVELS), `news2_partial` (bool) and `news2_points_<parameter>` (nullable Int8, NA where
    missing). Same answers as news2() row by row, without a row-wise apply. The input frame is not modified.
    """
    absent = [name for name in ARGUMENTS if name not in df.columns]
    if absent:
        raise ValueError(f"the frame lacks the column(s) {', '.join(absent)}")

    oxygen, oxygen_missing = _oxygen_column(df)  # False where missing
    scored = {
        "resp_rate": _banded(_numeric_column(df, "resp_rate"), _RESP_RATE_BANDS),
        "spo2": _spo2_points(_numeric_column(df, "spo2"), _scale_column(df), oxygen, oxygen_missing),
        "on_oxygen": (oxygen.view(np.int8) * np.int8(2), oxygen_missing),
        "systolic_bp": _banded(_numeric_column(df, "systolic_bp"), _SYSTOLIC_BANDS),
        "pulse": _banded(_numeric_column(df, "pulse"), _PULSE_BANDS),
        "consciousness": _mapped(df["consciousness"], "consciousness", ACVPU_POINTS, key=str.upper),
        "temperature": _banded(_numeric_column(df, "temperature"), _TEMPERATURE_BANDS),
    }

    total = np.zeros(len(df), dtype=np.int8)
    partial = np.zeros(len(df), dtype=bool)
    highest = np.zeros(len(df), dtype=np.int8)
    for points, missing in scored.values():
        total += points
        partial |= missing
        np.maximum(highest, points, out=highest)

    # Codes into RISK_LEVELS: incomplete 0, low 1, low-medium 2 (a single 3), then medium 3 (5-6), high 4 (7+).
    risk = np.where(highest == 3, np.int8(2), (~partial).view(np.int8))
    np.maximum(risk, (total >= 5).view(np.int8) * np.int8(3) + (total >= 7).view(np.int8), out=risk)

    added = {
        "news2_total": pd.Series(total, index=df.index, copy=False),
        "news2_risk": pd.Series(pd.Categorical.from_codes(risk, dtype=_RISK_DTYPE, validate=False), index=df.index),
        "news2_partial": pd.Series(partial, index=df.index, copy=False),
    }
    for name, (points, missing) in scored.items():
        added[f"news2_points_{name}"] = pd.Series(pd.arrays.IntegerArray(points, missing), index=df.index, copy=False)
    return df.assign(**added)


# ---------------------------------------------------------------------------------------------------------------------
# Blood pressure (ACC/AHA 2017) and glucose (international consensus on time in range, 2019).

# Whole mmHg, rounded half-up as for NEWS2: systolic 120–129 elevated, 130–139 stage 1, 140–180 stage 2, above 180
# crisis; diastolic 80–89 stage 1, 90–120 stage 2, above 120 crisis. The category is the higher of the two.
_SYSTOLIC_CATEGORY = ((119.5, 129.5, 139.5, 180.5), (0, 1, 2, 3, 4))
_DIASTOLIC_CATEGORY = ((79.5, 89.5, 120.5), (0, 2, 3, 4))


def _systolic_category(value: Decimal) -> int:
    if value < 120:
        return 0
    if value <= 129:
        return 1
    if value <= 139:
        return 2
    if value <= 180:
        return 3
    return 4


def _diastolic_category(value: Decimal) -> int:
    if value < 80:
        return 0
    if value <= 89:
        return 2
    if value <= 120:
        return 3
    return 4


def bp_category(systolic, diastolic) -> str | None:
    """ACC/AHA 2017 category of one reading in mmHg: the higher of the systolic and diastolic categories.

    Values are rounded half-up to whole mmHg first. None when either value is missing: a category read from half a
    reading could understate it.
    """
    systolic_mmhg = _rounded("systolic", systolic, _WHOLE)
    diastolic_mmhg = _rounded("diastolic", diastolic, _WHOLE)
    if systolic_mmhg is None or diastolic_mmhg is None:
        return None
    return BP_CATEGORIES[max(_systolic_category(systolic_mmhg), _diastolic_category(diastolic_mmhg))]


def _as_float_array(values, name: str) -> np.ndarray:
    return _float_values(pd.Series(values, copy=False), name)


def _category_series(codes: np.ndarray, categories: tuple[str, ...], *inputs) -> pd.Series:
    index = next((x.index for x in inputs if isinstance(x, pd.Series)), None)
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=index)


def bp_categories(systolic, diastolic) -> pd.Series:
    """bp_category() over arrays or Series; a categorical Series, NaN where either value is missing."""
    systolic_mmhg = _as_float_array(systolic, "systolic")
    diastolic_mmhg = _as_float_array(diastolic, "diastolic")
    codes = np.maximum(_band_points(systolic_mmhg, *_SYSTOLIC_CATEGORY), _band_points(diastolic_mmhg, *_DIASTOLIC_CATEGORY))
    codes[np.isnan(systolic_mmhg) | np.isnan(diastolic_mmhg)] = -1
    return _category_series(codes, BP_CATEGORIES, systolic, diastolic)


def glucose_band(mmol_per_l) -> str | None:
    """Time-in-range band of a glucose value in mmol/L: <3.0, 3.0 to <3.9, 3.9–10.0, >10.0–13.9, >13.9. None if missing.

    The consensus bands have no gaps, so the value is compared as given, without rounding.
    """
    value = _as_decimal("mmol_per_l", mmol_per_l)
    if value is None:
        return None
    if value < Decimal("3.0"):
        return "very_low"
    if value < Decimal("3.9"):
        return "low"
    if value <= Decimal("10.0"):
        return "in_range"
    if value <= Decimal("13.9"):
        return "high"
    return "very_high"


def glucose_bands(mmol_per_l) -> pd.Series:
    """glucose_band() over an array or Series; a categorical Series, NaN where missing."""
    values = _as_float_array(mmol_per_l, "mmol_per_l")
    # The same comparisons as glucose_band(): x >= 3.0, x >= 3.9, x > 10.0, x > 13.9.
    codes = ((values >= 3.0).astype(np.int8) + (values >= 3.9) + (values > 10.0) + (values > 13.9)).astype(np.int8)
    codes[np.isnan(values)] = -1
    return _category_series(codes, GLUCOSE_BANDS, mmol_per_l)


# ---------------------------------------------------------------------------------------------------------------------
# Building a NEWS2 set from readings that arrive at different times.


@dataclass(frozen=True, slots=True)
class News2Set:
    """news2() keyword arguments gathered from readings, and which reading supplied each parameter."""

    arguments: dict
    used: dict  # parameter name -> reading id

    @property
    def reading_ids(self) -> tuple:
        """Ids of the readings used, each once, in chart order."""
        return tuple(dict.fromkeys(self.used.values()))

    @property
    def key(self) -> str:
        """A fixed-length key for the set of readings (sha256 of the sorted ids), for a unique constraint."""
        text = "\n".join(sorted(str(reading_id) for reading_id in self.reading_ids))
        return hashlib.sha256(text.encode()).hexdigest()


def _field(reading, name: str):
    if isinstance(reading, Mapping):
        return reading.get(name)
    return getattr(reading, name, None)


def build_news2_set(readings: Iterable, *, at: datetime, window: timedelta = timedelta(hours=1), spo2_scale=None) -> News2Set:
    """The latest reading of each NEWS2 parameter measured within [at - window, at].

    Each reading (an object or a mapping) has `id`, `kind`, `measured_at` (timezone-aware), `value` (canonical unit;
    the systolic pressure for blood_pressure, the ACVPU letter for consciousness) and, for SpO2, `on_oxygen`. Air or
    oxygen comes from the SpO2 reading chosen, as the two are recorded together. Readings of other kinds, readings
    without a value and readings measured after `at` are ignored. Ties on measured_at go to the greater id (the later
    received). `spo2_scale` is the patient's setting (None: Scale 1), passed through to news2().
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    start = at - window
    latest: dict[str, object] = {}
    for reading in readings:
        parameter = KIND_TO_PARAMETER.get(_field(reading, "kind"))
        measured_at = _field(reading, "measured_at")
        if parameter is None or _field(reading, "value") is None or not (start <= measured_at <= at):
            continue
        best = latest.get(parameter)
        if best is None or (measured_at, _field(reading, "id")) > (_field(best, "measured_at"), _field(best, "id")):
            latest[parameter] = reading

    arguments = dict.fromkeys(ARGUMENTS)
    arguments["spo2_scale"] = spo2_scale
    used = {}
    for parameter in PARAMETERS:
        if parameter == "on_oxygen":
            reading = latest.get("spo2")
            value = None if reading is None else _field(reading, "on_oxygen")
        else:
            reading = latest.get(parameter)
            value = None if reading is None else _field(reading, "value")
        if value is not None:
            arguments[parameter] = value
            used[parameter] = _field(reading, "id")
    return News2Set(arguments=arguments, used=used)
