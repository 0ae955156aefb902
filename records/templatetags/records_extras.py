from django import template

from records.coding import icd10_title as _icd10_title

register = template.Library()


@register.simple_tag
def icd10_title(code: str, description: str) -> str:
    """The diagnosis' ICD-10 title in the reader's language where we have it (the stored WHO title otherwise)."""
    return _icd10_title(code, description)
