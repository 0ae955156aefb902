from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import twofactor
from accounts.backends import axes_username
from accounts.forms import LoginForm, QueuedPasswordResetForm, TwoFactorCodeForm
from accounts.models import TwoFactorDevice, User


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def lockout_response(request, original_response=None, credentials=None):
    """Shown instead of the login result once a login name has failed too often (django-axes)."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    username = axes_username(request, credentials)
    last = AccessAttempt.objects.filter(username=username).order_by("-attempt_time").first()
    cool_off = get_cool_off(request)
    retry_at = (last.attempt_time if last else timezone.now()) + cool_off
    minutes = max(1, int((retry_at - timezone.now()).total_seconds() // 60) + 1)
    message = ngettext(
        "Too many failed sign-in attempts for this account. For your safety it is locked until %(time)s "
        "(about %(minutes)d minute). You can reset your password in the meantime.",
        "Too many failed sign-in attempts for this account. For your safety it is locked until %(time)s "
        "(about %(minutes)d minutes). You can reset your password in the meantime.",
        minutes,
    ) % {"time": timezone.localtime(retry_at).strftime("%H:%M"), "minutes": minutes}
    if request.path.startswith("/api/"):
        from core.exceptions import problem_response

        return problem_response(status=429, code="locked_out", detail=message)
    form = LoginForm(request, data=None)
    return render(request, "accounts/login.html", {"form": form, "lockout_message": message}, status=429)


@login_required
def profile(request):
    return render(request, "accounts/profile.html")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = QueuedPasswordResetForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


def set_language(request):
    """Django's language switch, remembering the choice on the account so notifications use it too."""
    from django.views.i18n import set_language as django_set_language

    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).update(preferred_language=language)
    return response


# --- Staff two-factor sign-in (accounts.twofactor) ------------------------------------------------------------


def _next_url(request) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


@login_required
def two_factor_verify(request):
    """The second sign-in step for staff: a code from the authenticator app or a recovery code."""
    next_url = _next_url(request)
    if twofactor.session_two_factor_state(request) != twofactor.PENDING:
        return redirect(next_url)
    if not TwoFactorDevice.objects.filter(user=request.user, confirmed_at__isnull=False).exists():
        return redirect(_with_next("accounts:two_factor_setup", next_url))
    form = TwoFactorCodeForm(request.POST or None)
    lockout_message, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            accepted = twofactor.code_verify(user=request.user, code=form.cleaned_data["code"])
        except twofactor.TwoFactorLocked as exc:
            lockout_message, status = exc.message, 429
        except twofactor.TwoFactorCodeInvalid as exc:
            form.add_error("code", exc.message)
            status = 400
        else:
            twofactor.session_two_factor_verified(request)
            if accepted.method == "recovery":
                messages.warning(request, ngettext(
                    "You signed in with a recovery code; %(count)d is left. Make new ones under My account.",
                    "You signed in with a recovery code; %(count)d are left. Make new ones under My account.",
                    accepted.recovery_codes_left) % {"count": accepted.recovery_codes_left})
            return redirect(next_url)
    return render(request, "accounts/two_factor_verify.html",
                  {"form": form, "next": next_url, "lockout_message": lockout_message}, status=status)


@login_required
def two_factor_setup(request):
    """First sign-in of a member of staff: scan the QR code (or type the secret), confirm with a code, then see
    the recovery codes once."""
    next_url = _next_url(request)
    if not twofactor.two_factor_required(request.user):
        return redirect(next_url)
    try:
        device = twofactor.device_enrolment_start(user=request.user)
    except twofactor.TwoFactorAlreadyEnrolled:
        if twofactor.session_two_factor_state(request) == twofactor.PENDING:
            return redirect(_with_next("accounts:two_factor", next_url))
        return redirect("accounts:security")
    form = TwoFactorCodeForm(request.POST or None, allow_recovery=False)
    lockout_message, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.device_confirm(user=request.user, code=form.cleaned_data["code"])
        except twofactor.TwoFactorLocked as exc:
            lockout_message, status = exc.message, 429
        except twofactor.TwoFactorCodeInvalid as exc:
            form.add_error("code", exc.message)
            status = 400
        else:
            twofactor.session_two_factor_verified(request)
            return render(request, "accounts/two_factor_recovery_codes.html",
                          {"codes": codes, "next": next_url, "first_time": True})
    secret = twofactor.device_secret(device)
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "next": next_url, "lockout_message": lockout_message,
        "qr_svg": mark_safe(twofactor.qr_svg(twofactor.device_provisioning_uri(device))),  # noqa: S308 drawn by segno
        "secret": secret, "secret_groups": [secret[i:i + 4] for i in range(0, len(secret), 4)],
    }, status=status)


@login_required
def security(request):
    """My account → two-step sign-in: status, recovery codes left, make new recovery codes."""
    device = TwoFactorDevice.objects.filter(user=request.user, confirmed_at__isnull=False).first()
    if device is None:
        if twofactor.two_factor_required(request.user):
            return redirect("accounts:two_factor_setup")
        return redirect("accounts:profile")
    if request.method == "POST":
        codes = twofactor.recovery_codes_regenerate(user=request.user)
        return render(request, "accounts/two_factor_recovery_codes.html",
                      {"codes": codes, "next": reverse("accounts:security"), "first_time": False})
    return render(request, "accounts/two_factor_security.html",
                  {"device": device, "codes_left": twofactor.recovery_codes_left(user=request.user)})
