from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User


class UserOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "name", "email", "phone", "roles"]

    def get_roles(self, user: User) -> list[str]:
        return sorted(user.roles)


class LoginInput(serializers.Serializer):
    username = serializers.CharField(help_text=_("Email address or mobile number."))
    password = serializers.CharField(style={"input_type": "password"})


class LoginOutput(UserOutput):
    two_factor = serializers.SerializerMethodField(help_text=_(
        "'pending': this staff session must pass POST /api/v1/accounts/two-factor before anything else; "
        "'verified' or 'not_required' otherwise."))

    class Meta(UserOutput.Meta):
        fields = [*UserOutput.Meta.fields, "two_factor"]

    def get_two_factor(self, user: User) -> str:
        request = self.context["request"]
        return request.session.get("two_factor", "not_required")


class TwoFactorInput(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text=_("The 6-digit code from the authenticator app, or a "
                                                            "recovery code."))
