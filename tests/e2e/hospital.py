"""The demo hospital (seed_demo) on the test database, and the pages each kind of user sees in it.

Used by the browser checks that visit every page of a role rather than one journey: the Content-Security-Policy
check (test_security_headers.py) and the accessibility check (test_accessibility.py). The demo data is what a person
trying the portal sees, so the pages have real content: a family, bookings, a clinical record with abnormal results,
home-monitoring readings and alerts, a queue with walk-ins. The demo patient is also given a ticket in today's queue.
"""

import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from core.demo import DEMO_PASSWORD
from tests import servers
from tests.e2e.signin import sign_in as staff_sign_in

PATIENT = "patient@demo.hospital"
DOCTOR = "dr.zhang@demo.hospital"
ADMIN = "admin@demo.hospital"
FRONT_DESK = "frontdesk@demo.hospital"


@dataclass
class Hospital:
    """URL paths (no host) of the pages each role sees, by a short name."""

    anonymous: dict[str, str] = field(default_factory=dict)
    patient: dict[str, str] = field(default_factory=dict)
    doctor: dict[str, str] = field(default_factory=dict)
    admin: dict[str, str] = field(default_factory=dict)
    public_screens: dict[str, str] = field(default_factory=dict)


def seed_hospital() -> Hospital:
    from accounts.models import User
    from appointments import selectors
    from appointments.models import Appointment, AppointmentStatus, DoctorProfile, ServicePoint
    from appointments.queue import services as queue
    from records.models import FamilyMember, Relationship

    call_command("seed_demo", "--quiet-logins", verbosity=0)
    account = User.objects.get(email=PATIENT)
    herself = FamilyMember.objects.select_related("patient").get(account=account, relationship=Relationship.SELF)
    parent = FamilyMember.objects.select_related("patient").get(account=account, relationship=Relationship.PARENT)
    doctor = DoctorProfile.objects.select_related("department").get(user__email=DOCTOR)
    point = ServicePoint.objects.filter(doctor=doctor).first()
    ticket = queue.ticket_walk_in(patient=herself.patient, service_point=point, by=User.objects.get(email=FRONT_DESK))
    booking = (Appointment.objects.filter(booked_by=account, status=AppointmentStatus.BOOKED)
               .select_related("slot").order_by("slot__starts_at").first())
    free = selectors.slot_bookable_list().filter(doctor=doctor).exclude(pk=booking.slot_id).order_by("starts_at").last()
    # A booking with a registration fee, not paid yet: its bill (payments) is on the patient's list to pay.
    from appointments import services as booking_services
    from payments.models import Invoice

    held_slot = (selectors.slot_bookable_list().filter(doctor=doctor).exclude(pk__in=[booking.slot_id, free.pk])
                 .order_by("starts_at").first())
    held = booking_services.appointment_book(patient=herself.patient, slot=held_slot, booked_by=account,
                                             request_key="a11y-held-booking")
    bill = Invoice.objects.get(source_ref=held.public_id)
    hospital = Hospital()
    hospital.anonymous = {
        "home": "/",
        "sign-up": reverse("records:signup"),
        "sign-in": reverse("accounts:login"),
        "password-reset": reverse("accounts:password_reset"),
    }
    hospital.patient = {
        "home": "/",
        "account": reverse("accounts:profile"),
        "password-change": reverse("accounts:password_change"),
        "family": reverse("records:family"),
        "family-add": reverse("records:family_add"),
        "family-edit": reverse("records:family_edit", args=[parent.public_id]),
        "family-remove": reverse("records:family_remove", args=[parent.public_id]),
        "departments": reverse("appointments:departments"),
        "doctors": reverse("appointments:doctors", args=[doctor.department.public_id]),
        "doctor": reverse("appointments:doctor", args=[doctor.public_id]),
        "session": reverse("appointments:session",
                           args=[doctor.public_id, free.date.isoformat(), free.session]),
        "choose-patient": reverse("appointments:choose_patient", args=[free.public_id]),
        "confirm": reverse("appointments:confirm", args=[free.public_id]) + f"?patient={parent.patient.public_id}",
        "my-appointments": reverse("appointments:mine"),
        "cancel": reverse("appointments:cancel", args=[booking.public_id]),
        "my-queue": reverse("queue:mine"),
        "ticket": reverse("queue:ticket", args=[ticket.public_id]),
        "records": reverse("records:my_records"),
        "record": reverse("records:patient_record", args=[herself.patient.public_id]),
        "record-viewers": reverse("records:record_viewers", args=[herself.patient.public_id]),
        "monitoring": reverse("telemonitor:mine"),
        "notifications": reverse("notifications:list"),
        "bills": reverse("payments:bills"),
        "bill": reverse("payments:bill", args=[bill.public_id]),
        "bill-return": reverse("payments:return", args=[bill.public_id]),
    }
    hospital.doctor = {
        "queue-console": reverse("queue:console", args=[point.public_id]),
        "chart": reverse("records:patient_record", args=[herself.patient.public_id]),
        "note-new": reverse("records:note_new", args=[herself.patient.public_id]),
        "monitoring-dashboard": reverse("telemonitor:dashboard"),
        "monitoring-patient": reverse("telemonitor:clinic_patient", args=[herself.patient.public_id]),
    }
    hospital.public_screens = {
        "queue-boards": reverse("queue:boards"),
        "queue-board": reverse("queue:board", args=[doctor.department.public_id]),
        "api-docs": reverse("api-docs"),
    }
    hospital.admin = {
        "admin-index": reverse("admin:index"),
        "admin-changelist": reverse("admin:appointments_doctorprofile_changelist"),
        "admin-change-form": reverse("admin:appointments_doctorprofile_change", args=[doctor.pk]),
    }
    return hospital


def sign_in(page: Page, live_url: str, login: str) -> None:
    """Through the portal's own sign-in page: a patient in whatever language the page is in; staff (in English)
    through the two-step sign-in as well (tests/e2e/signin.py)."""
    if login != PATIENT:
        staff_sign_in(page, live_url, login, DEMO_PASSWORD, "/")
    else:
        page.goto(f"{live_url}/accounts/login/")
        page.locator("#id_username").fill(login)
        page.locator("#id_password").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("logout")).to_be_attached()


def switch_language(page: Page, code: str) -> None:
    """The language button in the top bar, as a person would (it is stored on the session and the account)."""
    button = page.get_by_test_id(f"lang-{code}")
    if button.count():
        button.click()
        page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", code)


# --- A doctor's day (tests/e2e/test_journey_doctor_day.py) -------------------------------------------------------


def booked_and_checked_in(clinic, slot, *, name: str):
    """A patient with their own account who booked `slot` (tests.appointments.queue.world) through the booking
    service (paying the registration fee if there is one) and checked in on their phone. Returns the ticket."""
    from appointments import services as booking
    from appointments.models import AppointmentStatus
    from appointments.queue import services as queue
    from tests.appointments import factories

    account, person = factories.account_with_patient(name=name)
    clinic.accounts[person.pk] = account
    appointment = booking.appointment_book(patient=person, slot=slot, booked_by=account)
    if appointment.status == AppointmentStatus.HELD:
        appointment = booking.appointment_confirm(appointment=appointment)
    return queue.ticket_check_in(appointment=appointment, by=account)


def deteriorating_at_home(*, lead_doctor, name: str):
    """A patient on `lead_doctor`'s home-monitoring plan whose wearable has just sent a full set of vital signs
    scoring NEWS2 14: the readings go through the ingest service and are scored by the scoring service (what the
    worker's task runs). Returns the patient; their alerts are open on the doctor's monitoring dashboard."""
    from telemonitor.services import assessment, plans
    from telemonitor.services.devices import device_register
    from telemonitor.services.ingest import readings_ingest
    from tests.appointments import factories
    from tests.telemonitor.test_assessment import HIGH, vitals

    _account, person = factories.account_with_patient(name=name)
    plans.plan_enrol(patient=person, kind="cardiac", lead_doctor=lead_doctor, enrolled_by=lead_doctor)
    device, _token = device_register(patient=person, kind="heart_wearable", serial=f"HW-{person.pk}",
                                     registered_by=lead_doctor)
    readings_ingest(device=device, readings=vitals("home", minutes_ago=3, **HIGH))
    assessment.readings_score(patient_ids=[person.pk])  # already done in-process without a broker; then a no-op
    return person


# --- Paying: the sandbox's hosted checkout, with the worker that delivers its notifications -------------------

@contextmanager
def payment_server(folder: Path, **env: str):
    """Daphne on a port known before it starts, so the portal tells the sandbox to notify that very server
    (PAYMENTS_BASE_URL), and a Celery worker that delivers the sandbox's notifications and settles claims.
    `env` is passed to both (e.g. TIME_ZONE, for a test that moved the hospital's clock)."""
    port = servers.free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"REDIS_URL": settings.REDIS_URL, "PAYMENTS_BASE_URL": url, **env}
    worker = servers.celery_worker(folder / "celery.log", **env)
    with open(folder / "daphne.log", "ab") as log:
        web = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                               cwd=servers.ROOT, env=servers.child_env(**env), stdout=log, stderr=subprocess.STDOUT)
        try:
            servers.wait_for_port(port, process=web)
            servers.wait_for_worker(worker)
            yield url
        finally:
            servers.stop(web)
            servers.stop(worker, timeout=20)


def pay_in_sandbox(phone: Page, folder: Path, name: str) -> None:
    """On the sandbox's checkout page: pay, and wait until the portal's page says the ledger has it."""
    expect(phone.get_by_test_id("sandbox-warning")).to_be_visible()
    phone.screenshot(path=str(folder / f"{name}-sandbox.png"), full_page=True)
    phone.get_by_test_id("sandbox-pay").click()
    # Back on the portal: the page waits for the ledger (the notification goes through the worker) and reloads.
    expect(phone.get_by_test_id("pay-state")).to_have_attribute("data-state", "paid", timeout=30_000)


def pharmacy_with_a_queue():
    """The outpatient pharmacy's two windows: two people already wait at window 1, one at window 2."""
    from appointments.models import ServicePoint, ServicePointKind
    from appointments.queue import services as queue
    from tests.appointments import factories

    dept = factories.department(code="pharmacy", name_zh="门诊药房", name_en="Outpatient Pharmacy", queue_prefix="Y",
                                is_active=False)
    windows = [ServicePoint.objects.create(kind=ServicePointKind.PHARMACY_WINDOW, department=dept, name=name)
               for name in ("1号窗口", "2号窗口")]
    desk = factories.user("front_desk")
    for window, waiting in zip(windows, (2, 1), strict=True):
        for _ in range(waiting):
            queue.ticket_walk_in(patient=factories.patient(), service_point=window, by=desk)
    return windows
