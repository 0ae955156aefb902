from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.branding import hospital_name


def _navigation(user) -> list[tuple[str, str]]:
    """Links in the top bar, by role. Later apps add their pages here."""
    if not user.is_authenticated:
        return [(_("Home"), reverse("core:home"))]
    items = [(_("Home"), reverse("core:home"))]
    if user.has_role("patient"):
        items.append((_("Book"), reverse("appointments:departments")))
        items.append((_("My appointments"), reverse("appointments:mine")))
        items.append((_("Queue and check-in"), reverse("queue:mine")))
        items.append((_("My bills"), reverse("payments:bills")))
        items.append((_("My health records"), reverse("records:my_records")))
        items.append((_("My family"), reverse("records:family")))
        items.append((_("Home monitoring"), reverse("telemonitor:mine")))
    if user.has_role("front_desk"):
        items.append((_("Front desk"), reverse("appointments:desk")))
        items.append((_("Check-in"), reverse("queue:desk")))
        items.append((_("Payments at the counter"), reverse("payments:desk")))
    if user.has_role("doctor"):
        items.append((_("My queue"), reverse("queue:console_index")))
    if user.is_clinician:
        items.append((_("Monitoring"), reverse("telemonitor:dashboard")))
    items.append((_("Notifications"), reverse("notifications:list")))
    if user.is_staff:
        items.append((_("Administration"), reverse("admin:index")))
    return items


def portal(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "HOSPITAL_NAME": hospital_name(),
        "NAVIGATION": _navigation(user) if user is not None else [],
        "EMBEDDED_MODE": not settings.REDIS_URL,
    }
