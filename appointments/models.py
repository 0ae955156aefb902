import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A clinical department patients book with (内科, 儿科, ...), named in Chinese and English."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    location = models.CharField(_("floor and location"), max_length=200, blank=True)
    queue_prefix = models.CharField(_("queue number prefix"), max_length=2, unique=True,
                                    help_text=_("Letter shown before queue numbers, e.g. A for A012."))
    is_active = models.BooleanField(_("open for booking"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def description(self) -> str:
        return self.description_zh if (get_language() or "").startswith("zh") else self.description_en


class DoctorTitle(models.TextChoices):
    # The professional title sets the registration fee tier (payments' fee schedule reads it).
    CHIEF = "chief", _("Chief physician")
    ASSOCIATE_CHIEF = "associate_chief", _("Associate chief physician")
    ATTENDING = "attending", _("Attending physician")
    RESIDENT = "resident", _("Resident physician")


class DoctorProfile(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="doctor_profile")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="doctors")
    title = models.CharField(pgettext_lazy("doctor's professional rank", "title"), max_length=20, choices=DoctorTitle.choices)
    specialties = models.CharField(_("specialties"), max_length=300, blank=True)
    bio = models.TextField(_("biography"), blank=True)
    is_active = models.BooleanField(_("seeing patients"), default=True)

    class Meta:
        verbose_name = _("doctor")
        verbose_name_plural = _("doctors")
        ordering = ["department__sort_order", "user__name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(title__in=DoctorTitle.values), name="doctor_title_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user.name} ({self.get_title_display()})"


class ConsultingRoom(models.Model):
    """A room where a doctor sees patients (3诊室). The queue's service point builds on it."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="rooms")
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(pgettext_lazy("consulting room", "name"), max_length=50,
                            help_text=_("As shown to patients, e.g. Room 3 / 3诊室."))
    location = models.CharField(_("location"), max_length=200, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("consulting room")
        verbose_name_plural = _("consulting rooms")
        ordering = ["department__sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class SessionOfDay(models.TextChoices):
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")
    EVENING = "evening", _("Evening")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ScheduleTemplate(models.Model):
    """A doctor's recurring session (every Monday morning, 08:00–12:00, 15-minute slots, 3 numbers each).

    Times are the hospital's local wall-clock times (settings.TIME_ZONE); slots made from it are
    stored in UTC, so a session keeps its local hours across daylight-saving changes.
    """

    doctor = models.ForeignKey(DoctorProfile, on_delete=models.CASCADE, related_name="schedule_templates")
    room = models.ForeignKey(ConsultingRoom, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    session = models.CharField(_("session"), max_length=10, choices=SessionOfDay.choices)
    start_time = models.TimeField(_("starts"))
    end_time = models.TimeField(_("ends"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=15)
    numbers_per_slot = models.PositiveSmallIntegerField(_("numbers per slot"), default=1)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("schedule template")
        verbose_name_plural = _("schedule templates")
        ordering = ["doctor", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_time__gt=models.F("start_time")), name="template_ends_after_start"),
            models.CheckConstraint(condition=models.Q(slot_minutes__gte=5, slot_minutes__lte=240), name="template_slot_length"),
            models.CheckConstraint(condition=models.Q(numbers_per_slot__gte=1, numbers_per_slot__lte=100),
                                   name="template_numbers_per_slot"),
            models.CheckConstraint(condition=models.Q(weekday__gte=0, weekday__lte=6), name="template_weekday_valid"),
            models.CheckConstraint(condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                                   name="template_valid_range"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} {self.get_weekday_display()} {self.get_session_display()}"


class ExceptionKind(models.TextChoices):
    LEAVE = "leave", _("Doctor on leave")
    HOLIDAY = "holiday", _("Public holiday")
    EXTRA = "extra", _("Extra session")


class ScheduleException(models.Model):
    """A change to the templates on one date: leave or a holiday removes sessions, an extra session adds one.

    ``doctor`` empty means every doctor (a public holiday); ``session`` empty means the whole day.
    """

    doctor = models.ForeignKey(DoctorProfile, null=True, blank=True, on_delete=models.CASCADE, related_name="schedule_exceptions")
    date = models.DateField(_("date"))
    session = models.CharField(_("session"), max_length=10, choices=SessionOfDay.choices, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ExceptionKind.choices)
    room = models.ForeignKey(ConsultingRoom, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    start_time = models.TimeField(_("starts"), null=True, blank=True)
    end_time = models.TimeField(_("ends"), null=True, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), null=True, blank=True)
    numbers_per_slot = models.PositiveSmallIntegerField(_("numbers per slot"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("schedule exception")
        verbose_name_plural = _("schedule exceptions")
        ordering = ["-date"]
        constraints = [
            # An extra session needs everything a template has; leave and holidays need none of it.
            models.CheckConstraint(
                condition=~models.Q(kind="extra") | (
                    models.Q(doctor__isnull=False, start_time__isnull=False, end_time__isnull=False,
                             slot_minutes__isnull=False, numbers_per_slot__isnull=False) & ~models.Q(session="")
                    & models.Q(end_time__gt=models.F("start_time"))),
                name="exception_extra_complete",
            ),
            models.CheckConstraint(condition=~models.Q(kind="leave") | models.Q(doctor__isnull=False),
                                   name="exception_leave_has_doctor"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date} {self.doctor or ''}"


class SlotStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CANCELLED = "cancelled", _("Cancelled by the hospital")


class Slot(models.Model):
    """A bookable time in a doctor's session, with a number of places (号源).

    ``booked`` counts the active appointments in it. It only changes inside the booking services,
    by a conditional UPDATE (``booked < capacity``), and the check constraint makes over-booking
    impossible even for code that forgets.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    doctor = models.ForeignKey(DoctorProfile, on_delete=models.PROTECT, related_name="slots")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="slots")
    room = models.ForeignKey(ConsultingRoom, null=True, blank=True, on_delete=models.SET_NULL, related_name="slots")
    template = models.ForeignKey(ScheduleTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="slots")
    date = models.DateField(_("date"), help_text=_("Local date of the session."))
    session = models.CharField(_("session"), max_length=10, choices=SessionOfDay.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(_("numbers"))
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)
    release_at = models.DateTimeField(_("opens for booking"))
    status = models.CharField(_("status"), max_length=10, choices=SlotStatus.choices, default=SlotStatus.OPEN)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at", "doctor"]
        constraints = [
            models.UniqueConstraint(fields=["doctor", "starts_at"], name="slot_one_per_doctor_time"),
            models.CheckConstraint(condition=models.Q(booked__lte=models.F("capacity")), name="slot_never_overbooked"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"),
            models.CheckConstraint(condition=models.Q(status__in=SlotStatus.values), name="slot_status_valid"),
        ]
        indexes = [
            models.Index(fields=["department", "date"], name="slot_department_date_idx"),
            models.Index(fields=["doctor", "date", "session"], name="slot_doctor_session_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked, 0)


class AppointmentStatus(models.TextChoices):
    HELD = "held", _("Awaiting payment")
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    IN_CONSULTATION = "in_consultation", _("With the doctor")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("Missed")
    EXPIRED = "expired", _("Not paid in time")


# Statuses that hold a number in the slot and count towards the booking rules.
ACTIVE_STATUSES = (AppointmentStatus.HELD, AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN,
                   AppointmentStatus.IN_CONSULTATION)


class Appointment(models.Model):
    """One patient's booking of a slot, from hold to completion.

    Lifecycle: held → booked → checked in → in consultation → completed; or cancelled, no-show,
    expired (hold not paid in time). Each step's time is a column; who did it is in AppointmentEvent.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="appointments")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    # Copied from the slot so the one-per-session rule can be a database constraint.
    doctor = models.ForeignKey(DoctorProfile, on_delete=models.PROTECT, related_name="appointments")
    date = models.DateField(_("date"))
    session = models.CharField(_("session"), max_length=10, choices=SessionOfDay.choices)
    status = models.CharField(_("status"), max_length=20, choices=AppointmentStatus.choices)
    fee = models.DecimalField(_("registration fee"), max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="CNY")
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    request_key = models.CharField(max_length=64, null=True, blank=True,
                                   help_text=_("The client's idempotency key: the same key books once."))
    rescheduled_from = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                            related_name="rescheduled_to")
    created_at = models.DateTimeField(auto_now_add=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    consultation_started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["-date", "slot__starts_at"]
        constraints = [
            # A patient never holds two numbers with the same doctor in one session, however requests race.
            models.UniqueConstraint(fields=["patient", "doctor", "date", "session"],
                                    condition=models.Q(status__in=ACTIVE_STATUSES),
                                    name="appointment_one_active_per_doctor_session"),
            models.UniqueConstraint(fields=["booked_by", "request_key"], condition=models.Q(request_key__isnull=False),
                                    name="appointment_request_key_once"),
            models.CheckConstraint(condition=models.Q(status__in=AppointmentStatus.values), name="appointment_status_valid"),
            models.CheckConstraint(condition=models.Q(fee__gte=0), name="appointment_fee_not_negative"),
            models.CheckConstraint(condition=~models.Q(status="held") | models.Q(hold_expires_at__isnull=False),
                                   name="appointment_hold_has_expiry"),
        ]
        indexes = [
            models.Index(fields=["status", "hold_expires_at"], name="appointment_hold_idx"),
            models.Index(fields=["patient", "date"], name="appointment_patient_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} → {self.doctor} {self.date} {self.session}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AppointmentEvent(models.Model):
    """Append-only history of an appointment: each status change, when, by whom and why."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("appointment event")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.from_status or '-'} → {self.to_status}"


# --- Waiting queue (候诊/叫号) ---------------------------------------------------------------------

class ServicePointKind(models.TextChoices):
    CONSULTING_ROOM = "consulting_room", _("Consulting room")
    PHARMACY_WINDOW = "pharmacy_window", _("Pharmacy window")


class ServicePoint(models.Model):
    """Where a queue is served: a doctor in a consulting room, or a pharmacy window (payments uses those).

    One queue per service point per day. Made on first use by check-in (doctor + room of the slot), or by
    an administrator. A consulting room point always names its doctor; a pharmacy window never does.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=ServicePointKind.choices,
                            default=ServicePointKind.CONSULTING_ROOM)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="service_points")
    doctor = models.ForeignKey(DoctorProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="service_points")
    room = models.ForeignKey(ConsultingRoom, null=True, blank=True, on_delete=models.PROTECT, related_name="service_points")
    name = models.CharField(pgettext_lazy("service point", "name"), max_length=50, blank=True,
                            help_text=_("Where patients are sent, e.g. Room 3 / 3诊室 or Window 2. Empty: the room's name."))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["department__sort_order", "kind", "name", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ServicePointKind.values), name="service_point_kind_valid"),
            models.CheckConstraint(
                condition=(models.Q(kind="consulting_room", doctor__isnull=False)
                           | models.Q(kind="pharmacy_window", doctor__isnull=True)),
                name="service_point_doctor_matches_kind"),
            # One point per doctor and room (and one per doctor without a room), so check-ins of the same
            # session never open two queues for one doctor, however they race.
            models.UniqueConstraint(fields=["doctor", "room"], condition=models.Q(room__isnull=False),
                                    name="service_point_one_per_doctor_room"),
            models.UniqueConstraint(fields=["doctor"], condition=models.Q(room__isnull=True, doctor__isnull=False),
                                    name="service_point_one_per_doctor_without_room"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.room_id:
            return self.room.name
        return str(self.doctor.user.name) if self.doctor_id else str(self.pk)


class TicketPriority(models.TextChoices):
    """Priority classes a hall uses; the ordering each gets is in appointments.queue.ordering."""

    NORMAL = "normal", pgettext_lazy("queue priority", "Normal")  # "Normal" alone is a result flag (正常)
    EMERGENCY = "emergency", _("Emergency")
    AGED = "aged", _("Aged 80 or over")
    DISABILITY = "disability", _("Disability")
    RETURNING = "returning", _("Returning with results")


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CALLED = "called", _("Called")
    SERVING = "serving", _("With the doctor")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Missed the call")
    NO_SHOW = "no_show", _("Did not come")
    TRANSFERRED = "transferred", _("Transferred")


class CheckInChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    QR = "qr", _("QR code at the desk")
    DESK = "desk", _("Front desk")
    WALK_IN = "walk_in", _("Walk-in")
    TRANSFER = "transfer", _("Transferred from another doctor")
    PAYMENT = "payment", _("Paid for medicines")  # a pharmacy window's ticket, issued once the medicines are paid


# A ticket in these statuses is still somewhere in today's queue.
TICKET_OPEN_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.SKIPPED)


class QueueTicket(models.Model):
    """A patient's place in one service point's queue on one day (候诊号), e.g. "A012".

    ``sequence`` comes from core.sequences (ticket:<service point>:<date>), so numbers are unique and
    gap-free per queue and day without count()+1. Where the ticket stands is decided by
    appointments.queue.ordering from ``priority``, ``late``, ``slot_starts_at`` and ``queued_at``.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service_point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="tickets")
    date = models.DateField(_("date"), help_text=_("Local date of the queue."))
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("number"), max_length=12)
    appointment = models.ForeignKey(Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets",
                                    help_text=_("Empty for a walk-in."))
    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="queue_tickets")
    priority = models.CharField(_("priority"), max_length=12, choices=TicketPriority.choices, default=TicketPriority.NORMAL)
    status = models.CharField(_("status"), max_length=12, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    channel = models.CharField(_("checked in by"), max_length=10, choices=CheckInChannel.choices)
    # Copied from the appointment's slot: booked patients wait in slot order. Empty for walk-ins.
    slot_starts_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(_("arrived late"), default=False)
    checked_in_at = models.DateTimeField(_("checked in"))
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    # When the ticket (re)joined the line: the check-in, or the return of a patient who missed the call.
    queued_at = models.DateTimeField()
    called_at = models.DateTimeField(null=True, blank=True)
    recall_count = models.PositiveSmallIntegerField(default=0)
    serving_started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    skipped_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    transferred_to = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="transferred_from")
    transferred_at = models.DateTimeField(null=True, blank=True)
    # What the ticket was issued for when the issuer must never issue two (a paid prescription's invoice:
    # appointments.queue.pharmacy). Empty for check-ins, walk-ins and transfers.
    issue_key = models.CharField(max_length=100, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("queue ticket")
        verbose_name_plural = _("queue tickets")
        ordering = ["date", "service_point", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["service_point", "date", "sequence"], name="ticket_sequence_once_per_queue"),
            models.UniqueConstraint(fields=["service_point", "date", "number"], name="ticket_number_once_per_queue"),
            # An appointment is in one queue at a time: checking in twice, even at once, makes one ticket.
            models.UniqueConstraint(fields=["appointment"],
                                    condition=models.Q(appointment__isnull=False) & ~models.Q(status="transferred"),
                                    name="ticket_one_live_per_appointment"),
            # One ticket per issue key, however many requests race (the same paid prescription twice).
            models.UniqueConstraint(fields=["issue_key"], condition=models.Q(issue_key__isnull=False),
                                    name="ticket_issue_key_once"),
            # A doctor sees one patient at a time.
            models.UniqueConstraint(fields=["service_point", "date"], condition=models.Q(status="serving"),
                                    name="ticket_one_serving_per_queue"),
            models.CheckConstraint(condition=models.Q(status__in=TicketStatus.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=models.Q(priority__in=TicketPriority.values), name="ticket_priority_valid"),
            models.CheckConstraint(condition=models.Q(channel__in=CheckInChannel.values), name="ticket_channel_valid"),
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="ticket_sequence_positive"),
            models.CheckConstraint(condition=~models.Q(status__in=["called", "serving", "done"])
                                   | models.Q(called_at__isnull=False), name="ticket_called_has_time"),
            models.CheckConstraint(condition=~models.Q(status="transferred") | models.Q(transferred_to__isnull=False),
                                   name="ticket_transfer_has_target"),
        ]
        indexes = [
            models.Index(fields=["service_point", "date", "status"], name="ticket_queue_status_idx"),
            models.Index(fields=["patient", "date"], name="ticket_patient_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.date}"

    @property
    def is_open(self) -> bool:
        return self.status in TICKET_OPEN_STATUSES
