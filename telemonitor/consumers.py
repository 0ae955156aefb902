from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from telemonitor import live, selectors


class AlertFeedConsumer(AsyncJsonWebsocketConsumer):
    """/ws/telemonitor/alerts/: nudges for the alert queues of the care teams the signed-in clinician is on.

    On connect: ``{"type": "hello", "teams": {lead id: latest seq}}``; then ``{"type": "alert", "team", "seq", "id"}``
    per change. No clinical content travels here: the page re-reads its queue over HTTP on hello, nudge and gap.
    Teams joined after connecting are picked up on the next (re)connect.
    """

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await self._is_clinician(user):
            await self.close(code=4403)
            return
        teams = await self._teams(user)
        self.groups_joined = [live.team_group(lead) for lead in teams]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "teams": teams})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def alert_changed(self, event):
        await self.send_json({"type": "alert", "team": event["team"], "seq": event["seq"], "id": event["id"]})

    @database_sync_to_async
    def _is_clinician(self, user) -> bool:
        return user.is_clinician

    @database_sync_to_async
    def _teams(self, user) -> dict[int, int]:
        return {lead: live.team_latest_seq(lead) for lead in selectors.team_lead_ids(user=user)}
