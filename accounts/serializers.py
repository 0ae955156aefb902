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
