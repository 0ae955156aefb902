"""Labels for the codes home monitoring stores (reading categories, NEWS2 parameters), in the page's language."""

from django import template
from django.utils.translation import pgettext

from telemonitor import reasons

register = template.Library()


@register.filter
def reading_category(code) -> str:
    """A reading's ACC/AHA blood-pressure category or glucose band, e.g. "stage2" → "stage 2 hypertension"."""
    return reasons.label(reasons.READING_CATEGORY_LABELS, code)


@register.filter
def news2_parameters(codes) -> str:
    """NEWS2 parameter codes (a score's missing ones), as labels separated by the language's list separator."""
    return pgettext("list separator", ", ").join(reasons.label(reasons.NEWS2_PARAMETER_LABELS, code) for code in codes or ())
