"""Vital-sign scoring: NEWS2 (RCP 2017 chart 1) band by band, BP category, glucose band, building a NEWS2 set.

Band-edge tests run through both the scalar news2() and the vectorised score_news2_frame(); the property tests hold
the two to the same answers on random inputs. No database.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telemonitor.scoring import (
    ALGORITHM_VERSION,
    PARAMETERS,
    RISK_LEVELS,
    bp_categories,
    bp_category,
    build_news2_set,
    glucose_band,
    glucose_bands,
    news2,
    score_news2_frame,
)

# A complete set scoring 0 on every parameter; tests change one or two values.
NORMAL = {
    "resp_rate": 16,
    "spo2": 97,
    "spo2_scale": None,
    "on_oxygen": False,
    "systolic_bp": 120,
    "pulse": 70,
    "consciousness": "A",
    "temperature": 37.0,
}


def observations(**changes) -> dict:
    return {**NORMAL, **changes}


def score_scalar(**arguments) -> dict:
    result = news2(**arguments)
    points = {name: getattr(result.points, name) for name in PARAMETERS}
    return {"total": result.total, "risk": result.risk, "partial": result.partial, "points": points}


def score_frame(**arguments) -> dict:
    row = score_news2_frame(pd.DataFrame([arguments])).iloc[0]
    points = {name: (None if pd.isna(row[f"news2_points_{name}"]) else int(row[f"news2_points_{name}"])) for name in PARAMETERS}
    return {"total": int(row["news2_total"]), "risk": row["news2_risk"], "partial": bool(row["news2_partial"]), "points": points}


@pytest.fixture(params=["scalar", "frame"])
def score(request):
    return score_scalar if request.param == "scalar" else score_frame


# ---------------------------------------------------------------------------------------------------------------------
# Chart 1, every printed band edge.


@pytest.mark.parametrize(
    ("resp_rate", "points"), [(0, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (60, 3)]
)
def test_resp_rate_bands(score, resp_rate, points):
    assert score(**observations(resp_rate=resp_rate))["points"]["resp_rate"] == points


@pytest.mark.parametrize("on_oxygen", [False, True])
@pytest.mark.parametrize(("spo2", "points"), [(70, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)])
def test_spo2_scale1_bands_are_the_same_on_air_and_oxygen(score, spo2, points, on_oxygen):
    assert score(**observations(spo2=spo2, spo2_scale=1, on_oxygen=on_oxygen))["points"]["spo2"] == points


def test_spo2_scale_none_means_scale1(score):
    assert score(**observations(spo2=88, spo2_scale=None))["points"]["spo2"] == 3


@pytest.mark.parametrize(
    ("spo2", "points"), [(70, 3), (83, 3), (84, 2), (85, 2), (86, 1), (87, 1), (88, 0), (92, 0), (93, 0), (97, 0), (100, 0)]
)
def test_spo2_scale2_bands_on_air(score, spo2, points):
    assert score(**observations(spo2=spo2, spo2_scale=2, on_oxygen=False))["points"]["spo2"] == points


@pytest.mark.parametrize(
    ("spo2", "points"),
    [
        (70, 3),
        (83, 3),
        (84, 2),
        (85, 2),
        (86, 1),
        (87, 1),
        (88, 0),
        (92, 0),
        (93, 1),
        (94, 1),
        (95, 2),
        (96, 2),
        (97, 3),
        (100, 3),
    ],
)
def test_spo2_scale2_bands_on_oxygen(score, spo2, points):
    assert score(**observations(spo2=spo2, spo2_scale=2, on_oxygen=True))["points"]["spo2"] == points


@pytest.mark.parametrize(("on_oxygen", "points"), [(True, 2), (False, 0)])
def test_air_or_oxygen(score, on_oxygen, points):
    assert score(**observations(on_oxygen=on_oxygen))["points"]["on_oxygen"] == points


@pytest.mark.parametrize(
    ("systolic_bp", "points"), [(60, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3), (260, 3)]
)
def test_systolic_bp_bands(score, systolic_bp, points):
    assert score(**observations(systolic_bp=systolic_bp))["points"]["systolic_bp"] == points


@pytest.mark.parametrize(
    ("pulse", "points"),
    [(30, 3), (40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2), (130, 2), (131, 3), (180, 3)],
)
def test_pulse_bands(score, pulse, points):
    assert score(**observations(pulse=pulse))["points"]["pulse"] == points


@pytest.mark.parametrize(
    ("letter", "points"), [("A", 0), ("a", 0), ("C", 3), ("c", 3), ("V", 3), ("v", 3), ("P", 3), ("p", 3), ("U", 3), ("u", 3)]
)
def test_acvpu_new_confusion_scores_as_voice_pain_unresponsive(score, letter, points):
    assert score(**observations(consciousness=letter))["points"]["consciousness"] == points


@pytest.mark.parametrize(
    ("temperature", "points"),
    [(33.0, 3), (35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1), (39.1, 2), (41.0, 2)],
)
def test_temperature_bands(score, temperature, points):
    assert score(**observations(temperature=temperature))["points"]["temperature"] == points


# ---------------------------------------------------------------------------------------------------------------------
# Half-up rounding between printed bands (Python's round would send 8.5 to 8 and 36.05 to 36.0).


@pytest.mark.parametrize(
    ("changes", "parameter", "points"),
    [
        ({"resp_rate": 8.49}, "resp_rate", 3),
        ({"resp_rate": 8.5}, "resp_rate", 1),
        ({"resp_rate": 11.49}, "resp_rate", 1),
        ({"resp_rate": 11.5}, "resp_rate", 0),
        ({"resp_rate": 24.5}, "resp_rate", 3),
        ({"spo2": 91.5}, "spo2", 2),
        ({"spo2": 95.49}, "spo2", 1),
        ({"spo2": 95.5}, "spo2", 0),
        ({"spo2": 92.5, "spo2_scale": 2, "on_oxygen": True}, "spo2", 1),
        ({"spo2": 92.49, "spo2_scale": 2, "on_oxygen": True}, "spo2", 0),
        ({"systolic_bp": 90.5}, "systolic_bp", 2),
        ({"systolic_bp": 110.5}, "systolic_bp", 0),
        ({"systolic_bp": 219.49}, "systolic_bp", 0),
        ({"systolic_bp": 219.5}, "systolic_bp", 3),
        ({"pulse": 40.5}, "pulse", 1),
        ({"pulse": 90.49}, "pulse", 0),
        ({"pulse": 90.5}, "pulse", 1),
        ({"pulse": 130.5}, "pulse", 3),
        ({"temperature": 35.04}, "temperature", 3),
        ({"temperature": 35.05}, "temperature", 1),
        ({"temperature": 36.04}, "temperature", 1),
        ({"temperature": 36.05}, "temperature", 0),
        ({"temperature": 38.04}, "temperature", 0),
        ({"temperature": 38.05}, "temperature", 1),
        ({"temperature": 39.05}, "temperature", 2),
    ],
)
def test_values_between_bands_round_half_up(score, changes, parameter, points):
    assert score(**observations(**changes))["points"][parameter] == points


def test_half_up_is_not_bankers_rounding():
    # round(8.5) == 8 would score 3; round(38.05, 1) == 38.0 would score 0.
    assert (
        news2(**observations(resp_rate=8.5)).points.resp_rate,
        news2(**observations(temperature=38.05)).points.temperature,
    ) == (
        1,
        1,
    )


# ---------------------------------------------------------------------------------------------------------------------
# Aggregate and risk.


@pytest.mark.parametrize(
    ("changes", "total", "risk"),
    [
        ({}, 0, "low"),
        ({"resp_rate": 21, "on_oxygen": True}, 4, "low"),
        ({"consciousness": "V"}, 3, "low-medium"),
        ({"consciousness": "C", "pulse": 91}, 4, "low-medium"),
        ({"resp_rate": 21, "on_oxygen": True, "pulse": 91}, 5, "medium"),
        ({"resp_rate": 21, "on_oxygen": True, "pulse": 91, "temperature": 38.1}, 6, "medium"),
        ({"consciousness": "U", "on_oxygen": True}, 5, "medium"),
        ({"resp_rate": 21, "on_oxygen": True, "pulse": 91, "temperature": 38.1, "systolic_bp": 101}, 7, "high"),
        ({"resp_rate": 25, "spo2": 91, "systolic_bp": 90, "pulse": 131}, 12, "high"),
    ],
)
def test_total_and_risk_thresholds(score, changes, total, risk):
    result = score(**observations(**changes))
    assert (result["total"], result["risk"]) == (total, risk)


def test_complete_set_is_not_partial():
    result = news2(**NORMAL)
    assert (result.partial, result.missing, result.algorithm_version) == (False, (), ALGORITHM_VERSION)


# ---------------------------------------------------------------------------------------------------------------------
# Partial sets.


def test_partial_set_names_what_is_missing_in_chart_order():
    result = news2(**observations(temperature=None, resp_rate=None, consciousness=None))
    assert (result.partial, result.missing) == (True, ("resp_rate", "consciousness", "temperature"))


def test_partial_set_that_would_be_low_reads_incomplete(score):
    result = score(**observations(pulse=None))
    assert (result["total"], result["risk"], result["partial"]) == (0, "incomplete", True)


@pytest.mark.parametrize(("parameter", "value"), [("pulse", float("nan")), ("consciousness", float("nan")), ("on_oxygen", pd.NA)])
def test_nan_and_na_count_as_missing(score, parameter, value):
    result = score(**observations(**{parameter: value}))
    assert (result["points"][parameter], result["risk"]) == (None, "incomplete")


@pytest.mark.parametrize(
    ("changes", "risk"),
    [
        ({"pulse": None, "consciousness": "P"}, "low-medium"),
        ({"pulse": None, "resp_rate": 21, "on_oxygen": True, "temperature": 38.1}, "medium"),
        ({"pulse": None, "resp_rate": 25, "on_oxygen": True, "systolic_bp": 95}, "high"),
    ],
)
def test_partial_set_keeps_a_risk_above_low_as_a_floor(score, changes, risk):
    result = score(**observations(**changes))
    assert (result["risk"], result["partial"]) == (risk, True)


def test_nothing_measured_is_incomplete_with_all_seven_missing():
    result = news2(**dict.fromkeys(NORMAL))
    assert (result.total, result.risk, result.missing) == (0, "incomplete", PARAMETERS)


def test_scale2_at_93_or_more_without_air_or_oxygen_cannot_score_spo2(score):
    result = score(**observations(spo2=95, spo2_scale=2, on_oxygen=None))
    assert (result["points"]["spo2"], result["points"]["on_oxygen"], result["risk"]) == (None, None, "incomplete")


@pytest.mark.parametrize(("spo2", "points"), [(92.49, 0), (92.5, None)])
def test_scale2_without_air_or_oxygen_rounds_before_deciding_whether_spo2_can_be_scored(score, spo2, points):
    assert score(**observations(spo2=spo2, spo2_scale=2, on_oxygen=None))["points"]["spo2"] == points


def test_scale2_at_92_or_less_without_air_or_oxygen_still_scores_spo2(score):
    result = score(**observations(spo2=85, spo2_scale=2, on_oxygen=None))
    assert (result["points"]["spo2"], result["points"]["on_oxygen"]) == (2, None)


def test_scale1_without_air_or_oxygen_still_scores_spo2(score):
    assert score(**observations(spo2=95, on_oxygen=None))["points"]["spo2"] == 1


# ---------------------------------------------------------------------------------------------------------------------
# Refused inputs.


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"consciousness": "X"}, ValueError),
        ({"consciousness": "Alert"}, ValueError),
        ({"consciousness": ""}, ValueError),
        ({"spo2_scale": 3}, ValueError),
        ({"spo2_scale": True}, ValueError),
        ({"on_oxygen": "yes"}, TypeError),
        ({"on_oxygen": 0.5}, TypeError),
        ({"resp_rate": "12"}, TypeError),
        ({"pulse": True}, TypeError),
        ({"temperature": float("inf")}, ValueError),
    ],
)
def test_news2_refuses_values_off_the_chart(changes, error):
    with pytest.raises(error):
        news2(**observations(**changes))


@pytest.mark.parametrize(
    "changes",
    [
        {"consciousness": "X"},
        {"spo2_scale": 3},
        {"spo2_scale": "2"},
        {"on_oxygen": "yes"},
        {"on_oxygen": 0.5},
        {"resp_rate": "twelve"},
        {"resp_rate": "12"},
        {"pulse": True},
        {"temperature": float("inf")},
    ],
)
def test_frame_refuses_values_off_the_chart(changes):
    with pytest.raises(ValueError):
        score_news2_frame(pd.DataFrame([observations(**changes)]))


def test_frame_refuses_a_missing_column():
    with pytest.raises(ValueError, match="temperature"):
        score_news2_frame(pd.DataFrame([observations()]).drop(columns="temperature"))


# ---------------------------------------------------------------------------------------------------------------------
# The frame version's shape.


def test_frame_keeps_index_and_columns_and_adds_scores():
    frame = pd.DataFrame([observations(), observations(consciousness="V")], index=[10, 20])
    scored = score_news2_frame(frame)
    assert (
        list(scored.index),
        list(scored["news2_total"]),
        list(scored["news2_risk"]),
        list(scored.columns[: len(frame.columns)]),
    ) == ([10, 20], [0, 3], ["low", "low-medium"], list(frame.columns))


def test_frame_leaves_its_input_unchanged():
    frame = pd.DataFrame([observations(), observations(consciousness="V", on_oxygen=None)])
    before = frame.copy()
    score_news2_frame(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_frame_risk_is_categorical_over_the_risk_levels():
    scored = score_news2_frame(pd.DataFrame([observations()]))
    assert tuple(scored["news2_risk"].cat.categories) == RISK_LEVELS


def test_frame_accepts_categorical_consciousness_and_nullable_oxygen():
    frame = pd.DataFrame([observations(), observations(consciousness="p", on_oxygen=None)])
    frame["consciousness"] = frame["consciousness"].astype("category")
    frame["on_oxygen"] = frame["on_oxygen"].astype("boolean")
    scored = score_news2_frame(frame)
    assert (list(scored["news2_risk"]), list(scored["news2_points_on_oxygen"].isna())) == (["low", "low-medium"], [False, True])


def test_frame_finds_a_rare_letter_far_down_a_long_column():
    frame = pd.DataFrame([observations()] * 100_000)
    frame.loc[99_998, "consciousness"] = "U"
    frame.loc[99_999, "consciousness"] = "P"
    assert list(score_news2_frame(frame)["news2_points_consciousness"].iloc[-3:]) == [0, 3, 3]


def test_frame_refuses_a_bad_letter_far_down_a_long_column():
    frame = pd.DataFrame([observations()] * 100_000)
    frame.loc[99_999, "consciousness"] = "Q"
    with pytest.raises(ValueError, match="Q"):
        score_news2_frame(frame)


def test_frame_reads_a_column_of_many_distinct_objects_by_value():
    # 3,000 separate float objects (0.0, 1.0) and None: more distinct objects than the identity shortcut takes.
    flags = [float(i % 2) for i in range(2_999)] + [None]
    frame = pd.DataFrame([observations()] * len(flags))
    frame["on_oxygen"] = pd.Series(flags, dtype=object)
    points = score_news2_frame(frame)["news2_points_on_oxygen"]
    assert (list(points.iloc[:2]), points.isna().sum()) == ([0, 2], 1)


@pytest.mark.parametrize(("on_oxygen", "points"), [(1, 2), (0, 0), (1.0, 2), (np.True_, 2)])
def test_air_or_oxygen_may_be_given_as_one_or_zero(score, on_oxygen, points):
    assert score(**observations(on_oxygen=on_oxygen))["points"]["on_oxygen"] == points


def test_frame_reads_decimals_and_all_missing_object_columns():
    frame = pd.DataFrame([observations(temperature=Decimal("38.05"), pulse=None)])
    frame["pulse"] = frame["pulse"].astype(object)
    scored = score_news2_frame(frame).iloc[0]
    assert (scored["news2_points_temperature"], pd.isna(scored["news2_points_pulse"])) == (1, True)


def acvpu_categorical(*letters: str) -> pd.DataFrame:
    frame = pd.DataFrame([observations(consciousness=letter) for letter in letters])
    frame["consciousness"] = pd.Categorical(frame["consciousness"], categories=["A", "V", "Alert"])
    return frame


def test_frame_ignores_a_bad_category_no_cell_holds():
    assert list(score_news2_frame(acvpu_categorical("A", "V"))["news2_points_consciousness"]) == [0, 3]


def test_frame_refuses_a_bad_category_a_cell_holds():
    with pytest.raises(ValueError, match="Alert"):
        score_news2_frame(acvpu_categorical("A", "Alert"))


def test_frame_of_no_rows():
    scored = score_news2_frame(pd.DataFrame([observations()]).iloc[:0])
    assert len(scored) == 0 and "news2_total" in scored.columns


# ---------------------------------------------------------------------------------------------------------------------
# Property: the scalar and frame versions agree, missing values included.

# The half-way points between printed bands, per measurement; values are drawn at, and just either side of, them.
HALF_WAY = {
    "resp_rate": "8.5 11.5 20.5 24.5",
    "spo2": "83.5 85.5 87.5 91.5 92.5 93.5 94.5 95.5 96.5",
    "systolic_bp": "90.5 100.5 110.5 119.5 129.5 139.5 180.5 219.5",
    "diastolic_bp": "79.5 89.5 120.5",
    "pulse": "40.5 50.5 90.5 110.5 130.5",
    "temperature": "35.05 36.05 38.05 39.05",
    "glucose": "3.0 3.9 10.0 13.9",
}


def measurements(kind: str):
    near_edges = sorted(
        {float(Decimal(h) + Decimal(d)) for h in HALF_WAY[kind].split() for d in ("-0.01", "-0.001", "0", "0.001", "0.01")}
    )
    return st.one_of(
        st.none(),
        st.sampled_from(near_edges),
        st.integers(min_value=0, max_value=30_000).map(lambda n: n / 100),
        st.integers(min_value=-5, max_value=300),
        st.floats(allow_infinity=False),  # NaN (missing) and huge magnitudes
    )


rows = st.fixed_dictionaries(
    {
        "resp_rate": measurements("resp_rate"),
        "spo2": measurements("spo2"),
        "spo2_scale": st.sampled_from([None, 1, 2]),
        "on_oxygen": st.sampled_from([None, True, False]),
        "systolic_bp": measurements("systolic_bp"),
        "pulse": measurements("pulse"),
        "consciousness": st.sampled_from([None, "A", "a", "C", "v", "P", "U"]),
        "temperature": measurements("temperature"),
    }
)


@settings(max_examples=300, deadline=None)
@given(st.lists(rows, min_size=1, max_size=25))
def test_scalar_and_frame_agree(batch):
    scored = score_news2_frame(pd.DataFrame(batch))
    for arguments, (_, row) in zip(batch, scored.iterrows(), strict=True):
        expected = news2(**arguments)
        points = tuple(None if pd.isna(row[f"news2_points_{name}"]) else int(row[f"news2_points_{name}"]) for name in PARAMETERS)
        assert (int(row["news2_total"]), row["news2_risk"], bool(row["news2_partial"]), points) == (
            expected.total,
            expected.risk,
            expected.partial,
            tuple(getattr(expected.points, name) for name in PARAMETERS),
        )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(measurements("systolic_bp"), measurements("diastolic_bp")), min_size=1, max_size=25))
def test_bp_category_scalar_and_vectorised_agree(pairs):
    systolic, diastolic = zip(*pairs, strict=True)
    vectorised = bp_categories(list(systolic), list(diastolic))
    assert [None if pd.isna(c) else c for c in vectorised] == [bp_category(s, d) for s, d in pairs]


@settings(max_examples=200, deadline=None)
@given(st.lists(measurements("glucose"), min_size=1, max_size=25))
def test_glucose_band_scalar_and_vectorised_agree(values):
    vectorised = glucose_bands(values)
    assert [None if pd.isna(b) else b for b in vectorised] == [glucose_band(v) for v in values]


# ---------------------------------------------------------------------------------------------------------------------
# Blood pressure, ACC/AHA 2017.

BP_CASES = [
    (119, 79, "normal"),
    (120, 79, "elevated"),
    (129, 79, "elevated"),
    (130, 79, "stage1"),
    (119, 80, "stage1"),
    (120, 80, "stage1"),
    (139, 89, "stage1"),
    (140, 70, "stage2"),
    (110, 90, "stage2"),
    (180, 120, "stage2"),
    (181, 80, "crisis"),
    (150, 121, "crisis"),
    (119.49, 79.49, "normal"),
    (119.5, 70, "elevated"),
    (180.49, 100, "stage2"),
    (180.5, 100, "crisis"),
    (None, 80, None),
    (120, None, None),
]


@pytest.mark.parametrize(("systolic", "diastolic", "category"), BP_CASES)
def test_bp_category_boundaries(systolic, diastolic, category):
    assert bp_category(systolic, diastolic) == category


def test_bp_categories_over_series_keeps_index():
    systolic = pd.Series([s for s, _, _ in BP_CASES], index=range(100, 100 + len(BP_CASES)), dtype="float64")
    diastolic = pd.Series([d for _, d, _ in BP_CASES], index=systolic.index, dtype="float64")
    result = bp_categories(systolic, diastolic)
    assert (list(result.index), [None if pd.isna(c) else c for c in result]) == (
        list(systolic.index),
        [c for _, _, c in BP_CASES],
    )


def test_bp_categories_refuses_text():
    with pytest.raises(ValueError):
        bp_categories(["120"], [80])


def test_bp_category_refuses_infinity():
    with pytest.raises(ValueError):
        bp_category(float("inf"), 80)


# ---------------------------------------------------------------------------------------------------------------------
# Glucose, international consensus on time in range.

GLUCOSE_CASES = [
    (1.5, "very_low"),
    (2.99, "very_low"),
    (3.0, "low"),
    (3.89, "low"),
    (3.9, "in_range"),
    (10.0, "in_range"),
    (10.01, "high"),
    (13.9, "high"),
    (13.91, "very_high"),
    (25.0, "very_high"),
    (None, None),
]


@pytest.mark.parametrize(("value", "band"), GLUCOSE_CASES)
def test_glucose_band_boundaries(value, band):
    assert glucose_band(value) == band


def test_glucose_bands_over_an_array():
    values = np.array([v if v is not None else np.nan for v, _ in GLUCOSE_CASES])
    assert [None if pd.isna(b) else b for b in glucose_bands(values)] == [b for _, b in GLUCOSE_CASES]


def test_glucose_band_refuses_text():
    with pytest.raises(TypeError):
        glucose_band("5.5")


# ---------------------------------------------------------------------------------------------------------------------
# Building a NEWS2 set from readings that arrived at different times.

AT = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def reading(id, kind, value, minutes_ago, **extra) -> dict:
    return {"id": id, "kind": kind, "value": value, "measured_at": AT - timedelta(minutes=minutes_ago), **extra}


def test_news2_set_takes_the_latest_of_each_parameter_in_the_window():
    readings = [
        reading(1, "heart_rate", 120, 50),
        reading(2, "heart_rate", 80, 5),
        reading(3, "spo2", 95, 20, on_oxygen=True),
        reading(4, "blood_pressure", 135, 30, diastolic=85),
        reading(5, "temperature", 37.2, 10),
        reading(6, "resp_rate", 18, 15),
        reading(7, "consciousness", "A", 40),
        reading(8, "glucose", 6.1, 1),
    ]
    chosen = build_news2_set(readings, at=AT)
    assert (chosen.arguments, chosen.reading_ids) == (
        {
            "resp_rate": 18,
            "spo2": 95,
            "spo2_scale": None,
            "on_oxygen": True,
            "systolic_bp": 135,
            "pulse": 80,
            "consciousness": "A",
            "temperature": 37.2,
        },
        (6, 3, 4, 2, 7, 5),
    )


def test_news2_set_window_includes_its_start_and_excludes_older_and_later_readings():
    readings = [
        reading(1, "heart_rate", 80, 60),
        reading(2, "temperature", 37.0, 60.001),
        reading(3, "resp_rate", 18, -1),
    ]
    chosen = build_news2_set(readings, at=AT)
    assert (chosen.used, chosen.arguments["temperature"], chosen.arguments["resp_rate"]) == ({"pulse": 1}, None, None)


def test_news2_set_window_can_be_narrowed():
    chosen = build_news2_set([reading(1, "heart_rate", 80, 20)], at=AT, window=timedelta(minutes=15))
    assert chosen.used == {}


def test_news2_set_tie_goes_to_the_later_received_reading():
    chosen = build_news2_set([reading(9, "heart_rate", 80, 5), reading(8, "heart_rate", 120, 5)], at=AT)
    assert chosen.used == {"pulse": 9}


def test_news2_set_air_or_oxygen_comes_from_the_chosen_spo2_reading():
    readings = [reading(1, "spo2", 96, 30, on_oxygen=True), reading(2, "spo2", 94, 10)]
    chosen = build_news2_set(readings, at=AT)
    assert (chosen.arguments["spo2"], chosen.arguments["on_oxygen"], chosen.used) == (94, None, {"spo2": 2})


def test_news2_set_feeds_news2_and_passes_the_patients_scale():
    readings = [reading(1, "spo2", 95, 10, on_oxygen=True), reading(2, "heart_rate", 135, 10)]
    result = news2(**build_news2_set(readings, at=AT, spo2_scale=2).arguments)
    assert (result.points.spo2, result.points.on_oxygen, result.points.pulse, result.partial) == (2, 2, 3, True)


def test_news2_set_accepts_objects_with_attributes():
    class Reading:
        def __init__(self, **fields):
            self.__dict__.update(fields)

    chosen = build_news2_set([Reading(**reading("a1", "resp_rate", 22, 3))], at=AT)
    assert chosen.used == {"resp_rate": "a1"}


def test_news2_set_key_ignores_reading_order():
    readings = [reading(1, "heart_rate", 80, 5), reading(2, "resp_rate", 18, 5)]
    assert build_news2_set(readings, at=AT).key == build_news2_set(readings[::-1], at=AT).key


def test_news2_set_key_differs_for_different_readings():
    assert (
        build_news2_set([reading(1, "heart_rate", 80, 5)], at=AT).key
        != build_news2_set([reading(2, "heart_rate", 80, 5)], at=AT).key
    )


def test_news2_set_refuses_a_naive_time():
    with pytest.raises(ValueError):
        build_news2_set([], at=datetime(2025, 3, 1, 9, 0))
