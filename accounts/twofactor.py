"""Staff two-factor sign-in (TOTP, RFC 6238): enrolment, codes, recovery codes, lockout, reset.

Who must pass it: anyone with a clinical role, a hospital administrator, and any account that can use the
admin site (``two_factor_required``). After the password, such a session is *pending* until the person
enters a code from their authenticator app or a recovery code; accounts.middleware refuses every page and API
call but the second step until then. The session's state is decided once at sign-in and kept in the session
(``SESSION_KEY``), so ordinary requests cost no extra query.

Codes follow RFC 6238 with SHA-1, 6 digits and 30-second steps (what every authenticator app reads from the
QR code); a code from the step before or after is accepted for clock drift, but each step only once.
"""

import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import RecoveryCode, TwoFactorDevice, User
from accounts.roles import CLINICAL_ROLES, Role
from core.errors import ApplicationError, Conflict
from core.sealing import lookup_hash, seal, unseal

SESSION_KEY = "two_factor"
PENDING, VERIFIED, NOT_REQUIRED = "pending", "verified", "not_required"

STEP_SECONDS = 30
DRIFT_STEPS = 1  # accept the code of the step before and after: phones' clocks drift
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper and typed again

REQUIRED_ROLES = CLINICAL_ROLES | {Role.HOSPITAL_ADMIN}


class TwoFactorCodeInvalid(ApplicationError):
    code = "two_factor_code_invalid"
    http_status = 400
    default_message = gettext_lazy("This code is not right. Enter the 6-digit code your authenticator app shows now, "
                                   "or one of your recovery codes.")


class TwoFactorCodeReused(TwoFactorCodeInvalid):
    code = "two_factor_code_reused"
    default_message = gettext_lazy("This code has already been used. Wait until your app shows the next code, "
                                   "then enter that one.")


class TwoFactorLocked(ApplicationError):
    code = "two_factor_locked"
    http_status = 429


class TwoFactorNotEnrolled(Conflict):
    code = "two_factor_not_enrolled"
    default_message = gettext_lazy("Two-step sign-in is not set up for this account yet.")


class TwoFactorAlreadyEnrolled(Conflict):
    code = "two_factor_already_enrolled"
    default_message = gettext_lazy("Two-step sign-in is already set up for this account. Ask an administrator to "
                                   "reset it if you lost your phone and your recovery codes.")


@dataclass(frozen=True)
class CodeAccepted:
    method: str  # "totp" or "recovery"
    recovery_codes_left: int | None = None


# --- Who, and the session -----------------------------------------------------------------------------------


def two_factor_required(user: User) -> bool:
    """Clinical roles, hospital administrators and anyone who can open the admin site must use 2FA."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.is_superuser or bool(user.roles & REQUIRED_ROLES)


def session_two_factor_start(request, user: User) -> None:
    """At sign-in (any path: the login page, the admin's, the API, a test's force_login): pending or not required."""
    request.session[SESSION_KEY] = PENDING if two_factor_required(user) else NOT_REQUIRED


def session_two_factor_state(request) -> str | None:
    """This request's 2FA state, or None when nobody is signed in. Fails closed: a signed-in session without a
    recorded state (one started before 2FA existed) is decided now and kept."""
    session = getattr(request, "session", None)
    if session is None or not session.get(AUTH_SESSION_KEY):
        return None
    state = session.get(SESSION_KEY)
    if state not in (PENDING, VERIFIED, NOT_REQUIRED):
        user = request.user
        if not user.is_authenticated:
            return None
        state = PENDING if two_factor_required(user) else NOT_REQUIRED
        session[SESSION_KEY] = state
    return state


def session_two_factor_verified(request) -> None:
    """The second step passed: a new session key (the privilege changed), marked verified."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = VERIFIED


# --- Enrolment ------------------------------------------------------------------------------------------------


def device_enrolment_start(*, user: User) -> TwoFactorDevice:
    """The unconfirmed device enrolment shows: made with a fresh secret the first time, the same one on a reload
    (so a QR code already scanned stays right). Refused once a device is confirmed: a second enrolment would let
    whoever holds only the password replace the person's phone. Locks the user's device row."""
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.is_confirmed:
            raise TwoFactorAlreadyEnrolled()
        if device is None:
            device = TwoFactorDevice.objects.create(user=user, secret_sealed=seal(pyotp.random_base32()))
    return device


def device_secret(device: TwoFactorDevice) -> str:
    return unseal(device.secret_sealed)


def device_provisioning_uri(device: TwoFactorDevice) -> str:
    issuer = getattr(settings, "HOSPITAL_NAME", "Hospital")
    return pyotp.TOTP(device_secret(device)).provisioning_uri(name=device.user.email, issuer_name=issuer)


def qr_svg(data: str) -> str:
    """An inline SVG QR code, drawn on the server (no script, no CDN)."""
    return segno.make(data, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")


def device_confirm(*, user: User, code: str, now: datetime | None = None) -> list[str]:
    """Finish enrolment with the first code the app shows; returns the new recovery codes (shown once).
    Wrong codes count towards the lockout as at sign-in. Locks the device row."""
    device = TwoFactorDevice.objects.filter(user=user).first()
    if device is None:
        raise TwoFactorNotEnrolled()
    if device.is_confirmed:
        raise TwoFactorAlreadyEnrolled()
    _code_check(device=device, code=code, allow_recovery=False, now=now)
    with transaction.atomic():
        TwoFactorDevice.objects.filter(pk=device.pk).update(confirmed_at=now or timezone.now())
        return recovery_codes_regenerate(user=user)


def device_enrol_with_secret(*, user: User, secret: str) -> TwoFactorDevice:
    """Enrol `user` with a known secret (the demo staff, tests). Idempotent: an existing device stays."""
    device, _created = TwoFactorDevice.objects.get_or_create(
        user=user, defaults={"secret_sealed": seal(secret), "confirmed_at": timezone.now()})
    return device


# --- Codes ----------------------------------------------------------------------------------------------------


def code_verify(*, user: User, code: str, now: datetime | None = None) -> CodeAccepted:
    """The second step: a current TOTP code, or an unused recovery code (used up by this). Raises
    TwoFactorLocked while locked, TwoFactorCodeReused for a code already accepted, TwoFactorCodeInvalid."""
    device = TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise TwoFactorNotEnrolled()
    return _code_check(device=device, code=code, allow_recovery=True, now=now)


def _code_check(*, device: TwoFactorDevice, code: str, allow_recovery: bool, now: datetime | None) -> CodeAccepted:
    """Check `code` under the device row's lock (two requests with one code: the second sees the step used).
    A wrong code is counted and committed before the refusal is raised; TWO_FACTOR_FAILURE_LIMIT wrong codes in
    a row lock the second step for TWO_FACTOR_LOCKOUT_MINUTES."""
    now = now or timezone.now()
    cleaned = "".join((code or "").split()).replace("-", "").lower()
    refusal: ApplicationError | None = None
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().get(pk=device.pk)
        if device.locked_until and device.locked_until > now:
            raise _locked(device.locked_until, now)
        accepted: CodeAccepted | None = None
        if cleaned.isdigit() and len(cleaned) == 6:
            step = _totp_match(device_secret(device), cleaned, now)
            if step is not None and device.last_step is not None and step <= device.last_step:
                refusal = TwoFactorCodeReused()
            elif step is not None:
                device.last_step = step
                accepted = CodeAccepted(method="totp")
        elif allow_recovery and cleaned:
            left = _recovery_code_use(device.user, cleaned, now)
            if left is not None:
                accepted = CodeAccepted(method="recovery", recovery_codes_left=left)
        if accepted is not None:
            device.failures, device.locked_until = 0, None
            device.save(update_fields=["last_step", "failures", "locked_until"])
            return accepted
        device.failures += 1
        limit = settings.TWO_FACTOR_FAILURE_LIMIT
        if device.failures >= limit:
            device.failures = 0
            device.locked_until = now + timedelta(minutes=settings.TWO_FACTOR_LOCKOUT_MINUTES)
            refusal = _locked(device.locked_until, now)
        device.save(update_fields=["failures", "locked_until"])
    refusal = refusal or TwoFactorCodeInvalid()
    refusal.errors = {"code": [str(refusal.message)]}
    raise refusal


def _totp_match(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code is `code`, looking one step either side of now; None if none matches."""
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current, current - DRIFT_STEPS, current + DRIFT_STEPS):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _locked(until: datetime, now: datetime) -> TwoFactorLocked:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    message = ngettext(
        "Too many wrong codes. For your safety the second sign-in step is locked until %(time)s (about %(minutes)d "
        "minute). Try again then, or ask an administrator for help.",
        "Too many wrong codes. For your safety the second sign-in step is locked until %(time)s (about %(minutes)d "
        "minutes). Try again then, or ask an administrator for help.",
        minutes,
    ) % {"time": timezone.localtime(until).strftime("%H:%M"), "minutes": minutes}
    return TwoFactorLocked(message, extra={"retry_after": until.isoformat()})


# --- Recovery codes -------------------------------------------------------------------------------------------


def _recovery_hash(user: User, code: str) -> str:
    return lookup_hash(f"recovery-code:{user.public_id}:{code}")


def _recovery_code_use(user: User, cleaned: str, now: datetime) -> int | None:
    """Mark the matching unused code used (a conditional UPDATE: one use even under a race); codes left, or None."""
    used = RecoveryCode.objects.filter(user=user, code_hash=_recovery_hash(user, cleaned), used_at__isnull=True
                                       ).update(used_at=now)
    if not used:
        return None
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Replace every recovery code of `user` with RECOVERY_CODE_COUNT new ones, returned once as text (only their
    keyed hashes are kept). Old codes stop working at once."""
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_recovery_hash(user, c)) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def recovery_codes_left(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# --- Reset ----------------------------------------------------------------------------------------------------


def two_factor_reset(*, user: User) -> bool:
    """Forget `user`'s authenticator and recovery codes (lost phone): their next sign-in enrols again.
    Returns whether there was anything to reset."""
    with transaction.atomic():
        deleted, _detail = TwoFactorDevice.objects.filter(user=user).delete()
        codes, _detail = RecoveryCode.objects.filter(user=user).delete()
    return bool(deleted or codes)

