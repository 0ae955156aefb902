"""Forms of the doctor's note pages. They only shape the input: the rules are records.services', whose field
errors come back beside the fields (apply_service_errors)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from records.models import DiagnosisRank, Drug, Encounter, Frequency, OrderKind, Route


class ServiceForm(forms.Form):
    def apply_service_errors(self, error: ApplicationError, *, renames: dict | None = None) -> None:
        """Show a service's field errors beside the fields they are about; the rest above the form."""
        renames = renames or {}
        for field, messages in error.errors.items():
            target = renames.get(field, field)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)
        if not error.errors:
            self.add_error(None, error.message)


def _text(label, rows: int = 3, **attrs):
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": rows, **attrs}))


class EncounterForm(ServiceForm):
    chief_complaint = _text(_("Chief complaint"), rows=2)
    history = _text(_("History of present illness"), rows=4)
    examination = _text(_("Examination"), rows=3)
    assessment = _text(_("Assessment"), rows=3)
    plan = _text(_("Plan"), rows=3)
    appointment = forms.CharField(required=False, widget=forms.HiddenInput)  # checked by the service

    def note(self) -> dict:
        return {name: self.cleaned_data[name] for name in Encounter.CLINICAL_FIELDS}


class DiagnosisForm(ServiceForm):
    code = forms.CharField(
        label=_("ICD-10 diagnosis"), max_length=300,
        help_text=_("Type a code (J06.9) or words of the name; choose from the list."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "data-icd10-search": "",
                                      "placeholder": "J06.9"}))
    rank = forms.ChoiceField(label=_("Rank"), choices=DiagnosisRank.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)

    def clean_code(self) -> str:
        # The list shows "J06.9 · title": keep the code, the service checks it.
        return self.cleaned_data["code"].split("·")[0].split(" ")[0].strip()


class PrescriptionForm(ServiceForm):
    drug = forms.ChoiceField(label=_("Medicine"))
    dose_amount = forms.DecimalField(label=_("Dose"), min_value=0, max_digits=10, decimal_places=3,
                                     widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
    dose_unit = forms.CharField(label=_("Unit"), max_length=20, initial="mg",
                                help_text=_("UCUM: mg, g, mL, [iU], {puff}."))
    route = forms.ChoiceField(label=_("Route"), choices=Route.choices)
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    duration_days = forms.IntegerField(label=_("For (days)"), min_value=1, max_value=365)
    quantity = forms.IntegerField(label=_("Quantity to dispense"), min_value=1, max_value=10_000)
    instructions = forms.CharField(label=_("Instructions (optional)"), max_length=300, required=False,
                                   help_text=_("For example: after meals."))
    allergy_override_reason = forms.CharField(
        label=_("Reason to prescribe despite the allergy"), max_length=300, required=False,
        widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, drugs: list[tuple[Drug, str]] = (), **kwargs):
        """`drugs`: the formulary, each with the allergy warning it raises for this patient ("" if none)."""
        super().__init__(*args, **kwargs)
        self.fields["drug"].choices = [("", _("Choose a medicine…"))] + [
            (str(drug.public_id), f"{drug.name} {drug.strength}" + (f" ⚠ {warning}" if warning else ""))
            for drug, warning in drugs]


class OrderForm(ServiceForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=OrderKind.choices, initial=OrderKind.LAB)
    name = forms.CharField(label=_("Test or examination"), max_length=200,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. 血常规 / full blood count")}))
    code = forms.CharField(label=_("LOINC code (optional)"), max_length=20, required=False,
                           widget=forms.TextInput(attrs={"placeholder": "58410-2", "spellcheck": "false"}))
    note = forms.CharField(label=_("Clinical note (optional)"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        # On the note page beside the diagnosis form, which also has `code` and `note`: ids of their own, so each
        # label (and error message) belongs to this form's field and not to the diagnosis's.
        kwargs.setdefault("auto_id", "id_order_%s")
        super().__init__(*args, **kwargs)


class AmendForm(ServiceForm):
    reason = forms.CharField(label=_("Why does the note need amending?"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2}))
