from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader
from django.utils.translation import gettext_lazy as _

from core.outbox import enqueue
from core.tasks import email_send


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Email or mobile number"), max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "inputmode": "email"}),
    )
    error_messages = {
        "invalid_login": _("The email or mobile number and password do not match an account. "
                           "Check them and try again, or reset your password."),
        "inactive": _("This account has been switched off. Please contact the hospital."),
    }


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset whose email goes through the background queue, like every other email."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        html = loader.render_to_string(html_email_template_name, context) if html_email_template_name else None
        enqueue(email_send, subject, body, [to_email], html)


class TwoFactorCodeForm(forms.Form):
    """The second sign-in step: a 6-digit code from the app, or (where allowed) a recovery code."""

    code = forms.CharField(
        label=_("Code"), max_length=32,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code", "autocapitalize": "off",
                                      "spellcheck": "false"}),
    )

    def __init__(self, *args, allow_recovery: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        if allow_recovery:
            field.help_text = _("The 6-digit code your authenticator app shows now, or one of your recovery codes.")
        else:
            field.help_text = _("The 6-digit code your authenticator app shows now.")
            field.widget.attrs["inputmode"] = "numeric"
