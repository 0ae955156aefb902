from rest_framework import serializers

from records.models import FamilyMember, Patient, Relationship, Sex


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
