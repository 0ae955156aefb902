"""How the OpenAPI schema describes `Authorization: Device <token>` (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "telemonitor.authentication.DeviceAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Device <token>: the secret a device receives when it is paired."}
