from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed
from records.models import Relationship, Sex


class DateInput(forms.DateInput):
    input_type = "date"


class PersonFields(forms.Form):
    """Fields describing a person; validated by records.services.patient_details_check."""

    name = forms.CharField(label=_("Full name"), max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    national_id = forms.CharField(label=_("ID card number"), max_length=18, required=False,
                                  help_text=_("Optional. 18 characters. Sex and date of birth are read from it."))
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", _("Choose…")), *Sex.choices], required=False)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    insurance_number = forms.CharField(label=_("Medical insurance number"), max_length=40, required=False)

    def apply_service_errors(self, error: ValidationFailed, *, renames: dict | None = None) -> None:
        """Show a service's field errors beside the fields they are about."""
        renames = renames or {}
        for field, messages in error.errors.items():
            target = renames.get(field, field)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)
        if not error.errors:
            self.add_error(None, error.message)


class SignUpForm(PersonFields):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=_("At least 8 characters, not only digits, not a common password."))
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    field_order = ["name", "phone", "email", "password1", "password2", "national_id", "sex", "date_of_birth"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["insurance_number"]
        self.fields["phone"].required = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("The two passwords are not the same."))
        return cleaned


class FamilyMemberForm(PersonFields):
    relationship = forms.ChoiceField(
        label=_("Relationship to you"),
        choices=[("", _("Choose…"))] + [c for c in Relationship.choices if c[0] != Relationship.SELF],
    )
    is_guardian = forms.BooleanField(
        label=_("I look after this person's health records"), required=False,
        help_text=_("Tick for a child, or a parent whose care you manage. Lets you read their results, not only book."),
    )
    field_order = ["relationship", "name", "national_id", "sex", "date_of_birth", "phone", "insurance_number",
                   "is_guardian"]
