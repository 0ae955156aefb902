"""Forms of the registration pages. They only read what a person typed; the rules live in appointments.services."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from appointments import guide
from records.forms import PersonFields


class GuideForm(forms.Form):
    """导诊: a few plain-language symptoms and an age, to suggest where to book."""

    symptoms = forms.MultipleChoiceField(label=_("What is troubling you?"), choices=guide.symptom_choices,
                                         widget=forms.CheckboxSelectMultiple, required=False)
    age = forms.IntegerField(label=_("Age of the person who is ill"), min_value=0, max_value=130, required=False,
                             widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                             help_text=_("Children under 14 are usually seen in paediatrics."))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("symptoms") and cleaned.get("age") is None and not self.errors:
            raise forms.ValidationError(_("Tick at least one symptom, or enter an age."))
        return cleaned


class ConfirmForm(forms.Form):
    """The confirm step's hidden fields. ``request_key`` makes a second click on 'confirm' book nothing new."""

    patient = forms.UUIDField(widget=forms.HiddenInput)
    request_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    @classmethod
    def fresh(cls, *, patient_public_id) -> "ConfirmForm":
        return cls(initial={"patient": patient_public_id, "request_key": uuid.uuid4().hex})


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=200, required=False,
                             help_text=_("For example: feeling better, cannot come that day."))


class PatientSearchForm(forms.Form):
    q = forms.CharField(label=_("Find a patient"), max_length=100, min_length=2,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "autofocus": True}),
                        help_text=_("Name, pinyin initials (e.g. wxm), mobile number or MRN."),
                        error_messages={"min_length": _("Type at least 2 characters.")})


class WalkInForm(PersonFields):
    """A walk-in patient's details, checked by records.services.patient_details_check."""

    field_order = ["name", "sex", "date_of_birth", "phone", "national_id", "insurance_number"]
