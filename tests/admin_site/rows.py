"""Row makers for the admin-wide tests (tests/admin_site): one per model registered in any admin site.

``ROW_MAKERS["app_label.ModelName"](n)`` adds `n` rows of that model, each with its own related rows (its own
patient, doctor, user...), so a changelist that fetches a related row per line shows up as more queries. A model
registered in the admin without a maker here fails tests/admin_site loudly: add one with ``@rows("label")``.

Clinical text written by these makers contains CLINICAL_MARKER, so a page can be searched for it.
"""

import itertools
from collections.abc import Callable
from datetime import date, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import Role

CLINICAL_MARKER = "临床机密CLINICAL"
ROW_MAKERS: dict[str, Callable[[int], None]] = {}
_n = itertools.count(1)


def rows(label: str):
    def register(fn: Callable[[], object]) -> Callable[[], object]:
        ROW_MAKERS[label] = lambda n: [fn() for _ in range(n)]
        return fn

    return register


# --- builders shared by several makers ---------------------------------------------------------------------------

def _user(*roles: str, **fields):
    from tests.appointments import factories

    return factories.user(*roles, **fields)


def _patient():
    from tests.appointments import factories

    return factories.account_with_patient()[1]


def _doctor():
    from tests.appointments import factories

    return factories.doctor()


def _now():
    return timezone.now()


# --- auth, axes, core, accounts, notifications -------------------------------------------------------------------

@rows("auth.Group")
def _group():
    return Group.objects.create(name=f"group-{next(_n)}")


def _axes_fields():
    n = next(_n)
    return {"username": f"person{n}@example.test", "ip_address": f"10.0.{n % 250}.{n % 200 + 1}",
            "user_agent": "Mozilla/5.0", "http_accept": "text/html", "path_info": "/accounts/login/"}


@rows("axes.AccessAttempt")
def _axes_attempt():
    from axes.models import AccessAttempt

    return AccessAttempt.objects.create(**_axes_fields(), get_data="", post_data="", failures_since_start=1)


@rows("axes.AccessLog")
def _axes_log():
    from axes.models import AccessLog

    return AccessLog.objects.create(**_axes_fields())


@rows("axes.AccessFailureLog")
def _axes_failure():
    from axes.models import AccessFailureLog

    return AccessFailureLog.objects.create(**_axes_fields())


@rows("core.OutboxMessage")
def _outbox():
    from core.models import OutboxMessage

    return OutboxMessage.objects.create(task_name=f"core.tasks.email_send.{next(_n)}",
                                        args=["Your result", f"{CLINICAL_MARKER} HbA1c 9.1 %", ["p@example.test"]])


@rows("core.ServiceHeartbeat")
def _heartbeat():
    from core.models import ServiceHeartbeat

    return ServiceHeartbeat.objects.create(name=f"beat-{next(_n)}", seen_at=_now())


@rows("accounts.User")
def _account():
    from accounts.twofactor import device_enrol_with_secret

    user = _user(Role.DOCTOR)
    device_enrol_with_secret(user=user, secret="JBSWY3DPEHPK3PXP")
    return user


@rows("notifications.Notification")
def _notification():
    from notifications.models import Notification

    n = next(_n)
    return Notification.objects.create(user=_user(Role.PATIENT), key=f"alert:{n}", kind="telemonitor_alert", seq=n,
                                       title=f"{CLINICAL_MARKER} blood pressure 182/110", body=CLINICAL_MARKER)


# --- records ----------------------------------------------------------------------------------------------------

@rows("records.Patient")
def _records_patient():
    return _patient()


@rows("records.FamilyMember")
def _family_member():
    from records.models import FamilyMember

    return FamilyMember.objects.filter(patient=_patient()).get()


@rows("records.AccessLog")
def _access_log():
    from records.access import access_log_write
    from records.models import AccessAction

    return access_log_write(user=_user(Role.DOCTOR), role=Role.DOCTOR, patient=_patient(), action=AccessAction.READ,
                            object_type="chart", purpose="care")


@rows("records.BreakGlassGrant")
def _break_glass():
    from records.services import break_glass_grant

    return break_glass_grant(doctor=_user(Role.DOCTOR), patient=_patient(), reason="Unconscious in the emergency room")


@rows("records.Drug")
def _drug():
    from tests.records.clinical import drug

    return drug()


def encounter_by(author, patient=None):
    """A signed note with a diagnosis and clinical text carrying CLINICAL_MARKER."""
    from records import services

    patient = patient or _patient()
    encounter = services.encounter_create(patient=patient, author=author, chief_complaint=f"{CLINICAL_MARKER} 咳嗽",
                                          history="发热", examination="湿啰音", assessment=CLINICAL_MARKER, plan="复诊")
    services.diagnosis_add(encounter=encounter, code="J18.9", by=author)
    return services.encounter_sign(encounter=encounter, by=author)


@rows("records.Encounter")
def _encounter():
    return encounter_by(_user(Role.DOCTOR))


# --- appointments and the queue ----------------------------------------------------------------------------------

@rows("appointments.Department")
def _department():
    from tests.appointments import factories

    return factories.department()


@rows("appointments.ConsultingRoom")
def _room():
    from appointments.models import ConsultingRoom
    from tests.appointments import factories

    dept = factories.department()
    return ConsultingRoom.objects.create(department=dept, code=f"room-{next(_n)}", name=f"{next(_n)}诊室")


@rows("appointments.DoctorProfile")
def _doctor_profile():
    return _doctor()


@rows("appointments.ScheduleTemplate")
def _template():
    from appointments.models import ScheduleTemplate, SessionOfDay

    return ScheduleTemplate.objects.create(doctor=_doctor(), weekday=next(_n) % 7, session=SessionOfDay.MORNING,
                                           start_time=time(8, 0), end_time=time(11, 30), valid_from=date.today())


@rows("appointments.ScheduleException")
def _exception():
    from appointments.models import ExceptionKind, ScheduleException

    return ScheduleException.objects.create(doctor=_doctor(), date=date.today() + timedelta(days=next(_n) % 30 + 1),
                                            kind=ExceptionKind.values[0], reason="training")


@rows("appointments.Slot")
def _slot():
    from tests.appointments import factories

    return factories.slot()


def _appointment():
    from tests.records.clinical import appointment

    return appointment(patient=_patient(), doctor=_doctor())


@rows("appointments.Appointment")
def _appointment_row():
    return _appointment()


@rows("appointments.AppointmentEvent")
def _appointment_event():
    from appointments.models import AppointmentEvent

    return AppointmentEvent.objects.create(appointment=_appointment(), to_status="booked")


@rows("appointments.ServicePoint")
def _service_point():
    from appointments.models import ConsultingRoom, ServicePoint

    doctor = _doctor()
    room = ConsultingRoom.objects.create(department=doctor.department, code=f"room-{next(_n)}", name="诊室")
    return ServicePoint.objects.create(department=doctor.department, doctor=doctor, room=room)


@rows("appointments.QueueTicket")
def _ticket():
    from tests.appointments.queue import world

    clinic = world.clinic()
    slot = world.slot_at(clinic, world.soon(30))
    return world.checked_in(clinic, world.booked(clinic, slot))


# --- home monitoring --------------------------------------------------------------------------------------------

def _device(patient=None):
    from telemonitor.services.devices import device_register

    device, _token = device_register(patient=patient or _patient(), kind="heart_wearable", serial=f"HW-{next(_n)}",
                                     registered_by=_user(Role.NURSE))
    return device


@rows("telemonitor.Device")
def _device_row():
    return _device()


@rows("telemonitor.Reading")
def _reading():
    from telemonitor.models import Reading

    device = _device()
    now = _now()
    return Reading.objects.create(device=device, patient_id=device.patient_id, device_reading_id=f"r{next(_n)}",
                                  kind="heart_rate", value=131, raw_value=131, raw_unit="/min", measured_at=now,
                                  device_offset_minutes=480, received_at=now)


@rows("telemonitor.Score")
def _score():
    from telemonitor.models import Score

    return Score.objects.create(patient=_patient(), set_key=f"s{next(_n)}", algorithm_version="news2-2017", at=_now(),
                                total=7, risk="high", partial=False, details={"note": CLINICAL_MARKER})


@rows("telemonitor.Alert")
def _alert():
    from telemonitor.models import Alert

    now = _now()
    return Alert.objects.create(patient=_patient(), kind="news2", severity="high", reason_code="legacy",
                                reason_params={"text": CLINICAL_MARKER},
                                details={"note": CLINICAL_MARKER}, opened_at=now, last_seen_at=now,
                                ack_due_at=now + timedelta(minutes=15), acknowledged_by=_user(Role.NURSE))


def plan_for(patient, lead):
    from telemonitor.services import plans

    return plans.plan_enrol(patient=patient, kind="blood_pressure", lead_doctor=lead, enrolled_by=lead,
                            care_team=[_user(Role.NURSE)])


@rows("telemonitor.MonitoringPlan")
def _plan():
    return plan_for(_patient(), _user(Role.DOCTOR))


@rows("telemonitor.PatientTarget")
def _target():
    from telemonitor.models import PatientTarget

    return PatientTarget.objects.create(patient=_patient(), parameter="systolic", low=100, high=135,
                                        set_by=_user(Role.DOCTOR))


# --- payments ---------------------------------------------------------------------------------------------------

def _checkout():
    from payments.sandbox.models import SandboxCheckout

    n = next(_n)
    return SandboxCheckout.objects.create(reference=f"INV-{n}", amount=Decimal("50.00"), description="挂号费",
                                          return_url="https://hospital.example/return",
                                          notify_url="https://hospital.example/notify",
                                          expires_at=_now() + timedelta(minutes=30))


def _transaction():
    from payments.sandbox.models import SandboxTransaction

    return SandboxTransaction.objects.create(checkout=_checkout(), kind="capture", amount=Decimal("50.00"),
                                             occurred_at=_now())


rows("payments_sandbox.SandboxCheckout")(_checkout)
rows("payments_sandbox.SandboxTransaction")(_transaction)


@rows("payments_sandbox.SandboxDelivery")
def _delivery():
    from payments.sandbox.models import SandboxDelivery

    return SandboxDelivery.objects.create(transaction=_transaction(), url="https://hospital.example/notify", body="{}")


@rows("payments_sandbox.SandboxDeliveryAttempt")
def _delivery_attempt():
    from payments.sandbox.models import SandboxDeliveryAttempt

    return SandboxDeliveryAttempt.objects.create(delivery=_delivery(), attempted_at=_now(), status_code=500)


# --- payments (issue 6) -----------------------------------------------------------------------------------------

def _payments_settings():
    """As tests/payments: the sandbox provider, notifications to nowhere (a row maker delivers nothing itself)."""
    from django.test import override_settings

    return override_settings(PAYMENTS_BASE_URL="http://127.0.0.1:9", PAYMENT_PROVIDERS=["sandbox"],
                             PAYMENT_DEFAULT_PROVIDER="sandbox", REGISTRATION_FEES={})


@rows("payments.FeeItem")
def _fee():
    from payments.models import FeeKind
    from tests.payments import factories

    return factories.fee(FeeKind.values[0], f"code-{next(_n)}", "25.00")


@rows("payments.InsurancePlan")
def _insurance_plan():
    from tests.payments import factories

    return factories.plan()


@rows("payments.Coverage")
def _coverage():
    from tests.payments import factories

    return factories.cover(_patient(), factories.plan())


@rows("payments.Invoice")
def _invoice():
    from tests.payments import factories

    return factories.invoice(who=_patient())


def _paid_invoice():
    from payments import services
    from tests.payments import factories

    with _payments_settings():
        invoice = factories.invoice(who=_patient(), prices=("60.00",))
        payment = factories.checkout(invoice)
        services.payment_notification_apply(event=factories.sandbox_pay(payment))
    return invoice, payment


@rows("payments.Payment")
def _payment():
    return _paid_invoice()[1]


@rows("payments.PaymentEvent")
def _payment_event():
    return _paid_invoice()[1].events.first()


@rows("payments.Refund")
def _refund():
    from payments.services.refunds import refund_request

    invoice, _payment_row = _paid_invoice()
    with _payments_settings():
        return refund_request(invoice=invoice, amount=Decimal("10.00"), reason="One test was not done",
                              by=_user(Role.HOSPITAL_ADMIN, is_superuser=True), request_key=f"refund-{next(_n)}",
                              send=False)


@rows("payments.InsuranceClaim")
def _claim():
    from payments.models import InsuranceClaim
    from tests.payments import factories

    patient = _patient()
    coverage = factories.cover(patient, factories.plan())
    invoice = factories.invoice(who=patient)
    return InsuranceClaim.objects.create(invoice=invoice, coverage=coverage, year=_now().year,
                                         insurer_share=Decimal("17.50"))


@rows("payments.HeldEvent")
def _held_event():
    from payments.models import HeldEvent

    return HeldEvent.objects.create(payment=_paid_invoice()[1], provider="sandbox", event_id=f"ev-{next(_n)}",
                                    kind="refund", data={}, waiting_for="capture")


@rows("payments.PaymentNotificationLog")
def _notification_log():
    from payments.models import PaymentNotificationLog

    return PaymentNotificationLog.objects.create(provider="sandbox", outcome="rejected", reason="bad signature",
                                                 event_id=f"ev-{next(_n)}", remote_addr="10.0.0.1")


def _reconciliation_run():
    from payments.models import ReconciliationRun

    return ReconciliationRun.objects.create(provider="sandbox", day=date.today() - timedelta(days=next(_n)))


rows("payments.ReconciliationRun")(_reconciliation_run)


@rows("payments.ReconciliationMismatch")
def _mismatch():
    from payments.models import ReconciliationMismatch

    return ReconciliationMismatch.objects.create(run=_reconciliation_run(), kind="missing_locally",
                                                 event_id=f"ev-{next(_n)}", what_to_do="Check the statement")


# --- back office (issue 8) --------------------------------------------------------------------------------------

@rows("backoffice.DailyReport")
def _daily_report():
    from backoffice.models import DailyReport

    return DailyReport.objects.create(date=date.today() - timedelta(days=next(_n)), sent_at=_now(), recipients=2)


@rows("backoffice.StaffMember")
def _staff_member():
    from backoffice.models import StaffMember

    return StaffMember.objects.get(pk=_doctor().user_id)
