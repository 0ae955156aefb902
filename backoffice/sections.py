"""Where each admin page sits on the back office's index: the hospital's sections, not Django's apps.

SECTION_OF maps "app_label.model_name" to a section; APP_SECTION gives a whole app's default (payments'
models land in Money whatever their names). A model in neither goes to Other, so a page an app adds is
never hidden: it shows up there until someone places it.
"""

from django.utils.translation import gettext_lazy as _

PEOPLE, CLINIC, MONEY, MONITORING, AUDIT, OTHER = "people", "clinic", "money", "monitoring", "audit", "other"

SECTIONS = {
    PEOPLE: _("People"),
    CLINIC: _("Clinic"),
    MONEY: _("Money"),
    MONITORING: _("Monitoring"),
    AUDIT: _("Audit"),
    OTHER: _("Other"),
}

# Listed in the order they appear within their section.
SECTION_OF = {
    "backoffice.staffmember": PEOPLE,
    "accounts.user": PEOPLE,
    "auth.group": PEOPLE,
    "records.patient": PEOPLE,
    "records.familymember": PEOPLE,
    "appointments.department": CLINIC,
    "appointments.doctorprofile": CLINIC,
    "appointments.consultingroom": CLINIC,
    "appointments.scheduletemplate": CLINIC,
    "appointments.scheduleexception": CLINIC,
    "appointments.slot": CLINIC,
    "appointments.appointment": CLINIC,
    "appointments.servicepoint": CLINIC,
    "appointments.queueticket": CLINIC,
    "records.encounter": CLINIC,
    "records.drug": CLINIC,
    "telemonitor.alert": MONITORING,
    "telemonitor.monitoringplan": MONITORING,
    "telemonitor.patienttarget": MONITORING,
    "telemonitor.device": MONITORING,
    "telemonitor.reading": MONITORING,
    "telemonitor.score": MONITORING,
    "core.serviceheartbeat": MONITORING,
    "core.outboxmessage": MONITORING,
    "records.accesslog": AUDIT,
    "records.breakglassgrant": AUDIT,
    "notifications.notification": AUDIT,
    "backoffice.dailyreport": AUDIT,
    "axes.accessattempt": AUDIT,
    "axes.accessfailurelog": AUDIT,
    "axes.accesslog": AUDIT,
}

APP_SECTION = {
    "payments": MONEY,
    "payments_sandbox": MONEY,  # the test payment provider's own bank tables
}


def section_of(app_label: str, model_name: str) -> str:
    return SECTION_OF.get(f"{app_label}.{model_name}") or APP_SECTION.get(app_label) or OTHER


def model_order(app_label: str, model_name: str) -> int:
    keys = list(SECTION_OF)
    key = f"{app_label}.{model_name}"
    return keys.index(key) if key in SECTION_OF else len(keys)
