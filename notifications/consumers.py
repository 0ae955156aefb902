from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from notifications.live import feed_group
from notifications.models import Notification


class NotificationFeedConsumer(AsyncJsonWebsocketConsumer):
    """/ws/notifications/: nudges for the signed-in user's feed.

    On connect it sends ``{"type": "hello", "seq": latest}``; then ``{"type": "notification", "seq", "id"}``
    for each new one. A client that sees a gap in ``seq`` (or reconnects) re-reads /api/v1/notifications/.
    No message content travels here.
    """

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = feed_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "seq": await self._latest_seq(user.pk)})

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def feed_notify(self, event):
        await self.send_json({"type": "notification", "seq": event["seq"], "id": event["id"]})

    @database_sync_to_async
    def _latest_seq(self, user_id: int) -> int:
        return Notification.objects.filter(user_id=user_id).order_by("-seq").values_list("seq", flat=True).first() or 0
