"""The OpenAPI schema says what the API really answers, errors included.

Every API error leaves through core.exceptions as ``application/problem+json``. drf-spectacular documents only the
success answer unless told, so a client generated from the schema (and the fuzzer in tests/fuzz/) would meet
undocumented 400s, 403s and 404s. ``ProblemAutoSchema`` adds, to every operation, the error answers its shape makes
possible, and documents every error answer as problem+json. Rules a view refuses by (409 ``slot_full``, 422
``fhir_invalid``) are named by the view's own ``@extend_schema(responses=...)``.
"""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

from core.exceptions import PROBLEM_CONTENT_TYPE


class ProblemOutput(serializers.Serializer):
    """An error, as problem+json (RFC 9457). ``code`` says which rule refused the request."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What happened and what to do next, in the request's language.")
    code = serializers.CharField(help_text="Stable and machine-readable: invalid, not_authenticated, permission_denied, "
                                           "not_found, throttled, slot_full, record_access_denied, ...")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="Field-level messages, {field: [messages]}.")


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the error answers every operation of this shape can give."""

    def problem_codes(self) -> set[int]:
        """The error statuses any view of this shape can answer, whatever its own rules.

        - 400: a body or query parameters that do not validate;
        - 401: a refused token where the authenticator asks for one (``WWW-Authenticate``, the device API);
        - 403: not signed in (session APIs), a missing CSRF token on a signed-in write, or a permission refused;
        - 404: an id in the path that is not there (or not yours: the same answer);
        - 415: a body in a media type the view does not parse;
        - 429: the view is throttled.
        """
        codes: set[int] = set()
        view = self.view
        has_body = self.method in BODY_METHODS
        if has_body or self._get_filter_parameters() or self._get_pagination_parameters() or self.get_override_parameters():
            codes.add(400)
        if has_body:
            codes.add(415)
        authenticators = view.get_authenticators()
        permissions = view.get_permissions()
        if any(not isinstance(permission, AllowAny) for permission in permissions):
            codes.add(401 if authenticators and authenticators[0].authenticate_header(view.request) else 403)
        if any(isinstance(authenticator, SessionAuthentication) for authenticator in authenticators):
            codes.add(403)  # CSRF refused on a signed-in write; a permission class refusing the signed-in user
        if any(authenticator.authenticate_header(view.request) for authenticator in authenticators):
            codes.add(401)
        if "{" in self.path:
            codes.add(404)
        if getattr(view, "throttle_classes", None):
            codes.add(429)
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in sorted(self.problem_codes()):
            responses.setdefault(str(code), self._get_response_for_code(ProblemOutput, str(code), None, direction))
        return responses

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        if not media_types and str(status_code) >= "400":
            media_types = [PROBLEM_CONTENT_TYPE]  # core.exceptions renders every error so
        return super()._get_response_for_code(serializer, status_code, media_types, direction)
