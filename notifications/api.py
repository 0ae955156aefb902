from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import Page
from notifications import selectors, services
from notifications.serializers import NotificationOutput


class NotificationListApi(APIView):
    """The signed-in person's notifications, newest first. The snapshot a live client re-reads."""

    permission_classes = [IsAuthenticated]
    pagination_class = Page  # the schema documents the page ({count, next, previous, results}) and limit/offset

    @extend_schema(responses=NotificationOutput(many=True))
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.notification_list(user=request.user), request, view=self)
        return paginator.get_paginated_response(NotificationOutput(page, many=True).data)


class NotificationReadApi(APIView):
    """Mark one of the signed-in person's notifications read."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="notification_read", request=None, responses={204: None})
    def post(self, request, public_id):
        notification = selectors.access_notification(user=request.user, public_id=public_id)
        services.notification_mark_read(user=request.user, notification=notification)
        return Response(status=204)


class NotificationReadAllApi(APIView):
    """Mark all of the signed-in person's notifications read."""

    permission_classes = [IsAuthenticated]

    # Named here: the default id comes from the path and would collide with notification_read's.
    @extend_schema(operation_id="notifications_read_all", request=None, responses={204: None})
    def post(self, request):
        services.notification_mark_read(user=request.user)
        return Response(status=204)
