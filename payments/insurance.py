"""The insurance split (医保结算) of an invoice: which part of each line the insurer pays and which the patient pays.

Pure and exact: Decimals in, Decimals out, no database. The services read the plan, the coverage and the year's
claims, call ``split_compute`` and store its answer on the invoice lines.

Rules, applied in this order (docs/payments.md, "Money rules"):

1. A line whose code or category the plan excludes, or whose category has no ratio (or ratio 0), is the patient's.
2. The deductible (起付线) is consumed first, line by line in invoice order, from what is left of it this year:
   the consumed part of a line is the patient's.
3. On what remains of each line the insurer pays the category's ratio. Shares are whole fen: each line's raw share
   is rounded down to the fen, and the fen lost that way (the total rounded down minus the sum of the rounded-down
   lines) go one each to the lines with the largest dropped remainders, ties to the earlier line. So the insurer's
   total is the exact total rounded down, and the assignment never depends on anything but the input.
4. The annual cap (封顶线) limits what the insurer pays this year: what is left of it (cap minus the year's claims)
   is given to the lines in invoice order until it runs out.
5. patient share = line amount − insurer share, so the two always add up to the line, exactly.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def to_fen(value: Decimal) -> Decimal:
    """`value` rounded down to the fen (amounts here are never negative)."""
    return Decimal(value).quantize(FEN, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class LineIn:
    """One invoice line as the split sees it. `amount` is whole fen and not negative."""

    category: str
    code: str
    amount: Decimal


@dataclass(frozen=True)
class PlanTerms:
    """What a plan pays: a ratio in [0, 1] per line category, a deductible and an annual cap (None: no cap) per
    calendar year, and the excluded item codes (``"drug:amoxicillin"``-style codes or whole categories)."""

    ratios: Mapping[str, Decimal]
    deductible: Decimal = ZERO
    annual_cap: Decimal | None = None
    excluded_codes: frozenset[str] = field(default_factory=frozenset)
    excluded_categories: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class YearToDate:
    """What this coverage already used this year: deductible consumed and insurer shares claimed."""

    deductible_used: Decimal = ZERO
    insurer_paid: Decimal = ZERO


@dataclass(frozen=True)
class LineSplit:
    amount: Decimal
    insurer: Decimal
    patient: Decimal
    deductible: Decimal
    excluded: bool


@dataclass(frozen=True)
class Split:
    lines: tuple[LineSplit, ...]

    @property
    def insurer_total(self) -> Decimal:
        return sum((line.insurer for line in self.lines), ZERO)

    @property
    def patient_total(self) -> Decimal:
        return sum((line.patient for line in self.lines), ZERO)

    @property
    def deductible_applied(self) -> Decimal:
        return sum((line.deductible for line in self.lines), ZERO)


def _check_inputs(lines: Sequence[LineIn], terms: PlanTerms, year: YearToDate) -> None:
    for line in lines:
        if line.amount < 0 or line.amount != line.amount.quantize(FEN):
            raise ValueError(f"line amount must be whole fen and not negative: {line.amount!r}")
    for category, ratio in terms.ratios.items():
        if not (Decimal(0) <= ratio <= Decimal(1)):
            raise ValueError(f"ratio of {category!r} must be between 0 and 1: {ratio!r}")
    for name, value in (("deductible", terms.deductible), ("deductible_used", year.deductible_used),
                        ("insurer_paid", year.insurer_paid)):
        if value < 0:
            raise ValueError(f"{name} must not be negative: {value!r}")
    if terms.annual_cap is not None and terms.annual_cap < 0:
        raise ValueError(f"annual_cap must not be negative: {terms.annual_cap!r}")


def split_compute(*, lines: Sequence[LineIn], terms: PlanTerms | None, year: YearToDate | None = None) -> Split:
    """Split each line into insurer and patient shares (rules in the module docstring). No plan: all the patient's."""
    year = year or YearToDate()
    if terms is None:
        return Split(tuple(LineSplit(line.amount, ZERO, line.amount, ZERO, False) for line in lines))
    _check_inputs(lines, terms, year)

    excluded = [line.code in terms.excluded_codes or line.category in terms.excluded_categories
                or terms.ratios.get(line.category, Decimal(0)) == 0 for line in lines]

    # 2. The deductible, consumed in line order by the lines the plan would pay for.
    deductible_left = max(to_fen(terms.deductible) - year.deductible_used, ZERO)
    deductibles = []
    for line, is_excluded in zip(lines, excluded, strict=True):
        taken = ZERO if is_excluded else min(line.amount, deductible_left)
        deductible_left -= taken
        deductibles.append(taken)

    # 3. Ratio shares, rounded down per line; the lost fen by largest remainder, ties to the earlier line.
    raw = [ZERO if is_excluded else (line.amount - taken) * terms.ratios[line.category]
           for line, taken, is_excluded in zip(lines, deductibles, excluded, strict=True)]
    shares = [to_fen(value) for value in raw]
    lost_fen = int((to_fen(sum(raw, Decimal(0))) - sum(shares, ZERO)) / FEN)
    by_remainder = sorted(range(len(lines)), key=lambda i: (-(raw[i] - shares[i]), i))
    for i in by_remainder[:lost_fen]:
        shares[i] += FEN

    # 4. The annual cap, given in line order.
    if terms.annual_cap is not None:
        cap_left = max(to_fen(terms.annual_cap) - year.insurer_paid, ZERO)
        for i, share in enumerate(shares):
            shares[i] = min(share, cap_left)
            cap_left -= shares[i]

    return Split(tuple(
        LineSplit(amount=line.amount, insurer=share, patient=line.amount - share, deductible=taken, excluded=is_excluded)
        for line, share, taken, is_excluded in zip(lines, shares, deductibles, excluded, strict=True)))
