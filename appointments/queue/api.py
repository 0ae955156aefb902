"""Queue API (/api/v1/queue/): snapshots the live pages re-read, check-in, and the doctor's console actions.

One APIView per operation, thin over appointments.queue.selectors and services. Refusals are the services'
ApplicationErrors, rendered as problem+json (409 refused, 403 another doctor's queue, 404 not found).
"""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.models import Appointment, CheckInChannel, QueueTicket
from appointments.queue import selectors, services
from appointments.queue.serializers import CheckInInput, SnapshotOutput, TransferInput, WalkInInput
from appointments.serializers import ProblemOutput
from core.errors import NotFound, PermissionRefused
from records.models import Patient

PROBLEMS = {400: ProblemOutput, 403: ProblemOutput, 404: ProblemOutput, 409: ProblemOutput}


def _no_store(response: Response) -> Response:
    response["Cache-Control"] = "no-store"
    return response


class TicketSnapshotApi(APIView):
    """A patient's ticket: number, status, people ahead, estimated wait range, where to go when called."""

    @extend_schema(operation_id="queue_ticket", responses={200: SnapshotOutput, 404: ProblemOutput})
    def get(self, request, public_id):
        ticket = selectors.access_ticket(user=request.user, public_id=public_id)
        return _no_store(Response(selectors.ticket_snapshot(ticket=ticket)))


class TicketRejoinApi(APIView):
    """A patient who missed their call is back: they join the queue again (behind those on time)."""

    @extend_schema(operation_id="queue_ticket_rejoin", request=None, responses={200: SnapshotOutput, **PROBLEMS})
    def post(self, request, public_id):
        ticket = selectors.access_ticket(user=request.user, public_id=public_id)
        ticket = services.ticket_rejoin(ticket=ticket, by=request.user)
        return Response(selectors.ticket_snapshot(ticket=selectors.access_ticket(user=request.user,
                                                                                 public_id=ticket.public_id)))


class CheckInApi(APIView):
    """Check an appointment in (phone; with `token`, the department desk's QR link; front desk for anyone)."""

    @extend_schema(operation_id="queue_check_in", request=CheckInInput, responses={201: SnapshotOutput, **PROBLEMS})
    def post(self, request):
        data = CheckInInput(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = Appointment.objects.filter(public_id=data.validated_data["appointment"]).first()
        if appointment is None:
            raise NotFound(Appointment._meta.verbose_name)
        token = data.validated_data.get("token")
        if token:
            ticket = services.ticket_check_in_by_link(token=token, appointment=appointment, by=request.user)
        else:
            channel = CheckInChannel.DESK if services.is_front_desk(request.user) else CheckInChannel.PHONE
            ticket = services.ticket_check_in(appointment=appointment, by=request.user, channel=channel,
                                              priority=data.validated_data.get("priority"))
        ticket = selectors.access_ticket(user=request.user, public_id=ticket.public_id)
        return Response(selectors.ticket_snapshot(ticket=ticket), status=201)


class WalkInApi(APIView):
    """Front desk: a walk-in patient joins a doctor's queue today."""

    @extend_schema(operation_id="queue_walk_in", request=WalkInInput, responses={201: SnapshotOutput, **PROBLEMS})
    def post(self, request):
        data = WalkInInput(data=request.data)
        data.is_valid(raise_exception=True)
        if not services.is_front_desk(request.user):
            raise PermissionRefused()
        patient = Patient.objects.filter(public_id=data.validated_data["patient"]).first()
        if patient is None:
            raise NotFound()
        point = selectors.service_point_get(public_id=data.validated_data["service_point"])
        ticket = services.ticket_walk_in(patient=patient, service_point=point, by=request.user,
                                         priority=data.validated_data.get("priority"))
        ticket = selectors.access_ticket(user=request.user, public_id=ticket.public_id)
        return Response(selectors.ticket_snapshot(ticket=ticket), status=201)


class BoardSnapshotApi(APIView):
    """A department's waiting-room display (names masked). Public: it is on a screen in the hall."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="queue_board", responses={200: SnapshotOutput, 404: ProblemOutput})
    def get(self, request, public_id):
        department = selectors.department_get(public_id=public_id)
        return _no_store(Response(selectors.board_snapshot(department=department)))


class ConsoleSnapshotApi(APIView):
    """The doctor's console: now serving, next up, waiting list, missed calls. Only the doctor of that room."""

    @extend_schema(operation_id="queue_console", responses={200: SnapshotOutput, 403: ProblemOutput, 404: ProblemOutput})
    def get(self, request, public_id):
        point = selectors.access_console(user=request.user, public_id=public_id)
        return _no_store(Response(selectors.console_snapshot(service_point=point)))


class CallNextApi(APIView):
    """Call the next patient in line to the room."""

    @extend_schema(operation_id="queue_call_next", request=None, responses={200: SnapshotOutput, **PROBLEMS})
    def post(self, request, public_id):
        point = selectors.access_console(user=request.user, public_id=public_id)
        services.queue_call_next(service_point=point, by=request.user)
        return Response(selectors.console_snapshot(service_point=point))


def console_act(*, user, point, ticket_id, action: str, to=None) -> QueueTicket:
    """Run one console action on a ticket of `point` (shared by the API and the console page's form)."""
    ticket = QueueTicket.objects.filter(public_id=ticket_id, service_point=point).first() if ticket_id else None
    if ticket is None:
        raise NotFound(QueueTicket._meta.verbose_name)
    if action == "transfer":
        if not to:
            raise NotFound()
        return services.ticket_transfer(ticket=ticket, to=selectors.service_point_get(public_id=to), by=user)
    act = {"recall": services.ticket_recall, "skip": services.ticket_skip, "no-show": services.ticket_no_show,
           "start": services.ticket_start, "complete": services.ticket_complete}.get(action)
    if act is None:
        raise NotFound()
    return act(ticket=ticket, by=user)


class ConsoleActionApi(APIView):
    """recall, skip (move back), no-show, start, complete or transfer (with `to`) a ticket of this queue."""

    @extend_schema(operation_id="queue_console_action", request=TransferInput, responses={200: SnapshotOutput, **PROBLEMS})
    def post(self, request, public_id, ticket_id, action):
        point = selectors.access_console(user=request.user, public_id=public_id)
        data = TransferInput(data=request.data)
        data.is_valid(raise_exception=True)
        console_act(user=request.user, point=point, ticket_id=ticket_id, action=action, to=data.validated_data.get("to"))
        return Response(selectors.console_snapshot(service_point=point))
