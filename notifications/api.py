from drf_spectacular.utils import extend_schema
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import selectors, services
from notifications.serializers import NotificationOutput


class NotificationListApi(APIView):
    """The signed-in person's notifications, newest first. The snapshot a live client re-reads."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=NotificationOutput(many=True))
    def get(self, request):
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(selectors.notification_list(user=request.user), request, view=self)
        return paginator.get_paginated_response(NotificationOutput(page, many=True).data)


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, public_id=None):
        notification = selectors.access_notification(user=request.user, public_id=public_id) if public_id else None
        services.notification_mark_read(user=request.user, notification=notification)
        return Response(status=204)
