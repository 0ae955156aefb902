"""API shapes of registration. Every id is a public UUID; nothing sequential leaves the server."""

from django.utils import timezone
from rest_framework import serializers

from appointments.models import Appointment, Department, DoctorProfile, Slot
from core.openapi import ProblemOutput  # noqa: F401  (re-exported: the appointment APIs name it in their schemas)


class DepartmentOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True, help_text="In the request's language.")
    description = serializers.CharField(read_only=True, help_text="In the request's language.")

    class Meta:
        model = Department
        fields = ["id", "code", "name", "name_zh", "name_en", "description", "location"]


class DepartmentRefOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "location"]


class DoctorOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)
    title_label = serializers.CharField(source="get_title_display", read_only=True)
    department = DepartmentRefOutput(read_only=True)
    next_available_date = serializers.DateField(read_only=True, allow_null=True, default=None,
                                                help_text="First day with a number open to book now; null if none.")

    class Meta:
        model = DoctorProfile
        fields = ["id", "name", "title", "title_label", "specialties", "bio", "department", "next_available_date"]


class SlotOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    doctor = serializers.UUIDField(source="doctor.public_id", read_only=True)
    remaining = serializers.IntegerField(read_only=True)
    released = serializers.SerializerMethodField(help_text="False until release_at: the numbers are not open yet.")
    bookable = serializers.SerializerMethodField(help_text="Open, released, not past and not full.")

    class Meta:
        model = Slot
        fields = ["id", "doctor", "date", "session", "starts_at", "ends_at", "capacity", "remaining", "status",
                  "release_at", "released", "bookable"]

    def _now(self):
        return self.context.get("now") or timezone.now()

    def get_released(self, slot) -> bool:
        return slot.release_at <= self._now()

    def get_bookable(self, slot) -> bool:
        now = self._now()
        return slot.status == "open" and slot.release_at <= now and slot.starts_at > now and slot.remaining > 0


class AppointmentSlotOutput(SlotOutput):
    """The slot inside an appointment: its doctor is the appointment's."""

    doctor = None

    class Meta(SlotOutput.Meta):
        fields = [f for f in SlotOutput.Meta.fields if f != "doctor"]


class PatientRefOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)
    mrn = serializers.CharField(read_only=True)


class AppointmentOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = PatientRefOutput(read_only=True)
    doctor = DoctorOutput(read_only=True)
    slot = AppointmentSlotOutput(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    rescheduled_from = serializers.UUIDField(source="rescheduled_from.public_id", read_only=True, allow_null=True,
                                             default=None)

    class Meta:
        model = Appointment
        fields = ["id", "patient", "doctor", "slot", "date", "session", "status", "status_label", "fee", "currency",
                  "hold_expires_at", "booked_at", "cancelled_at", "cancel_reason", "rescheduled_from", "created_at"]


class BookInput(serializers.Serializer):
    patient = serializers.UUIDField(help_text="The patient's id: yourself or someone on your family list.")
    slot = serializers.UUIDField(help_text="The slot's id, from a doctor's slots.")
    request_key = serializers.CharField(max_length=64, required=False, allow_null=True, default=None,
                                        help_text="Your idempotency key (e.g. a UUID): the same key books once.")


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RescheduleInput(serializers.Serializer):
    slot = serializers.UUIDField(help_text="The new slot, with the same doctor.")


class GuideInput(serializers.Serializer):
    symptoms = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)
    age = serializers.IntegerField(min_value=0, max_value=130, required=False, allow_null=True, default=None)


class PatientSearchOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    mrn = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    sex = serializers.CharField(read_only=True)
    date_of_birth = serializers.DateField(read_only=True)
    phone = serializers.CharField(read_only=True)


class SessionOutput(serializers.Serializer):
    doctor = serializers.UUIDField(read_only=True)
    date = serializers.DateField(read_only=True)
    session = serializers.CharField(read_only=True)
    starts_at = serializers.DateTimeField(read_only=True)
    ends_at = serializers.DateTimeField(read_only=True)
    capacity = serializers.IntegerField(read_only=True)
    remaining = serializers.IntegerField(read_only=True)
    release_at = serializers.DateTimeField(read_only=True)
    state = serializers.ChoiceField(choices=["open", "full", "not_released", "cancelled", "past"], read_only=True)


class SymptomOutput(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)


class GuideOutput(serializers.Serializer):
    symptoms = SymptomOutput(many=True, read_only=True, help_text="Every symptom the guide knows, for a form.")
    suggestions = DepartmentOutput(many=True, read_only=True, help_text="Departments to book, most likely first.")
