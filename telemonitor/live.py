"""Live nudges to a care team's monitoring page over Channels.

A care team is a lead doctor's team: the doctor and the care-team members of the plans they lead all listen to the
group ``telemonitor-team-<lead doctor's user id>`` (ASCII, from an integer only). A message carries the team's
sequence number and the alert's public id, never clinical content: the page re-reads the alert queue over HTTP, and
a client that sees a gap in ``seq`` (or reconnects) re-reads it whole.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core.models import Sequence
from core.sequences import sequence_next

logger = logging.getLogger(__name__)


def team_group(lead_doctor_id: int) -> str:
    return f"telemonitor-team-{int(lead_doctor_id)}"


def team_sequence_name(lead_doctor_id: int) -> str:
    return f"telemonitor-team:{int(lead_doctor_id)}"


def team_latest_seq(lead_doctor_id: int) -> int:
    return Sequence.objects.filter(name=team_sequence_name(lead_doctor_id)).values_list("last_value", flat=True).first() or 0


def team_push(*, lead_doctor_id: int, alert_public_id: str) -> int | None:
    """Send one nudge to the team; returns its seq, or None when the channel layer is down (clients catch up)."""
    seq = sequence_next(name=team_sequence_name(lead_doctor_id))
    try:
        async_to_sync(get_channel_layer().group_send)(
            team_group(lead_doctor_id),
            {"type": "alert.changed", "team": int(lead_doctor_id), "seq": seq, "id": alert_public_id})
        return seq
    except Exception as exc:
        logger.warning("Live alert push to team %s delayed: %s", lead_doctor_id, exc)
        return None
