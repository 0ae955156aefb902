from django.contrib.auth import authenticate, login, logout
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import twofactor
from accounts.serializers import LoginInput, LoginOutput, TwoFactorInput, UserOutput
from core.errors import ApplicationError


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UserOutput)
    def get(self, request):
        return Response(UserOutput(request.user).data)


class LoginApi(APIView):
    """Sign in with email or mobile number; starts a session (cookie) for the API and pages alike."""

    permission_classes = [AllowAny]

    @extend_schema(request=LoginInput, responses=LoginOutput)
    def post(self, request):
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        # django-axes marks a locked-out login on the request it is given, and its middleware turns that
        # mark into the 429 lockout answer; DRF's Request wrapper would keep the mark to itself.
        user = authenticate(request._request, username=data.validated_data["username"],
                            password=data.validated_data["password"])
        if user is None:
            raise ApplicationError(_("The email or mobile number and password do not match an account."),
                                   code="invalid_login", http_status=400)
        login(request, user)
        return Response(LoginOutput(user, context={"request": request}).data)


class TwoFactorApi(APIView):
    """The second sign-in step for a staff session started through the API (code from the authenticator app or a
    recovery code). Setting the app up needs the browser page (QR code): 409 two_factor_not_enrolled until then."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=TwoFactorInput, responses=LoginOutput)
    def post(self, request):
        data = TwoFactorInput(data=request.data)
        data.is_valid(raise_exception=True)
        if twofactor.session_two_factor_state(request) == twofactor.PENDING:
            twofactor.code_verify(user=request.user, code=data.validated_data["code"])
            twofactor.session_two_factor_verified(request)
        return Response(LoginOutput(request.user, context={"request": request}).data)


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
