"""Queue pages: the patient's ticket (phone), the department's display board, the doctor's console (desk PC),
check-in from the desk's QR code, and the front desk's check-in.

Thin: reads through appointments.queue.selectors, writes through services; a refusal (ApplicationError)
is shown as a message and changes nothing. Each live page renders its snapshot into a fragment template;
static/js/queue-live.js re-reads that fragment (``?fragment=1``) on connect, on every nudge, on a gap and
after a reconnect, so the page shows what the database says, whatever messages were lost.
"""

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.roles import Role
from appointments.localtime import hospital_today
from appointments.models import Appointment, CheckInChannel, Department, DoctorProfile, TicketPriority
from appointments.queue import selectors, services
from appointments.queue.api import console_act
from appointments.selectors import patient_search
from core.errors import ApplicationError, NotFound
from records.models import FamilyMember, Patient


def _or_404(read, **kwargs):
    try:
        return read(**kwargs)
    except NotFound:
        raise Http404 from None


def _wants_fragment(request: HttpRequest) -> bool:
    return request.GET.get("fragment") == "1"


def _is_ajax(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _family_patient_ids(user) -> list[int]:
    ids = list(FamilyMember.objects.filter(account=user).values_list("patient_id", flat=True))
    own = Patient.objects.filter(account=user).values_list("pk", flat=True).first()
    return ids + ([own] if own and own not in ids else [])


# --- Patients -------------------------------------------------------------------------------------------

@login_required
def my_queue(request: HttpRequest) -> HttpResponse:
    """Today's appointments of the people on my list, with a check-in button, and today's tickets.
    Doctors go to their console and the front desk to its check-in page."""
    user = request.user
    if user.has_role(Role.DOCTOR) and DoctorProfile.objects.filter(user=user).exists():
        return redirect("queue:console_index")
    if services.is_front_desk(user) and not user.has_role(Role.PATIENT):
        return redirect("queue:desk")
    patient_ids = _family_patient_ids(user)
    tickets = selectors.ticket_list_for_account(user=user)
    ticketed = {t.appointment_id for t in tickets if t.appointment_id}
    appointments = [a for a in selectors.appointments_to_check_in(patient_ids=patient_ids) if a.pk not in ticketed]
    return render(request, "appointments/queue/mine.html", {"appointments": appointments, "tickets": tickets})


@login_required
@require_POST
def check_in(request: HttpRequest, public_id) -> HttpResponse:
    """Check in from the phone; with a ``token`` field, by the department desk's QR link."""
    appointment = Appointment.objects.filter(public_id=public_id).first()
    if appointment is None:
        raise Http404
    token = request.POST.get("token", "")
    try:
        if token:
            ticket = services.ticket_check_in_by_link(token=token, appointment=appointment, by=request.user)
        else:
            ticket = services.ticket_check_in(appointment=appointment, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(reverse("queue:scan", args=[token]) if token else reverse("queue:mine"))
    messages.success(request, _("Checked in. Your number is %(number)s.") % {"number": ticket.number})
    return redirect("queue:ticket", public_id=ticket.public_id)


@login_required
@require_http_methods(["GET"])
def scan(request: HttpRequest, token: str) -> HttpResponse:
    """The page the desk's QR code opens: today's appointments in that department for the people on my list."""
    try:
        department = services.check_in_link_read(token=token)
    except ApplicationError as error:
        return render(request, "appointments/queue/scan.html", {"error": error.message, "appointments": []}, status=400)
    appointments = [a for a in selectors.appointments_to_check_in(patient_ids=_family_patient_ids(request.user))
                    if a.slot.department_id == department.pk]
    return render(request, "appointments/queue/scan.html",
                  {"department": department, "token": token, "appointments": appointments})


@never_cache
@login_required
@require_safe  # a page to read: a POST to it is a 405, not the same page again
def ticket(request: HttpRequest, public_id) -> HttpResponse:
    found = _or_404(selectors.access_ticket, user=request.user, public_id=public_id)
    context = {"ticket": found, "snap": selectors.ticket_snapshot(ticket=found)}
    if _wants_fragment(request):
        return render(request, "appointments/queue/_ticket.html", context)
    return render(request, "appointments/queue/ticket.html", context)


@login_required
@require_POST
def ticket_rejoin(request: HttpRequest, public_id) -> HttpResponse:
    found = _or_404(selectors.access_ticket, user=request.user, public_id=public_id)
    try:
        services.ticket_rejoin(ticket=found, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("queue:ticket", public_id=found.public_id)


# --- The hall's display board -------------------------------------------------------------------------

def board_list(request: HttpRequest) -> HttpResponse:
    return render(request, "appointments/queue/boards.html",
                  {"departments": Department.objects.filter(is_active=True).order_by("sort_order", "code")})


@never_cache
@require_safe  # a page to read: a POST to it is a 405, not the same page again
def board(request: HttpRequest, public_id) -> HttpResponse:
    """Public, for the screen in the waiting hall: numbers, masked names and rooms, nothing clinical."""
    department = _or_404(selectors.department_get, public_id=public_id)
    context = {"department": department, "snap": selectors.board_snapshot(department=department)}
    if _wants_fragment(request):
        return render(request, "appointments/queue/_board.html", context)
    return render(request, "appointments/queue/board.html", context)


# --- The doctor's console ------------------------------------------------------------------------------

@login_required
def console_index(request: HttpRequest) -> HttpResponse:
    doctor = DoctorProfile.objects.filter(user=request.user).first()
    if doctor is None:
        raise PermissionDenied
    points = selectors.service_points_of_doctor(doctor=doctor)
    if len(points) == 1:
        return redirect("queue:console", public_id=points[0].public_id)
    return render(request, "appointments/queue/console_index.html", {"points": points})


@never_cache
@login_required
def console(request: HttpRequest, public_id) -> HttpResponse:
    """GET: the console. POST ``action`` (call-next, recall, skip, no-show, start, complete, transfer) with
    ``ticket`` (and ``to`` for transfer): do it, then back to the console (JSON for the page's script)."""
    point = _or_404(selectors.service_point_get, public_id=public_id)
    if not services.runs_queue(user=request.user, service_point=point):
        raise PermissionDenied
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "call-next":
                called = services.queue_call_next(service_point=point, by=request.user)
                done = _("Called %(number)s.") % {"number": called.number}
            else:
                acted = console_act(user=request.user, point=point, ticket_id=request.POST.get("ticket") or None,
                                    action=action, to=request.POST.get("to") or None)
                done = _("%(number)s: %(status)s.") % {"number": acted.number, "status": acted.get_status_display()}
            ok = True
        except ApplicationError as error:
            done, ok = str(error.message), False
        if _is_ajax(request):
            return JsonResponse({"ok": ok, "message": done}, status=200 if ok else 409)
        (messages.success if ok else messages.error)(request, done)
        return redirect("queue:console", public_id=point.public_id)
    context = {"point": point, "snap": selectors.console_snapshot(service_point=point)}
    if _wants_fragment(request):
        return render(request, "appointments/queue/_console.html", context)
    return render(request, "appointments/queue/console.html", context)


# --- Front desk -------------------------------------------------------------------------------------------

def _front_desk_only(request: HttpRequest) -> None:
    if not services.is_front_desk(request.user):
        raise PermissionDenied


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """Find a patient (name, pinyin initials, mobile, MRN): check in today's appointment, or queue a walk-in.
    Also links to each department's QR check-in code and board."""
    _front_desk_only(request)
    if request.method == "POST":
        try:
            if request.POST.get("appointment"):
                appointment = Appointment.objects.filter(public_id=request.POST["appointment"]).first()
                if appointment is None:
                    raise NotFound()
                made = services.ticket_check_in(appointment=appointment, by=request.user, channel=CheckInChannel.DESK,
                                                priority=request.POST.get("priority") or None)
            else:
                patient = Patient.objects.filter(public_id=request.POST.get("patient") or None).first()
                point = selectors.service_point_get(public_id=request.POST.get("service_point") or None)
                if patient is None:
                    raise NotFound()
                made = services.ticket_walk_in(patient=patient, service_point=point, by=request.user,
                                               priority=request.POST.get("priority") or None)
            messages.success(request, _("%(name)s is in the queue for %(where)s with number %(number)s.")
                             % {"name": made.patient.name, "where": made.service_point.display_name,
                                "number": made.number})
        except (ApplicationError, ValueError) as error:
            messages.error(request, getattr(error, "message", str(error)))
        return redirect(f"{reverse('queue:desk')}?q={request.POST.get('q', '')}")
    query = request.GET.get("q", "").strip()
    results = []
    if query:
        patients = list(patient_search(query=query, limit=10))
        today = {}
        for a in selectors.appointments_to_check_in(patient_ids=[p.pk for p in patients]):
            today.setdefault(a.patient_id, []).append(a)
        results = [(p, today.get(p.pk, [])) for p in patients]
    points = [p for d in DoctorProfile.objects.filter(is_active=True, slots__date=hospital_today()).distinct()
              .select_related("user") for p in selectors.service_points_of_doctor(doctor=d)]
    return render(request, "appointments/queue/desk.html", {
        "query": query, "results": results, "points": points, "priorities": TicketPriority.choices,
        "departments": Department.objects.filter(is_active=True).order_by("sort_order", "code")})


@never_cache
@login_required
@require_safe  # a page to read: a POST to it is a 405, not the same page again
def desk_qr(request: HttpRequest, public_id) -> HttpResponse:
    """The QR code shown at a department's desk: a signed link that expires, renewed by reloading this page."""
    _front_desk_only(request)
    department = _or_404(selectors.department_get, public_id=public_id)
    link = request.build_absolute_uri(reverse("queue:scan", args=[services.check_in_link_make(department=department)]))
    svg = io.BytesIO()
    segno.make(link, error="m").save(svg, kind="svg", scale=8, border=2, xmldecl=False, svgns=True)
    return render(request, "appointments/queue/desk_qr.html", {
        "department": department, "link": link, "qr_svg": svg.getvalue().decode(),
        "refresh_seconds": max(settings.QUEUE_CHECK_IN_LINK_MINUTES * 60 // 2, 30)})
