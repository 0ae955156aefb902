from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from appointments.localtime import hospital_today
from appointments.models import ConsultingRoom, Department, DoctorTitle, SessionOfDay, Weekday

MAX_RANGE_DAYS = 731  # two years: beyond that the per-day tables stop being readable


class DashboardForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all(), required=False,
                                        empty_label=_("All departments"))

    @classmethod
    def from_query(cls, query) -> "DashboardForm":
        today = hospital_today()
        data = {"date_from": (today - timedelta(days=6)).isoformat(), "date_to": today.isoformat(), "department": ""}
        data.update({k: v for k, v in query.items() if k in data})
        return cls(data)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("The end date is before the start date."))
            elif (end - start).days + 1 > MAX_RANGE_DAYS:
                self.add_error("date_to", _("Choose at most %(days)d days.") % {"days": MAX_RANGE_DAYS})
        return cleaned


class DoctorForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=100)
    email = forms.EmailField(label=_("Email address (signs in with it)"))
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    password = forms.CharField(label=_("First password"), widget=forms.PasswordInput(render_value=False),
                               help_text=_("The doctor changes it after signing in for the first time."))
    title = forms.ChoiceField(label=_("Title"), choices=DoctorTitle.choices)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.filter(is_active=True))
    room = forms.ModelChoiceField(label=_("Consulting room"), required=False,
                                  queryset=ConsultingRoom.objects.filter(is_active=True).select_related("department"),
                                  help_text=_("An existing room of the department, or leave empty and name a new one."))
    new_room_code = forms.SlugField(label=_("New room: code"), max_length=20, required=False)
    new_room_name = forms.CharField(label=_("New room: name shown to patients"), max_length=50, required=False)
    valid_from = forms.DateField(label=_("Schedule starts on"), widget=forms.DateInput(attrs={"type": "date"}),
                                 initial=hospital_today)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].label_from_instance = lambda room: f"{room.department} · {room.name} ({room.code})"


class WeeklySessionForm(forms.Form):
    # A blank first choice, so an untouched row of the formset is left out rather than refused.
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=[("", "—"), *Weekday.choices], coerce=int,
                                     empty_value=None)
    session = forms.ChoiceField(label=_("Session"), choices=[("", "—"), *SessionOfDay.choices])
    start_time = forms.TimeField(label=_("Starts"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("Ends"), widget=forms.TimeInput(attrs={"type": "time"}))
    slot_minutes = forms.IntegerField(label=_("Slot length (minutes)"), min_value=5, max_value=240, initial=15)
    numbers_per_slot = forms.IntegerField(label=_("Numbers per slot"), min_value=1, max_value=100, initial=1)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start_time") and cleaned.get("end_time") and cleaned["end_time"] <= cleaned["start_time"]:
            self.add_error("end_time", _("The session ends before it starts."))
        return cleaned


WeeklySessionFormSet = forms.formset_factory(WeeklySessionForm, extra=3, max_num=21, validate_max=True)


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=_("Reason, as patients with cancelled appointments will read it"), max_length=200,
                             required=False, widget=forms.TextInput(attrs={"size": 60}))
