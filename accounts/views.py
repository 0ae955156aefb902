from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.backends import axes_username
from accounts.forms import LoginForm, QueuedPasswordResetForm
from accounts.models import User


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
