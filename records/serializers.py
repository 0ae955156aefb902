from rest_framework import serializers

from records.models import (
    AccessLog,
    Allergy,
    AllergySeverity,
    BreakGlassGrant,
    Diagnosis,
    DiagnosisRank,
    Drug,
    Encounter,
    FamilyMember,
    Frequency,
    Order,
    OrderKind,
    Patient,
    Prescription,
    Problem,
    Relationship,
    Report,
    ResultItem,
    Route,
    Sex,
)


class PatientOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    national_id = serializers.CharField(source="national_id_masked", read_only=True)

    class Meta:
        model = Patient
        fields = ["id", "mrn", "name", "sex", "date_of_birth", "phone", "national_id", "insurance_number"]


class FamilyMemberOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = PatientOutput(read_only=True)

    class Meta:
        model = FamilyMember
        fields = ["id", "relationship", "is_guardian", "patient"]


class PersonInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_null=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    national_id = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    insurance_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


# 'Myself' is created with the account; a person adds everyone else. Named in the API schema
# (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]) so it does not collide with the full Relationship enum.
ADDABLE_RELATIONSHIPS = [c for c in Relationship.choices if c[0] != Relationship.SELF]


class FamilyMemberInput(PersonInput):
    relationship = serializers.ChoiceField(choices=ADDABLE_RELATIONSHIPS)
    is_guardian = serializers.BooleanField(default=False)


class FamilyMemberUpdateInput(serializers.Serializer):
    relationship = serializers.ChoiceField(choices=Relationship.choices, required=False)
    is_guardian = serializers.BooleanField(required=False)
    person = PersonInput(required=False, help_text="New details; refused if the person has their own account.")


class SignUpInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=20)
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    national_id = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_null=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)


# --- The clinical record ---------------------------------------------------------------------------------------


class DiagnosisOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Diagnosis
        fields = ["id", "icd10_code", "description", "rank", "note"]


class DrugOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Drug
        fields = ["id", "code", "name", "generic_name", "form", "strength", "dispense_unit", "unit_price", "currency"]


class PrescriptionOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    drug = DrugOutput(read_only=True)
    encounter = serializers.UUIDField(source="encounter.public_id", read_only=True)

    class Meta:
        model = Prescription
        fields = ["id", "encounter", "drug", "dose_amount", "dose_unit", "route", "frequency", "duration_days", "quantity",
                  "instructions", "allergy_warning", "allergy_override_reason", "prescribed_at"]


class EncounterOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = serializers.UUIDField(source="patient.public_id", read_only=True)
    author = serializers.CharField(source="author.name", read_only=True)
    amends = serializers.SerializerMethodField()
    diagnoses = DiagnosisOutput(many=True, read_only=True)

    class Meta:
        model = Encounter
        fields = ["id", "record_id", "version", "amends", "amendment_reason", "patient", "author", "department_code",
                  "department_name", "appointment_public_id", "status", "started_at", "signed_at",
                  *Encounter.CLINICAL_FIELDS, "diagnoses"]

    def get_amends(self, encounter) -> str | None:
        return str(encounter.amends.public_id) if encounter.amends_id else None


class EncounterDetailOutput(EncounterOutput):
    prescriptions = PrescriptionOutput(many=True, read_only=True)

    class Meta(EncounterOutput.Meta):
        fields = [*EncounterOutput.Meta.fields, "prescriptions"]


class EncounterNoteInput(serializers.Serializer):
    chief_complaint = serializers.CharField(required=False, allow_blank=True)
    history = serializers.CharField(required=False, allow_blank=True)
    examination = serializers.CharField(required=False, allow_blank=True)
    assessment = serializers.CharField(required=False, allow_blank=True)
    plan = serializers.CharField(required=False, allow_blank=True)


class EncounterCreateInput(EncounterNoteInput):
    appointment = serializers.UUIDField(required=False, allow_null=True)


class AmendInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class DiagnosisInput(serializers.Serializer):
    code = serializers.CharField(max_length=10)
    rank = serializers.ChoiceField(choices=DiagnosisRank.choices, required=False, allow_null=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PrescriptionInput(serializers.Serializer):
    drug = serializers.CharField(help_text="The formulary code or id of the drug.")
    dose_amount = serializers.DecimalField(max_digits=10, decimal_places=3)
    dose_unit = serializers.CharField(max_length=20)
    route = serializers.ChoiceField(choices=Route.choices)
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    duration_days = serializers.IntegerField(min_value=1, max_value=365)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)
    instructions = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    allergy_override_reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AllergyOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Allergy
        fields = ["id", "substance", "reaction", "severity", "is_active", "recorded_at"]


class AllergyInput(serializers.Serializer):
    substance = serializers.CharField(max_length=100)
    reaction = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=AllergySeverity.choices)


class ProblemEntryOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Problem
        fields = ["id", "description", "icd10_code", "status", "onset_date", "resolved_date", "recorded_at"]


class ProblemInput(serializers.Serializer):
    description = serializers.CharField(max_length=300)
    icd10_code = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    onset_date = serializers.DateField(required=False, allow_null=True)


class OrderOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    encounter = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = ["id", "kind", "code", "name", "note", "status", "ordered_at", "encounter"]

    def get_encounter(self, order) -> str | None:
        return str(order.encounter.public_id) if order.encounter_id else None


class OrderInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OrderKind.choices)
    name = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    encounter = serializers.UUIDField(required=False, allow_null=True)


class ResultOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    order = serializers.SerializerMethodField()

    class Meta:
        model = ResultItem
        fields = ["id", "order", "loinc_code", "name", "value", "unit", "reference_low", "reference_high",
                  "critical_low", "critical_high", "flag", "observed_at"]

    def get_order(self, item) -> str | None:
        return str(item.order.public_id) if item.order_id else None


class ResultInput(serializers.Serializer):
    loinc_code = serializers.CharField(max_length=10)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    value = serializers.CharField(max_length=30)
    unit = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    reference_low = serializers.CharField(max_length=30, required=False, allow_blank=True, allow_null=True)
    reference_high = serializers.CharField(max_length=30, required=False, allow_blank=True, allow_null=True)
    critical_low = serializers.CharField(max_length=30, required=False, allow_blank=True, allow_null=True)
    critical_high = serializers.CharField(max_length=30, required=False, allow_blank=True, allow_null=True)
    observed_at = serializers.DateTimeField(required=False, allow_null=True)
    order = serializers.UUIDField(required=False, allow_null=True)


class ReportOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "kind", "title", "text", "issued_at", "has_file", "file_content_type", "file_size"]

    def get_has_file(self, report) -> bool:
        return bool(report.file)


class ReportInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrderKind.choices, required=False, default=OrderKind.EXAM)
    order = serializers.UUIDField(required=False, allow_null=True)
    file = serializers.FileField(required=False, allow_null=True)


class ChartOutput(serializers.Serializer):
    patient = PatientOutput()
    allergies = AllergyOutput(many=True)
    problems = ProblemEntryOutput(many=True)
    encounters = EncounterOutput(many=True)
    medications = PrescriptionOutput(many=True)
    results = ResultOutput(many=True)
    reports = ReportOutput(many=True)
    orders = OrderOutput(many=True)


class BreakGlassInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class BreakGlassOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = BreakGlassGrant
        fields = ["id", "reason", "granted_at", "expires_at"]


class AccessLogOutput(serializers.ModelSerializer):
    """What a patient sees of who looked at their record: role, department, time, purpose; not the name."""

    class Meta:
        model = AccessLog
        fields = ["at", "actor_role", "actor_department", "action", "object_type", "purpose"]


class ImportSummaryOutput(serializers.Serializer):
    created = serializers.IntegerField()
    patients = serializers.IntegerField()
    abnormal = serializers.IntegerField()


class CsvImportInput(serializers.Serializer):
    file = serializers.FileField()


class Icd10Output(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()
