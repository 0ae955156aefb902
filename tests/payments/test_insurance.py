"""Acceptance 2 (insurance): the split is exact to the fen for any prices, ratios, deductibles and caps, and its
rounding remainder goes to lines deterministically. Plus worked examples a person can check by hand."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.insurance import FEN, LineIn, PlanTerms, YearToDate, split_compute

CATEGORIES = ("registration", "drug", "lab", "exam", "monitoring")

money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("99999.99"), places=2, allow_nan=False,
                    allow_infinity=False)
ratio = st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=4, allow_nan=False, allow_infinity=False)
lines = st.lists(st.builds(LineIn, category=st.sampled_from(CATEGORIES),
                           code=st.sampled_from(["drug:a", "drug:b", "test:x", ""]), amount=money),
                 min_size=0, max_size=12)
terms = st.builds(
    PlanTerms, ratios=st.dictionaries(st.sampled_from(CATEGORIES), ratio),
    deductible=money, annual_cap=st.none() | money,
    excluded_codes=st.frozensets(st.sampled_from(["drug:a", "test:x"])),
    excluded_categories=st.frozensets(st.sampled_from(CATEGORIES), max_size=2))
years = st.builds(YearToDate, deductible_used=money, insurer_paid=money)


@settings(max_examples=400, deadline=None)
@given(lines=lines, terms=terms, year=years)
def test_shares_always_add_up_to_each_line_exactly(lines, terms, year):
    split = split_compute(lines=lines, terms=terms, year=year)

    for line, share in zip(lines, split.lines, strict=True):
        assert share.insurer + share.patient == line.amount
        assert Decimal(0) <= share.insurer <= line.amount
        assert share.insurer == share.insurer.quantize(FEN) and share.patient == share.patient.quantize(FEN)
        assert Decimal(0) <= share.deductible <= line.amount
    assert split.insurer_total + split.patient_total == sum((line.amount for line in lines), Decimal(0))


@settings(max_examples=300, deadline=None)
@given(lines=lines, terms=terms, year=years)
def test_the_insurer_never_pays_past_the_cap_nor_more_than_the_ratio(lines, terms, year):
    split = split_compute(lines=lines, terms=terms, year=year)

    if terms.annual_cap is not None:
        assert split.insurer_total <= max(terms.annual_cap - year.insurer_paid, Decimal(0))
    for line, share in zip(lines, split.lines, strict=True):
        excluded = (line.code in terms.excluded_codes or line.category in terms.excluded_categories
                    or terms.ratios.get(line.category, Decimal(0)) == 0)
        if excluded:
            assert share.insurer == 0
        else:
            # Each line's share is its exact share rounded down, or one fen more (the largest remainders).
            exact = (line.amount - share.deductible) * terms.ratios[line.category]
            assert share.insurer <= exact.quantize(FEN, rounding="ROUND_DOWN") + FEN


@settings(max_examples=200, deadline=None)
@given(lines=lines, terms=terms, year=years)
def test_the_split_is_deterministic(lines, terms, year):
    assert split_compute(lines=lines, terms=terms, year=year) == split_compute(lines=lines, terms=terms, year=year)


@settings(max_examples=200, deadline=None)
@given(lines=lines, terms=terms, year=years)
def test_the_deductible_consumed_is_what_was_left_of_it_at_most(lines, terms, year):
    split = split_compute(lines=lines, terms=terms, year=year)
    assert split.deductible_applied <= max(terms.deductible - year.deductible_used, Decimal(0))


def _split(amounts, **plan):
    return split_compute(lines=[LineIn("drug", f"drug:{i}", Decimal(a)) for i, a in enumerate(amounts)],
                         terms=PlanTerms(ratios={"drug": Decimal(plan.pop("ratio", "0.7"))}, **plan))


def test_worked_example_ratio_with_the_lost_fen_to_the_largest_remainder():
    # 70 % of 0.05, 0.05, 0.05 = 0.035 each: rounded down 0.03 each (0.09); the total 0.105 → 0.10 gives one fen
    # back, to the first line (equal remainders: the earlier line).
    split = _split(["0.05", "0.05", "0.05"])
    assert [s.insurer for s in split.lines] == [Decimal("0.04"), Decimal("0.03"), Decimal("0.03")]
    assert [s.patient for s in split.lines] == [Decimal("0.01"), Decimal("0.02"), Decimal("0.02")]


def test_worked_example_deductible_first_then_cap():
    split = split_compute(
        lines=[LineIn("drug", "drug:a", Decimal("100.00")), LineIn("drug", "drug:b", Decimal("300.00"))],
        terms=PlanTerms(ratios={"drug": Decimal("0.8")}, deductible=Decimal("150.00"), annual_cap=Decimal("1000.00")),
        year=YearToDate(deductible_used=Decimal("50.00"), insurer_paid=Decimal("900.00")))
    # Deductible left 100: all of line 1. Line 2: 80 % of 300 = 240, but only 100 of the cap is left.
    assert [(s.deductible, s.insurer, s.patient) for s in split.lines] == [
        (Decimal("100.00"), Decimal("0.00"), Decimal("100.00")),
        (Decimal("0.00"), Decimal("100.00"), Decimal("200.00"))]


def test_worked_example_excluded_item_is_the_patients():
    split = split_compute(lines=[LineIn("drug", "drug:vitamin-c", Decimal("18.00"))],
                          terms=PlanTerms(ratios={"drug": Decimal("0.9")}, excluded_codes=frozenset({"drug:vitamin-c"})))
    assert (split.lines[0].insurer, split.lines[0].patient, split.lines[0].excluded) == (0, Decimal("18.00"), True)


@pytest.mark.parametrize("bad", [
    {"lines": [LineIn("drug", "", Decimal("-1.00"))]},
    {"lines": [LineIn("drug", "", Decimal("1.005"))]},
    {"ratios": {"drug": Decimal("1.5")}},
])
def test_impossible_inputs_are_refused(bad):
    with pytest.raises(ValueError):
        split_compute(lines=bad.get("lines", [LineIn("drug", "", Decimal("1.00"))]),
                      terms=PlanTerms(ratios=bad.get("ratios", {"drug": Decimal("0.5")})))
