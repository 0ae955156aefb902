"""Emergency access (break the glass): granted at once to a doctor who states why, for a limited time,
and always flagged for review by a hospital administrator."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from core.errors import PermissionRefused, ValidationFailed
from records.access import AuditContext, access_log_write, break_glass_minutes
from records.models import AccessAction, BreakGlassGrant, Patient

# Chinese says a lot in few characters: "急诊抢救，昏迷" is a reason; "急诊" alone is not.
REASON_MIN_CHARS = 5


def break_glass_grant(*, doctor: User, patient: Patient, reason: str, audit: AuditContext | None = None) -> BreakGlassGrant:
    """Give `doctor` access to `patient`'s record for RECORDS_BREAK_GLASS_MINUTES. Writes a 'break_glass'
    audit row with the reason. A doctor who already holds an unexpired grant gets that one back."""
    if not doctor.has_role(Role.DOCTOR):
        raise PermissionRefused(_("Only doctors can use emergency access."))
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_CHARS:
        raise ValidationFailed(errors={"reason": [
            _("Say in a sentence why you need this record now (at least %(n)d characters); it is reviewed.")
            % {"n": REASON_MIN_CHARS}]})
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.filter(doctor=doctor, patient=patient, expires_at__gt=now).first()
        if grant is None:
            grant = BreakGlassGrant.objects.create(doctor=doctor, patient=patient, reason=reason[:2000], granted_at=now,
                                                   expires_at=now + timedelta(minutes=break_glass_minutes()))
        access_log_write(user=doctor, role=Role.DOCTOR, patient=patient, action=AccessAction.BREAK_GLASS,
                         object_type="patient", object_id=str(patient.public_id), purpose="emergency", reason=reason,
                         grant=grant, audit=audit)
    return grant


def break_glass_review(*, grant: BreakGlassGrant, by: User, note: str = "") -> BreakGlassGrant:
    """Mark a grant as reviewed by a hospital administrator (or a superuser), with their note."""
    if not (by.is_superuser or by.has_role(Role.HOSPITAL_ADMIN)):
        raise PermissionRefused(_("Only hospital administrators review emergency access."))
    with transaction.atomic():
        grant = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
        grant.reviewed = True
        grant.reviewed_by = by
        grant.reviewed_at = timezone.now()
        grant.review_note = (note or "").strip()
        grant.save(update_fields=["reviewed", "reviewed_by", "reviewed_at", "review_note"])
    return grant
