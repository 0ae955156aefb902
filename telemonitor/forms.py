"""Forms of the care team's plan pages: enrolment, targets, SpO2 scale. They only read the input; the rules are in
telemonitor.services.plans, whose field errors are put back on these forms."""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from telemonitor.models import MonitoringPlan, PlanKind, TargetParameter


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return user.name


class _PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user) -> str:
        return f"{user.name} · {', '.join(user.role_labels)}"


def _staff(*roles: str):
    return User.objects.filter(is_active=True, groups__name__in=roles).distinct().order_by("name", "id")


class EnrolForm(forms.Form):
    mrn = forms.CharField(label=_("Patient's MRN"), max_length=32, required=False,
                          help_text=_("The medical record number on the patient's chart."))
    kind = forms.ChoiceField(label=_("Monitoring plan"), choices=PlanKind.choices)
    lead_doctor = _PersonChoice(label=_("Lead doctor"), queryset=User.objects.none())
    care_team = _PeopleChoice(label=_("Care team"), queryset=User.objects.none(), required=False,
                              help_text=_("Doctors and nurses who also watch this patient's alerts. Hold Ctrl to "
                                          "choose several."))
    department_code = forms.CharField(label=_("Department code"), max_length=20, required=False)
    starts_on = forms.DateField(label=_("Starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                help_text=_("Today if left empty."))

    def __init__(self, *args, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["lead_doctor"].queryset = _staff(Role.DOCTOR)
        self.fields["care_team"].queryset = _staff(Role.DOCTOR, Role.NURSE)
        if patient is not None:
            del self.fields["mrn"]  # chosen already (from the chart or the monitoring page)
        else:
            self.fields["mrn"].required = True


class TargetForm(forms.Form):
    parameter = forms.ChoiceField(label=_("Parameter"), choices=TargetParameter.choices)
    low = forms.FloatField(label=_("Lowest"), required=False, help_text=_("Leave empty for no lower limit."),
                           widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
    high = forms.FloatField(label=_("Highest"), required=False, help_text=_("Leave empty for no upper limit."),
                            widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))


class Spo2ScaleForm(forms.Form):
    SCALES = [
        ("1", _("Scale 1: the usual target, 96 % and above")),
        ("2", _("Scale 2: prescribed target 88–92 % (hypercapnic respiratory failure)")),
    ]
    plan = forms.ModelChoiceField(label=_("Monitoring plan"), queryset=MonitoringPlan.objects.none(),
                                  empty_label=None)
    scale = forms.ChoiceField(label=_("SpO2 scale"), choices=SCALES, widget=forms.RadioSelect)
    confirm = forms.BooleanField(label=_("I confirm this patient has hypercapnic respiratory failure and a prescribed "
                                         "oxygen saturation target of 88–92 %."), required=False)

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["plan"].queryset = (MonitoringPlan.objects.filter(patient=patient, starts_on__lte=today)
                                        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)).order_by("kind"))
        self.fields["plan"].label_from_instance = lambda plan: plan.get_kind_display()

    def clean(self):
        data = super().clean()
        if data.get("scale") == "2" and not data.get("confirm"):
            self.add_error("confirm", _("Scale 2 scores low saturations as normal: confirm the diagnosis first."))
        return data
