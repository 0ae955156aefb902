from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.serializers import UserOutput
from core.openapi import ProblemOutput
from records import selectors, services
from records.serializers import (
    FamilyMemberInput,
    FamilyMemberOutput,
    FamilyMemberUpdateInput,
    SignUpInput,
)


class SignUpThrottle(AnonRateThrottle):
    rate = "20/hour"


class SignUpApi(APIView):
    """Create a patient account (and the patient's own record). Errors list each bad field."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignUpThrottle]

    @extend_schema(request=SignUpInput, responses={201: UserOutput})
    def post(self, request):
        data = SignUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.patient_sign_up(**data.validated_data)
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


def _person_details(person: dict, *, exclude=None):
    return services.patient_details_check(
        name=person["name"], sex=person.get("sex"), date_of_birth=person.get("date_of_birth"),
        phone=person.get("phone", ""), national_id=person.get("national_id", ""),
        insurance_number=person.get("insurance_number", ""), exclude=exclude,
    )


class FamilyMemberListApi(APIView):
    """The people the signed-in account books for (就诊人), themselves included."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=FamilyMemberOutput(many=True))
    def get(self, request):
        members = selectors.family_member_list(account=request.user)
        return Response(FamilyMemberOutput(members, many=True).data)

    @extend_schema(request=FamilyMemberInput, responses={201: FamilyMemberOutput})
    def post(self, request):
        data = FamilyMemberInput(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.family_member_add(
            account=request.user, relationship=data.validated_data["relationship"],
            is_guardian=data.validated_data["is_guardian"], details=_person_details(data.validated_data),
        )
        return Response(FamilyMemberOutput(member).data, status=status.HTTP_201_CREATED)


class FamilyMemberDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=FamilyMemberOutput)
    def get(self, request, public_id):
        return Response(FamilyMemberOutput(selectors.access_family_member(account=request.user, public_id=public_id)).data)

    @extend_schema(request=FamilyMemberUpdateInput, responses=FamilyMemberOutput)
    def patch(self, request, public_id):
        member = selectors.access_family_member(account=request.user, public_id=public_id)
        data = FamilyMemberUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        person = data.validated_data.get("person")
        member = services.family_member_update(
            member=member,
            relationship=data.validated_data.get("relationship", member.relationship),
            is_guardian=data.validated_data.get("is_guardian", member.is_guardian),
            details=_person_details(person, exclude=member.patient) if person else None,
        )
        return Response(FamilyMemberOutput(member).data)

    @extend_schema(responses={204: None, 400: ProblemOutput})  # 400: your own entry ("myself") stays on the list
    def delete(self, request, public_id):
        services.family_member_remove(member=selectors.access_family_member(account=request.user, public_id=public_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
