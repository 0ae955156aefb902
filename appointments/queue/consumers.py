"""Websockets for the queue: a nudge with a sequence number whenever a queue, board or ticket changes.

On connect each consumer sends ``{"type": "hello", "seq": n}``; afterwards ``{"type": "queue" | "board" |
"ticket", "seq": n}``. The page re-reads its snapshot over HTTP on hello, on a gap in ``seq`` and on every
nudge, so a lost message or a reconnect never leaves it wrong. Groups are named from integer ids looked up
here (live.py), never from anything in the URL.

- /ws/queue/tickets/<ticket uuid>/: whoever may see the ticket (selectors.access_ticket);
- /ws/queue/boards/<department uuid>/: anyone (the hall's screen; it only ever learns "changed");
- /ws/queue/console/<service point uuid>/: the doctor of that room.

When the channel layer loses Redis (restart, outage) every socket is closed with 4503 (core.channel_layers): the
page reconnects and re-reads its snapshot, so nudges lost while Redis was away never leave it behind.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from appointments.queue import live, selectors
from core.channel_layers import ResyncOnLayerLoss
from core.errors import ApplicationError

CLOSE_REFUSED = 4403


class _NudgeConsumer(ResyncOnLayerLoss, AsyncJsonWebsocketConsumer):
    channel_layer_alias = live.CHANNEL_LAYER
    groups_joined: list[str]

    async def _join(self, groups: list[str], seq_group: str) -> None:
        self.groups_joined = groups
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "seq": await database_sync_to_async(live.seq_current)(seq_group)})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def dispatch(self, message):
        # Channels runs close_old_connections() before every handler, through sync_to_async: a hop to the one
        # thread-sensitive worker thread, taken in turn by every socket of the process. A nudge touches no
        # database, and with 450 sockets per process those hops alone held the last socket's nudge back
        # ~75 ms (bench/queue_fanout.py). Every other message goes through Channels' dispatch unchanged.
        if message.get("type") == "queue.nudge":
            await self.queue_nudge(message)
            return
        await super().dispatch(message)

    async def queue_nudge(self, event):
        await self.send_json({"type": event["kind"], "seq": event["seq"]})

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})


class TicketConsumer(_NudgeConsumer):
    async def connect(self):
        found = await self._resolve(self.scope.get("user"), self.scope["url_route"]["kwargs"]["public_id"])
        if found is None:
            await self.close(code=CLOSE_REFUSED)
            return
        ticket_id, point_id = found
        await self._join([live.queue_group(point_id), live.ticket_group(ticket_id)], live.queue_group(point_id))

    @database_sync_to_async
    def _resolve(self, user, public_id):
        if user is None or not user.is_authenticated:
            return None
        try:
            ticket = selectors.access_ticket(user=user, public_id=public_id)
        except ApplicationError:
            return None
        return ticket.pk, ticket.service_point_id


class BoardConsumer(_NudgeConsumer):
    async def connect(self):
        department_id = await self._resolve(self.scope["url_route"]["kwargs"]["public_id"])
        if department_id is None:
            await self.close(code=CLOSE_REFUSED)
            return
        await self._join([live.board_group(department_id)], live.board_group(department_id))

    @database_sync_to_async
    def _resolve(self, public_id):
        try:
            return selectors.department_get(public_id=public_id).pk
        except ApplicationError:
            return None


class ConsoleConsumer(_NudgeConsumer):
    async def connect(self):
        point_id = await self._resolve(self.scope.get("user"), self.scope["url_route"]["kwargs"]["public_id"])
        if point_id is None:
            await self.close(code=CLOSE_REFUSED)
            return
        await self._join([live.queue_group(point_id)], live.queue_group(point_id))

    @database_sync_to_async
    def _resolve(self, user, public_id):
        if user is None or not user.is_authenticated:
            return None
        try:
            return selectors.access_console(user=user, public_id=public_id).pk
        except ApplicationError:
            return None
