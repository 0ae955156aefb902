"""Access probing: every URL pattern that takes an object id, pages and API alike, tried as every role and user
who has no business with the object.

The patterns come from walking Django's URL resolver, so a pattern added later is probed without editing this
file; one with no object maker below fails ``test_every_id_pattern_has_an_object_maker`` naming it. Each is
filled with the ids of objects of patient A (tests/fuzz/world.py) and tried with GET and POST (signed in, CSRF
passed) by: patient B, a doctor and a nurse of another department, the front desk, the hospital administrator,
and nobody (signed out). The answer must be a refusal (302 to a sign-in page, 403, 404 or 405) unless the table
``ALLOWED`` says why that role may; no answer, allowed or not, may contain A's or A's parent's name, MRN or phone
unless ``ALLOWED`` says the role sees them. Every refused request for a clinical record leaves a ``refused`` row
in the audit trail (records.access), unless ``UNLOGGED`` says why not.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.roles import Role
from appointments.queue.services import check_in_link_make, service_point_for_slot
from records.models import AccessAction, AccessLog, FamilyMember
from tests.core.support import unit_isolation  # noqa: F401
from tests.fuzz.world import Hospital, hospital

pytestmark = pytest.mark.django_db

PROBERS = ["patient_b", Role.DOCTOR, Role.NURSE, Role.FRONT_DESK, Role.HOSPITAL_ADMIN, "anonymous"]
REFUSED = {302, 403, 404, 405}
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


@dataclass(frozen=True)
class Pattern:
    name: str  # "namespace:name", or the route when the pattern has no name
    route: str
    kwargs: tuple[str, ...]


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else (entry.namespace or namespace)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            kwargs = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route)) + tuple(re.findall(r"\(\?P<(\w+)>", route))
            if kwargs:
                name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or route)
                yield Pattern(name=name, route=route, kwargs=kwargs)


def id_patterns() -> list[Pattern]:
    """Every URL pattern with a keyword argument in its route (uuid, int, str, slug, path, or a regex group)."""
    return list(dict.fromkeys(_walk(get_resolver().url_patterns)))


# --- object makers: the URLs of A's objects for each pattern ---------------------------------------------------------

# Patterns that take no object: a catch-all, or a value that names nothing of anyone's.
NOT_OBJECTS = {
    "admin:app_list": "an admin section name (auth, records, ...), no object",
    "admin/(?P<url>.*)$": "admin's catch-all for unknown admin URLs",
    "api/v1/^.*$": "the API's catch-all: unknown routes answer 404 problem+json",
    "api-payments-notification": "a payment provider's name: its notifications are signed (tests/payments)",
    "admin:appointments_slot_generation": "a slot-generation job id (admin only); probed in tests/appointments/test_admin.py",
    "admin:appointments_slot_generation_progress": "as above",
}


def _fm(h: Hospital, patient) -> str:
    return FamilyMember.objects.get(account=h.a, patient=patient).public_id


def _sandbox_checkout(h: Hospital):
    """The sandbox provider's checkout page of a payment (stands in for the payment provider's own page)."""
    from payments.sandbox.models import SandboxCheckout

    return SandboxCheckout.objects.get_or_create(reference=f"probe-{h.a.pk}", defaults={
        "amount": "25.00", "description": "挂号费", "return_url": "http://testserver/", "notify_url": "http://testserver/",
        "expires_at": timezone.now() + timedelta(minutes=30)})[0]


MAKERS = {
    "accounts:password_reset_confirm": lambda h: [{"uidb64": urlsafe_base64_encode(force_bytes(h.a.pk)),
                                                    "token": default_token_generator.make_token(h.a)[:-2] + "xx"}],
    "records:family_edit": lambda h: [{"public_id": _fm(h, h.a_parent)}, {"public_id": _fm(h, h.a_self)}],
    "records:family_remove": lambda h: [{"public_id": _fm(h, h.a_parent)}],
    "records:patient_record": lambda h: [{"public_id": h.a_self.public_id}, {"public_id": h.a_parent.public_id}],
    "records:break_glass": lambda h: [{"public_id": h.a_self.public_id}],
    "records:report_file": lambda h: [{"public_id": h.report.public_id}],
    "records:record_pdf": lambda h: [{"public_id": h.a_self.public_id, "section": s} for s in ("visits", "medicines")],
    "records:record_viewers": lambda h: [{"public_id": h.a_self.public_id}],
    "records:note_new": lambda h: [{"public_id": h.a_self.public_id}],
    "records:note": lambda h: [{"public_id": h.signed.public_id}, {"public_id": h.draft.public_id}],
    "records:note_save": lambda h: [{"public_id": h.draft.public_id}],
    "records:note_diagnosis_add": lambda h: [{"public_id": h.draft.public_id}],
    "records:note_diagnosis_remove": lambda h: [{"public_id": h.signed.public_id,
                                                 "diagnosis_id": h.signed.diagnoses.first().public_id}],
    "records:note_prescription_add": lambda h: [{"public_id": h.draft.public_id}],
    "records:note_order_add": lambda h: [{"public_id": h.draft.public_id}],
    "records:note_amend": lambda h: [{"public_id": h.signed.public_id}],
    "telemonitor:device_revoke": lambda h: [{"public_id": h.device.public_id}],
    "telemonitor:alert_acknowledge": lambda h: [{"public_id": h.alert.public_id}],
    "telemonitor:clinic_patient": lambda h: [{"public_id": h.a_self.public_id}],
    "telemonitor:plan_settings": lambda h: [{"public_id": h.a_self.public_id}],
    "telemonitor:target_save": lambda h: [{"public_id": h.a_self.public_id}],
    "telemonitor:target_remove": lambda h: [{"public_id": h.a_self.public_id, "parameter": "heart_rate"}],
    "telemonitor:spo2_scale_save": lambda h: [{"public_id": h.a_self.public_id}],
    "admin:backoffice_dashboard_export": lambda h: [{"fmt": "csv"}],
    "admin:backoffice_dashboard_job": lambda h: [{"job_id": "probe-job"}],
    "admin:backoffice_dashboard_job_progress": lambda h: [{"job_id": "probe-job"}],
    "api-payments-invoice": lambda h: [{"public_id": h.extra["invoice"].public_id}],
    "api-payments-checkout": lambda h: [{"public_id": h.extra["invoice"].public_id}],
    "api-payments-desk-payment": lambda h: [{"public_id": h.extra["invoice"].public_id}],
    "api-payments-refund": lambda h: [{"public_id": h.extra["invoice"].public_id}],
    "payments:bill": lambda h: [{"public_id": h.extra["invoice"].public_id}],
    "payments:pay": lambda h: [{"public_id": h.extra["invoice"].public_id}],
    "payments:return": lambda h: [{"public_id": h.extra["invoice"].public_id}],
    "payments:status": lambda h: [{"public_id": h.extra["invoice"].public_id}],
    "payments:receipt": lambda h: [{"public_id": h.extra["invoice"].public_id}],
    "payments:appointment_pay": lambda h: [{"public_id": h.appointment_later.public_id}],
    "payments:insurance_unlink": lambda h: [{"public_id": h.extra["coverage"].public_id}],
    "api-payments-coverage-unlink": lambda h: [{"public_id": h.extra["coverage"].public_id}],
    "payments:desk_patient": lambda h: [{"public_id": h.a_self.public_id}],
    "payments:desk_record": lambda h: [{"public_id": h.extra["invoice"].public_id}],
    "payments_sandbox:checkout": lambda h: [{"provider_reference": _sandbox_checkout(h).provider_reference}],
    "appointments:doctors": lambda h: [{"public_id": h.department.public_id}],
    "appointments:doctor": lambda h: [{"public_id": h.carer.public_id}],
    "appointments:session": lambda h: [{"public_id": h.carer.public_id, "day": h.slots[1].date.isoformat(),
                                        "session": h.slots[1].session}],
    "appointments:choose_patient": lambda h: [{"public_id": h.slots[1].public_id}],
    "appointments:confirm": lambda h: [{"public_id": h.slots[1].public_id}],
    "appointments:cancel": lambda h: [{"public_id": h.appointment_later.public_id}],
    "appointments:reschedule": lambda h: [{"public_id": h.appointment_later.public_id}],
    "appointments:reschedule_confirm": lambda h: [{"public_id": h.appointment_later.public_id,
                                                   "slot_id": h.slots[2].public_id}],
    "appointments:desk_patient": lambda h: [{"public_id": h.a_self.public_id}],
    "queue:check_in": lambda h: [{"public_id": h.appointment_today.public_id}],
    "queue:scan": lambda h: [{"token": check_in_link_make(department=h.department)}],
    "queue:ticket": lambda h: [{"public_id": h.ticket.public_id}],
    "queue:ticket_rejoin": lambda h: [{"public_id": h.ticket.public_id}],
    "queue:board": lambda h: [{"public_id": h.department.public_id}],
    "queue:console": lambda h: [{"public_id": service_point_for_slot(slot=h.slots[0]).public_id}],
    "queue:desk_qr": lambda h: [{"public_id": h.department.public_id}],
    "api-family-detail": lambda h: [{"public_id": _fm(h, h.a_parent)}],
    "api-record-encounter": lambda h: [{"public_id": h.signed.public_id}, {"public_id": h.draft.public_id}],
    "api-record-report-file": lambda h: [{"public_id": h.report.public_id}],
    "api-notification-read": lambda h: [{"public_id": h.notification.public_id}],
    "api-appointments-sessions": lambda h: [{"public_id": h.carer.public_id}],
    "api-appointments-slots": lambda h: [{"public_id": h.carer.public_id}],
    "api-appointments-detail": lambda h: [{"public_id": h.appointment_today.public_id},
                                          {"public_id": h.appointment_later.public_id}],
    "api-appointments-cancel": lambda h: [{"public_id": h.appointment_later.public_id}],
    "api-appointments-reschedule": lambda h: [{"public_id": h.appointment_later.public_id}],
    "api-queue-ticket": lambda h: [{"public_id": h.ticket.public_id}],
    "api-queue-ticket-rejoin": lambda h: [{"public_id": h.ticket.public_id}],
    "api-queue-board": lambda h: [{"public_id": h.department.public_id}],
    "api-queue-console": lambda h: [{"public_id": service_point_for_slot(slot=h.slots[0]).public_id}],
    "api-queue-call-next": lambda h: [{"public_id": service_point_for_slot(slot=h.slots[0]).public_id}],
    "api-queue-console-action": lambda h: [{"public_id": service_point_for_slot(slot=h.slots[0]).public_id,
                                            "ticket_id": h.ticket.public_id, "action": action}
                                           for action in ("recall", "skip", "no-show", "start", "complete")],
}
# Every records API route under patients/<id> and encounters/<id>: the same maker.
for _name in ("api-record-patient", "api-record-chart", "api-record-encounters", "api-record-allergies",
              "api-record-problems", "api-record-orders", "api-record-results", "api-record-reports", "api-record-fhir",
              "api-record-break-glass", "api-record-access-log"):
    MAKERS[_name] = lambda h: [{"public_id": h.a_self.public_id}, {"public_id": h.a_parent.public_id}]
for _name in ("api-record-encounter-sign", "api-record-encounter-amend", "api-record-encounter-versions",
              "api-record-diagnoses", "api-record-prescriptions"):
    MAKERS[_name] = lambda h: [{"public_id": h.signed.public_id}, {"public_id": h.draft.public_id}]


def _admin_object(h: Hospital, model):
    """A's own row of `model` where it has one (A's account, A's record, a row pointing at either), else any row."""
    if model._meta.label == "accounts.User":
        return h.a
    if model._meta.label == "records.Patient":
        return h.a_self
    for field in model._meta.fields:
        target = getattr(field, "related_model", None)
        if target is not None and target._meta.label == "records.Patient":
            row = model.objects.filter(**{field.name: h.a_self}).first()
            if row is not None:
                return row
        if target is not None and target._meta.label == "accounts.User":
            row = model.objects.filter(**{field.name: h.a}).first()
            if row is not None:
                return row
    return model.objects.first()


def admin_urls(h: Hospital, pattern: Pattern) -> list[str] | None:
    """The admin's object URLs (change, delete, history, password) for A's row of the pattern's model."""
    if pattern.name == "admin:auth_user_password_change":  # UserAdmin names it so whatever the user model
        return [reverse(pattern.name, args=[h.a.pk])]
    for model in admin.site._registry:
        app_label, model_name = model._meta.app_label, model._meta.model_name
        prefix = f"admin:{app_label}_{model_name}_"
        bare = pattern.route == f"admin/{app_label}/{model_name}/<path:object_id>/"
        if not (bare or pattern.name.startswith(prefix)):
            continue
        row = _admin_object(h, model)
        if row is None:
            return []
        if bare:
            return [f"/admin/{app_label}/{model_name}/{row.pk}/"]
        return [reverse(pattern.name, args=[row.pk])]
    return None


def urls_for(h: Hospital, pattern: Pattern) -> list[str] | None:
    if pattern.name in MAKERS:
        return [reverse(pattern.name, kwargs=kwargs) for kwargs in MAKERS[pattern.name](h)]
    if pattern.name == "admin:view_on_site":
        from django.contrib.contenttypes.models import ContentType

        return [reverse(pattern.name, args=[ContentType.objects.get_for_model(h.a_self).pk, h.a_self.pk])]
    if pattern.name.startswith("admin:") or pattern.route.startswith("admin/"):
        return admin_urls(h, pattern)
    return None


# --- who may -------------------------------------------------------------------------------------------------------------

EVERYONE = frozenset(PROBERS)
STAFF = frozenset({Role.DOCTOR, Role.NURSE, Role.FRONT_DESK, Role.HOSPITAL_ADMIN})


@dataclass(frozen=True)
class Allowed:
    roles: frozenset
    why: str
    methods: frozenset = frozenset({"GET"})
    sees_identity: bool = False  # False: reachable, but must show nothing that identifies A


GET, POST, BOTH = frozenset({"GET"}), frozenset({"POST"}), frozenset({"GET", "POST"})
SIGNED_IN = EVERYONE - {"anonymous"}
VIEW_APPOINTMENTS = STAFF  # appointments.view_appointment (accounts.roles): selectors.access_appointment
CHANGE_APPOINTMENTS = frozenset({Role.FRONT_DESK, Role.HOSPITAL_ADMIN})  # appointments.change_appointment

# Every access a role has to A's objects without a relationship to A, and why. Anything else must be refused.
ALLOWED: dict[str, list[Allowed]] = {
    # Public: what the hospital offers, with no one's data.
    "appointments:doctors": [Allowed(EVERYONE, "a department's doctors are public")],
    "appointments:doctor": [Allowed(EVERYONE, "a doctor's page is public")],
    "appointments:session": [Allowed(EVERYONE, "a doctor's session and its free slots are public")],
    "api-appointments-sessions": [Allowed(EVERYONE, "a doctor's sessions are public")],
    "api-appointments-slots": [Allowed(EVERYONE, "a doctor's slots are public")],
    "queue:board": [Allowed(EVERYONE, "the waiting-room display: numbers and masked names (张*明)")],
    "api-queue-board": [Allowed(EVERYONE, "the waiting-room display's data: numbers and masked names")],
    "accounts:password_reset_confirm": [Allowed(EVERYONE, "a reset link with a wrong token: 'this link is invalid'",
                                                BOTH)],
    "queue:scan": [Allowed(SIGNED_IN, "the desk's QR link leads to one's own check-in")],
    "payments_sandbox:checkout": [Allowed(EVERYONE, "the payment provider's page: its unguessable reference is the "
                                                    "credential, as at a real provider; it shows an amount, no person",
                                          BOTH)],
    # Booking: any signed-in person chooses a public slot for someone on their own list.
    "appointments:choose_patient": [Allowed(SIGNED_IN, "choosing whom (of one's own list) to book a public slot for")],
    "appointments:confirm": [Allowed(SIGNED_IN, "confirming a booking of a public slot for one's own list", BOTH)],
    # The patient index: staff find people to register, book and check them in (records.access demographics rule).
    "api-record-patient": [Allowed(STAFF, "the patient index: every staff member may look a patient up",
                                   sees_identity=True)],
    "records:patient_record": [Allowed(STAFF, "the record page shows demographics to staff (chart sections only to "
                                              "carers, else the break-the-glass form)", sees_identity=True)],
    "records:break_glass": [Allowed(frozenset({Role.DOCTOR}), "any doctor may break the glass, giving a reason "
                                    "(flagged for review; an empty reason is refused and sent back to the record)",
                                    POST, sees_identity=True)],
    "api-record-break-glass": [Allowed(frozenset({Role.DOCTOR}), "as above, by the API (400: no reason given)", POST)],
    "appointments:desk_patient": [Allowed(frozenset({Role.FRONT_DESK}), "the front desk's page of a patient",
                                          sees_identity=True)],
    "queue:desk_qr": [Allowed(frozenset({Role.FRONT_DESK}), "the department's QR sign for the desk")],
    # Appointments: staff view any (appointments.view_appointment); front desk and administrators change any.
    "api-appointments-detail": [Allowed(VIEW_APPOINTMENTS, "staff view appointments", sees_identity=True)],
    "appointments:cancel": [Allowed(VIEW_APPOINTMENTS, "staff view appointments", sees_identity=True),
                            Allowed(CHANGE_APPOINTMENTS, "front desk and administrators cancel any", POST,
                                    sees_identity=True)],
    "appointments:reschedule": [Allowed(VIEW_APPOINTMENTS, "staff view appointments (leads to the doctor's page)",
                                        sees_identity=True)],
    "appointments:reschedule_confirm": [Allowed(VIEW_APPOINTMENTS, "staff view appointments", sees_identity=True),
                                        Allowed(CHANGE_APPOINTMENTS, "front desk and administrators move any", POST,
                                                sees_identity=True)],
    "api-appointments-cancel": [Allowed(CHANGE_APPOINTMENTS, "front desk and administrators cancel any", POST,
                                        sees_identity=True)],
    "api-appointments-reschedule": [Allowed(CHANGE_APPOINTMENTS, "front desk and administrators move any (400: no "
                                                                 "slot given)", POST, sees_identity=True)],
    # The queue: the front desk checks anyone in and follows any ticket.
    "queue:check_in": [Allowed(frozenset({Role.FRONT_DESK}), "the front desk checks anyone in", POST)],
    "queue:ticket": [Allowed(frozenset({Role.FRONT_DESK}), "the front desk follows any ticket")],
    "queue:ticket_rejoin": [Allowed(frozenset({Role.FRONT_DESK}), "the front desk puts a missed patient back", POST)],
    # Bills: the front desk and finance staff see every bill, take payment at the desk, start a payment for it;
    # finance refunds (payments.selectors.sees_all_invoices, payments.api check_may_refund).
    "api-payments-invoice": [Allowed(frozenset({Role.FRONT_DESK, Role.HOSPITAL_ADMIN}), "cashiers see every bill",
                                     sees_identity=True)],
    "api-payments-checkout": [Allowed(frozenset({Role.FRONT_DESK, Role.HOSPITAL_ADMIN}), "cashiers start a payment "
                                      "of a bill they see (400: nothing sent)", POST, sees_identity=True)],
    "api-payments-desk-payment": [Allowed(frozenset({Role.FRONT_DESK, Role.HOSPITAL_ADMIN}), "payment taken at the "
                                          "desk (400: nothing sent)", POST, sees_identity=True)],
    "api-payments-refund": [Allowed(frozenset({Role.HOSPITAL_ADMIN}), "finance refunds (400: nothing sent)", POST,
                                    sees_identity=True)],
    **{name: [Allowed(frozenset({Role.FRONT_DESK, Role.HOSPITAL_ADMIN}), "cashiers see and settle every bill "
                      "(payments.selectors.sees_all_invoices)", BOTH, sees_identity=True)]
       for name in ("payments:bill", "payments:pay", "payments:return", "payments:status", "payments:receipt",
                    "payments:appointment_pay", "payments:desk_patient", "payments:desk_record")},
    "api-queue-ticket": [Allowed(frozenset({Role.FRONT_DESK}), "the front desk follows any ticket")],
    "api-queue-ticket-rejoin": [Allowed(frozenset({Role.FRONT_DESK}), "the front desk puts a missed patient back",
                                        POST)],
}


def rule_for(name: str, role: str, method: str) -> Allowed | None:
    return next((r for r in ALLOWED.get(name, ()) if role in r.roles and method in r.methods), None)


def may_see_identity(name: str, role: str) -> bool:
    return any(role in r.roles and r.sees_identity for r in ALLOWED.get(name, ()))


def admin_rule(h: Hospital, name: str, role: str, url: str) -> bool:
    """The admin site lets in staff accounts (is_staff) with the model's view or change permission; nobody else."""
    if not name.startswith("admin:") and not url.startswith("/admin/"):
        return False
    if role != Role.HOSPITAL_ADMIN:
        return False
    match = re.match(r"/admin/(\w+)/(\w+)/", url)
    if match is None:
        return True  # view_on_site: the object's own page decides
    app_label, model_name = match.groups()
    return any(h.admin.has_perm(f"{app_label}.{action}_{model_name}") for action in ("view", "change"))


# --- the probe --------------------------------------------------------------------------------------------------------


def client_for(h: Hospital, role: str) -> Client:
    client = Client()
    if role == "patient_b":
        client.force_login(h.b)
    elif role == Role.DOCTOR:
        client.force_login(h.doctor.user)
    elif role == Role.NURSE:
        client.force_login(h.other_nurse)
    elif role in (Role.FRONT_DESK, Role.HOSPITAL_ADMIN):
        client.force_login(h.front_desk if role == Role.FRONT_DESK else h.admin)
    return client


def body_of(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8", errors="replace")


def judge(h: Hospital, client: Client, role: str, name: str, method: str, url: str, response, *, depth: int = 0) -> list[str]:
    """What is wrong with `response`: not refused where it must be, or showing A's identity where it must not."""
    where = f"{role} {method} {url} ({name}): {response.status_code}"
    problems: list[str] = []
    allowed = rule_for(name, role, method) is not None or admin_rule(h, name, role, url)
    if not (may_see_identity(name, role) or admin_rule(h, name, role, url)):
        shown = [value for value in h.identifying() if value in body_of(response)]
        if shown:
            problems.append(f"{where} shows {shown}")
    if response.status_code == 302:
        location = response["Location"]
        if location.split("?")[0].startswith(LOGIN_PATHS) or depth:
            return problems
        # Sent elsewhere: after an allowed action, anywhere; after a refused one (sent back to a page), the page it
        # leads to is judged as that role's GET of it (refused, or allowed for them, and showing nothing of A's).
        if may_see_identity(name, role) or admin_rule(h, name, role, url):
            return problems
        target = client.get(location)
        target_name = resolve(urlsplit(location).path).view_name
        if target_name not in {p.name for p in id_patterns()}:  # a page of their own (their list, the home page)
            shown = [value for value in h.identifying() if value in body_of(target)]
            return problems + ([f"{where} -> {location}: shows {shown}"] if shown else [])
        return problems + judge(h, client, role, target_name, "GET", location, target, depth=1)
    if response.status_code >= 500:
        problems.append(f"{where}: server error")
    elif response.status_code not in REFUSED and not allowed:
        problems.append(f"{where}: not refused")
    return problems


def test_every_id_pattern_has_an_object_maker():
    h = hospital()
    unknown = [p.name for p in id_patterns() if p.name not in NOT_OBJECTS and urls_for(h, p) is None]

    assert unknown == [], ("URL patterns taking an id with no object maker in tests/security/test_access_probe.py "
                           f"(add one to MAKERS, or to NOT_OBJECTS saying why it names no object): {unknown}")


def test_no_id_url_leaks_a_patients_objects_to_anyone_else():
    h = hospital()
    problems: list[str] = []
    probed = 0
    for role in PROBERS:
        client = client_for(h, role)
        for method in ("GET", "POST"):  # every GET first: a POST that is allowed may change what a GET finds
            for pattern in id_patterns():
                if pattern.name in NOT_OBJECTS:
                    continue
                for url in urls_for(h, pattern) or ():
                    response = client.get(url) if method == "GET" else client.post(url, {})
                    probed += 1
                    problems += judge(h, client, role, pattern.name, method, url, response)
    print(f"\naccess probe: {len(id_patterns())} patterns, {probed} requests as {len(PROBERS)} roles")
    assert probed > 0
    assert problems == [], "\n".join(problems)


# Clinical patterns whose refusal is decided before any record is touched, so there is nothing to log against.
UNLOGGED = {
    "records:note_save": "a draft is its author's only: to anyone else it does not exist (404 before access)",
    "records:note_diagnosis_add": "as above (draft)",
    "records:note_prescription_add": "as above (draft)",
    "records:note_order_add": "as above (draft)",
    "api-record-access-log": "'who viewed my record' is the patient's own: asking is not reading the record",
    "records:record_viewers": "as above, the page",
}


def clinical_patterns() -> list[Pattern]:
    """The clinical record's id patterns: every records page and API taking a patient, note, report or result."""
    return [p for p in id_patterns() if (p.name.startswith(("api-record-", "records:")) and "family" not in p.name)]


def test_every_refused_clinical_request_is_in_the_audit_trail():
    """records.access writes a ``refused`` row for each refusal of a clinical record (who, which patient, when)."""
    h = hospital()
    missing: list[str] = []
    checked = 0
    for role in [r for r in PROBERS if r != "anonymous"]:  # signed out: sent to sign in, nobody to name
        client = client_for(h, role)
        actor = {"patient_b": h.b, Role.DOCTOR: h.doctor.user, Role.NURSE: h.other_nurse, Role.FRONT_DESK: h.front_desk,
                 Role.HOSPITAL_ADMIN: h.admin}[role]
        for pattern in clinical_patterns():
            for url in urls_for(h, pattern):
                for method in ("GET", "POST"):
                    if rule_for(pattern.name, role, method) is not None or pattern.name in UNLOGGED:
                        continue
                    if str(h.draft.public_id) in url:
                        continue  # a draft is its author's only: to anyone else it does not exist (404, nothing to log)
                    before = AccessLog.objects.filter(actor=actor, action=AccessAction.REFUSED).count()
                    response = client.get(url) if method == "GET" else client.post(url, {})
                    if response.status_code == 405 or (response.status_code == 302 and method == "GET"):
                        continue  # the method is not the view's (405; a GET to a form's action goes back to it)
                    checked += 1
                    if AccessLog.objects.filter(actor=actor, action=AccessAction.REFUSED).count() != before + 1:
                        missing.append(f"{role} {method} {url} ({pattern.name}): {response.status_code}, no refused row")
    print(f"\naudit of refusals: {checked} refused clinical requests checked")
    assert checked > 0
    assert missing == [], "\n".join(missing)
