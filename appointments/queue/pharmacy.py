"""The pharmacy window's ticket (取药): once a patient has paid for their medicines they are given a number at
the pharmacy window where the fewest people wait, and told how many are ahead of them.

Payments calls ``pharmacy_ticket_issue`` after an invoice with medicines is paid, with a key naming what was
paid (e.g. ``invoice:<public_id>``); this app never imports payments. The ticket is an ordinary QueueTicket
of a pharmacy-window ServicePoint, so the patient's live ticket page, the department's board and the
window's console work for it unchanged.

Locks, in the queue's order (appointments.queue.services): every active pharmacy window of the department
(ServicePoint rows, by primary key) → core Sequence row of the chosen window's numbers. Holding all the
windows of the department while counting makes "the window with the fewest waiting" true at the moment the
ticket is written (two patients paying at once do not both pick the same short line), and makes requests
with the same key wait for each other, so the second finds the first's ticket. The partial unique constraint
ticket_issue_key_once stands behind it for keys reaching another department.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.localtime import hospital_today
from appointments.models import CheckInChannel, Department, QueueTicket, ServicePoint, ServicePointKind, TicketStatus
from appointments.queue import live
from appointments.queue.errors import QueueActionRefused
from appointments.queue.services import _issue_ticket, _lock_service_points, _priority_for, is_front_desk
from core.errors import PermissionRefused
from records.models import Patient

ISSUE_KEY_MAX = QueueTicket._meta.get_field("issue_key").max_length


@dataclass(frozen=True)
class PharmacyTicket:
    """What the patient is told after paying: go to ``window``, your number is ``number``, ``waiting`` people
    are ahead of you. ``created`` is False when the key had its ticket already (a repeated request)."""

    ticket: QueueTicket
    window: str
    number: str
    waiting: int
    created: bool


class PharmacyUnavailable(QueueActionRefused):
    code = "pharmacy_unavailable"
    http_status = 409
    default_message = _("No pharmacy window is open just now. Please take your receipt to the pharmacy.")


def pharmacy_department() -> Department | None:
    """The department whose windows hand out medicines (settings.PHARMACY_DEPARTMENT_CODE, default "pharmacy")."""
    return Department.objects.filter(code=settings.PHARMACY_DEPARTMENT_CODE).first()


def pharmacy_windows(*, department: Department) -> list[ServicePoint]:
    """The department's active pharmacy windows in window order (the order they were set up: primary key)."""
    return list(ServicePoint.objects.filter(department=department, kind=ServicePointKind.PHARMACY_WINDOW,
                                            is_active=True).order_by("pk"))


def _ahead(ticket: QueueTicket) -> int:
    from appointments.queue.selectors import waiting_ids  # selectors import services, which this module imports

    ids = waiting_ids(service_point=ticket.service_point_id, day=ticket.date)
    return ids.index(ticket.pk) if ticket.pk in ids else 0


def _answer(ticket: QueueTicket, *, created: bool) -> PharmacyTicket:
    return PharmacyTicket(ticket=ticket, window=ticket.service_point.display_name, number=ticket.number,
                          waiting=_ahead(ticket) if ticket.status == TicketStatus.WAITING else 0, created=created)


def pharmacy_ticket_get(*, key: str) -> PharmacyTicket | None:
    """The ticket issued for `key`, with the people ahead of it now; None when none was issued."""
    ticket = (QueueTicket.objects.select_related("service_point__room", "service_point__doctor__user",
                                                 "service_point__department")
              .filter(issue_key=key).first()) if key else None
    return _answer(ticket, created=False) if ticket else None


def pharmacy_ticket_issue(*, patient: Patient, key: str, department: Department | None = None, by: User | None = None,
                          now: datetime | None = None) -> PharmacyTicket:
    """Give `patient` a number at the pharmacy window of `department` (default: pharmacy_department()) where
    the fewest patients are waiting today; ties go to the first window in window order.

    Idempotent per `key` (what was paid, e.g. ``invoice:<uuid>``): the same key always answers with its one
    ticket, however many requests race, even after the window moved on. Refused, nothing written: no key
    (QueueActionRefused), no active pharmacy window (PharmacyUnavailable), `by` who is not hospital staff
    (PermissionRefused). `by` is the member of staff when the front desk issues it; None when payments issues
    it after a payment. Locks the department's windows.
    """
    key = (key or "").strip()
    if not key or len(key) > ISSUE_KEY_MAX:
        raise QueueActionRefused(_("A pharmacy ticket needs the paid bill it is for."))
    if by is not None and not (is_front_desk(by) or by.has_perm("appointments.change_queueticket")):
        raise PermissionRefused(_("Only the front desk or the pharmacy can give a pharmacy number."))
    existing = pharmacy_ticket_get(key=key)
    if existing is not None:
        return existing
    department = department or pharmacy_department()
    if department is None:
        raise PharmacyUnavailable()
    now = now or timezone.now()
    today = hospital_today()
    with transaction.atomic():
        windows = _lock_service_points(ServicePoint.objects.filter(
            department=department, kind=ServicePointKind.PHARMACY_WINDOW, is_active=True).values_list("pk", flat=True))
        if not windows:
            raise PharmacyUnavailable()
        # Re-read under the locks: a request with the same key that held them first has committed its ticket.
        if not QueueTicket.objects.filter(issue_key=key).exists():
            counts = dict(ServicePoint.objects.filter(pk__in=windows).annotate(
                waiting=Count("tickets", filter=Q(tickets__date=today, tickets__status=TicketStatus.WAITING)))
                .values_list("pk", "waiting"))
            window = windows[min(windows, key=lambda pk: (counts.get(pk, 0), pk))]
            try:
                with transaction.atomic():  # a savepoint: the key's race lost to another department's windows
                    ticket = _issue_ticket(service_point=window, day=today, patient=patient, appointment=None,
                                           channel=CheckInChannel.PAYMENT, by=by,
                                           priority=_priority_for(patient, None, today),
                                           late=False, queued_at=now, now=now, issue_key=key)
            except IntegrityError:
                pass
            else:
                live.queue_changed(service_point_ids=[window.pk], department_ids=[department.pk],
                                   ticket_ids=[ticket.pk])
                return _answer(ticket, created=True)
    return pharmacy_ticket_get(key=key)
