from django.conf import settings
from django.utils.translation import get_language


def hospital_name() -> str:
    """The hospital's name in the active language (HOSPITAL_NAME_ZH for Chinese, HOSPITAL_NAME otherwise)."""
    if (get_language() or "").startswith("zh") and settings.HOSPITAL_NAME_ZH:
        return settings.HOSPITAL_NAME_ZH
    return settings.HOSPITAL_NAME
