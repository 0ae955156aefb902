"""The back office's writes: creating a doctor in one go, deactivating staff, the daily report.

Each is one transaction: a doctor is created whole or not at all; a deactivation closes the login, the
doctor's profile and their future sessions (through appointments.services.session_cancel, which tells the
patients) together; the daily report's row and its sending are one act per date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.phone import phone_normalise
from accounts.roles import Role
from appointments import services as appointment_services
from appointments.models import ConsultingRoom, Department, DoctorProfile, DoctorTitle, ScheduleTemplate, Slot, SlotStatus
from backoffice.errors import DoctorDetailsInvalid, StaffDeactivationRefused
from backoffice.models import DailyReport
from core.branding import hospital_name
from core.errors import PermissionRefused


@dataclass(frozen=True)
class WeeklySession:
    weekday: int
    session: str
    start_time: time
    end_time: time
    slot_minutes: int = 15
    numbers_per_slot: int = 1


def _check_sessions(sessions: list[WeeklySession]) -> list[str]:
    problems = []
    for n, s in enumerate(sessions, start=1):
        if s.end_time <= s.start_time:
            problems.append(_("Session %(n)d ends before it starts.") % {"n": n})
    for n, s in enumerate(sessions, start=1):
        for m, other in enumerate(sessions[n:], start=n + 1):
            if s.weekday == other.weekday and s.start_time < other.end_time and other.start_time < s.end_time:
                problems.append(_("Sessions %(a)d and %(b)d overlap on the same weekday.") % {"a": n, "b": m})
    return problems


def doctor_create(*, by: User, name: str, email: str, password: str, title: str, department: Department,
                  phone: str = "", room: ConsultingRoom | None = None, new_room_code: str = "", new_room_name: str = "",
                  sessions: list[WeeklySession] = (), valid_from: date | None = None) -> DoctorProfile:
    """Create a doctor in one go: the login (with the doctor role), the profile in `department`, a consulting room
    (an existing one of the department, or a new one), and weekly schedule templates from `valid_from`.

    Needs accounts.add_user, appointments.add_doctorprofile and add_scheduletemplate. Everything is checked first
    and refused with field errors (DoctorDetailsInvalid); the writes are one transaction, so if any part still
    fails (a constraint, a race for the same email) nothing of the doctor stays. No lock: the unique constraints on
    email, phone and room code decide between two administrators creating the same person at once.
    """
    if not by.has_perms(["accounts.add_user", "appointments.add_doctorprofile", "appointments.add_scheduletemplate"]):
        raise PermissionRefused(_("Only hospital administrators can add doctors."))
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    try:
        phone = phone_normalise(phone) if phone else ""
    except ValidationError as exc:
        errors["phone"] = list(exc.messages)
        phone = ""
    if User.objects.filter(email=email).exists():
        errors["email"] = [_("Someone already signs in with this email address.")]
    if phone and User.objects.filter(phone=phone).exists():
        errors["phone"] = [_("Someone already signs in with this mobile number.")]
    try:
        validate_password(password, User(email=email, name=name))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if title not in DoctorTitle.values:
        errors["title"] = [_("Choose one of the titles.")]
    if room is not None and room.department_id != department.pk:
        errors["room"] = [_("This room belongs to another department.")]
    if room is not None and new_room_code:
        errors["new_room_code"] = [_("Choose an existing room or name a new one, not both.")]
    if new_room_code and ConsultingRoom.objects.filter(code=new_room_code).exists():
        errors["new_room_code"] = [_("A room with this code already exists.")]
    if new_room_code and not new_room_name.strip():
        errors["new_room_name"] = [_("Give the new room a name patients will read.")]
    if problems := _check_sessions(list(sessions)):
        errors["sessions"] = problems
    if errors:
        raise DoctorDetailsInvalid(errors=errors)
    valid_from = valid_from or timezone.localdate()
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name.strip(), phone=phone or None,
                                            is_staff=True)
            user.groups.add(Group.objects.get_or_create(name=Role.DOCTOR)[0])
            doctor = DoctorProfile.objects.create(user=user, department=department, title=title)
            if new_room_code:
                room = ConsultingRoom.objects.create(department=department, code=new_room_code, name=new_room_name.strip())
            for s in sessions:
                ScheduleTemplate.objects.create(doctor=doctor, room=room, weekday=s.weekday, session=s.session,
                                                start_time=s.start_time, end_time=s.end_time, slot_minutes=s.slot_minutes,
                                                numbers_per_slot=s.numbers_per_slot, valid_from=valid_from)
    except IntegrityError as exc:
        raise DoctorDetailsInvalid(errors={"__all__": [
            _("The doctor could not be saved (%(detail)s). Nothing was created; check the details and try again.")
            % {"detail": str(exc).splitlines()[0][:200]}]}) from exc
    return doctor


@dataclass(frozen=True)
class Deactivation:
    user: User
    sessions_cancelled: int
    appointments_cancelled: int


def staff_deactivate(*, user: User, by: User, reason: str = "") -> Deactivation:
    """Take a member of staff off duty for good: their login is disabled (open sessions end at the next request),
    a doctor stops seeing patients (no new slots are made) and their sessions still to come are cancelled through
    appointments.services.session_cancel, which tells each booked patient. Nothing is deleted: their records,
    notes, appointments and audit rows stay, under their name.

    Needs accounts.change_user (and appointments.change_slot for a doctor with sessions to come). Refused for
    one's own account. Locks the user row, so two administrators deactivating the same person do it once.
    """
    if not by.has_perm("accounts.change_user"):
        raise PermissionRefused(_("Only hospital administrators can deactivate staff."))
    if user.pk == by.pk:
        raise StaffDeactivationRefused(_("You cannot deactivate your own account; ask another administrator."))
    reason = (reason or "").strip() or _("The doctor no longer works at the hospital.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_superuser and not by.is_superuser:
            raise StaffDeactivationRefused(
                _("%(name)s is a superuser; only another superuser can deactivate them.") % {"name": locked.name})
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        sessions = cancelled = 0
        doctor = DoctorProfile.objects.select_for_update().filter(user=locked).first()
        if doctor is not None:
            doctor.is_active = False
            doctor.save(update_fields=["is_active"])
            upcoming = (Slot.objects.filter(doctor=doctor, starts_at__gt=timezone.now(), status=SlotStatus.OPEN)
                        .order_by("date", "session").values_list("date", "session").distinct())
            for day, session in upcoming:
                cancelled += appointment_services.session_cancel(doctor=doctor, date=day, session=session, by=by,
                                                                 reason=reason)
                sessions += 1
    return Deactivation(user=locked, sessions_cancelled=sessions, appointments_cancelled=cancelled)


# --- The daily report ---------------------------------------------------------------------------------------

def report_recipients() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name=Role.HOSPITAL_ADMIN).exclude(email="")
                .distinct().order_by("pk"))


def daily_report_send(*, day: date, now: datetime | None = None) -> DailyReport:
    """Email the figures of local date `day` to every active hospital administrator, once per date.

    The DailyReport row (unique per date) is locked for the whole act: a second run, even at the same moment,
    waits, then finds ``sent_at`` set and sends nothing. If sending fails the transaction rolls back and the
    next run sends it. Each administrator gets it in their preferred language, with the Excel file attached.
    """
    from backoffice import export, figures

    with transaction.atomic():
        DailyReport.objects.get_or_create(date=day)
        report = DailyReport.objects.select_for_update().get(date=day)
        if report.sent_at is not None:
            return report
        dashboard = figures.dashboard_compute(date_from=day, date_to=day)
        recipients = report_recipients()
        for user in recipients:
            with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
                departments = {d.pk: d.name for d in Department.objects.all()}
                context = {"dashboard": dashboard, "day": day, "hospital": hospital_name(),
                           "rows": report_rows(dashboard), "department_lines": department_lines(dashboard, departments)}
                message = EmailMultiAlternatives(
                    subject=_("%(hospital)s: figures for %(day)s") % {"hospital": hospital_name(), "day": day.isoformat()},
                    body=render_to_string("backoffice/email/daily_report.txt", context),
                    to=[user.email])
                message.attach(export.export_filename(dashboard, "xlsx"),
                               export.dashboard_xlsx(dashboard, department_names=departments,
                                                     department_label=_("All departments")),
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                message.send()
        report.sent_at = now or timezone.now()
        report.recipients = len(recipients)
        report.save(update_fields=["sent_at", "recipients"])
    return report


def report_rows(dashboard) -> list[tuple[str, str]]:
    """The period's figures as (label, text) pairs, as the email and the dashboard's summary show them."""
    from backoffice.export import FIGURE_LABELS

    rows = []
    for column, label in FIGURE_LABELS.items():
        if column.startswith(("revenue", "refunds")) and not dashboard.has_revenue:
            continue
        rows.append((str(label), figure_text(column, dashboard.totals[column])))
    rows.append((_("Alerts open now"), str(dashboard.alerts_now.get("open", 0))))
    rows.append((_("Alerts escalated now"), str(dashboard.alerts_now.get("escalated", 0))))
    return rows


def department_lines(dashboard, departments: dict[int, str]) -> list[str]:
    """One line per department: visits, bookings of capacity, no-shows, median wait."""
    from backoffice.figures import records

    lines = []
    for department_id, row in records(dashboard.by_department):
        lines.append(_("%(department)s: %(visits)s visits, %(bookings)s of %(capacity)s numbers booked, %(no_shows)s "
                       "no-shows, median wait %(wait)s min") % {
            "department": departments.get(department_id, "—"), "visits": int(row["visits"]),
            "bookings": int(row["bookings"]), "capacity": int(row["capacity"]), "no_shows": int(row["no_shows"]),
            "wait": figure_text("wait_median", None if row["wait_median"] != row["wait_median"] else row["wait_median"])})
    return lines


def figure_text(column: str, value) -> str:
    if value is None:
        return "–"
    if column in ("utilisation", "no_show_rate"):
        return f"{value * 100:.1f}%"
    if column.startswith(("wait", "consult")):
        return f"{value:.1f}"
    if column.startswith(("revenue", "refunds")):
        return f"{value:,.2f}"
    return f"{value:,}"


def yesterday(today: date) -> date:
    return today - timedelta(days=1)
