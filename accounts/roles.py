"""Roles are Django groups. Their permissions are declared here and written by a migration
(accounts 0002) and again after every ``migrate``/``flush``, so a role gains the permissions of
models that later apps add. Sync only adds: permissions an administrator gave by hand stay.
"""

from django.apps import apps as global_apps
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    DOCTOR = "doctor", _("Doctor")
    NURSE = "nurse", _("Nurse")
    FRONT_DESK = "front_desk", _("Front desk")
    HOSPITAL_ADMIN = "hospital_admin", _("Hospital administrator")


CLINICAL_ROLES = frozenset({Role.DOCTOR, Role.NURSE})
STAFF_ROLES = frozenset({Role.DOCTOR, Role.NURSE, Role.FRONT_DESK, Role.HOSPITAL_ADMIN})

# Model permissions, "app_label.codename". Patients hold none: what they may see is decided per
# object by the access_* functions. Permissions for models an app has not created yet are skipped.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.PATIENT: [],
    Role.DOCTOR: [
        "records.view_patient", "records.change_patient", "records.add_patient", "records.view_familymember",
        "appointments.view_department", "appointments.view_doctorprofile",
        "appointments.view_slot", "appointments.view_appointment",
        # Home monitoring: devices for their patients, readings and scores, alerts, plans and targets.
        "telemonitor.view_device", "telemonitor.add_device", "telemonitor.change_device", "telemonitor.view_reading",
        "telemonitor.view_score", "telemonitor.view_alert", "telemonitor.change_alert", "telemonitor.view_monitoringplan",
        "telemonitor.add_monitoringplan", "telemonitor.change_monitoringplan", "telemonitor.view_patienttarget",
        "telemonitor.add_patienttarget", "telemonitor.change_patienttarget", "telemonitor.delete_patienttarget",
    ],
    Role.NURSE: [
        "records.view_patient", "records.change_patient", "records.view_familymember",
        "appointments.view_department", "appointments.view_doctorprofile",
        "appointments.view_slot", "appointments.view_appointment",
        "telemonitor.view_device", "telemonitor.add_device", "telemonitor.change_device", "telemonitor.view_reading",
        "telemonitor.view_score", "telemonitor.view_alert", "telemonitor.change_alert", "telemonitor.view_monitoringplan",
        "telemonitor.view_patienttarget",
    ],
    Role.FRONT_DESK: [
        "records.view_patient", "records.add_patient", "records.change_patient",
        "records.view_familymember", "records.add_familymember", "records.change_familymember",
        "appointments.view_department", "appointments.view_doctorprofile",
        # Booking for walk-ins and changing any booking (any time: the patients' cut-off is not theirs).
        "appointments.view_appointment", "appointments.add_appointment", "appointments.change_appointment",
        "appointments.view_appointmentevent", "appointments.view_slot",
        # Payments at the counter (cash or card) and every bill.
        "payments.view_invoice", "payments.view_payment", "payments.add_payment",
    ],
    Role.HOSPITAL_ADMIN: [
        "accounts.view_user", "accounts.add_user", "accounts.change_user",
        "auth.view_group",
        "records.view_patient",
        "appointments.view_department", "appointments.add_department", "appointments.change_department",
        "appointments.view_doctorprofile", "appointments.add_doctorprofile", "appointments.change_doctorprofile",
        "appointments.view_consultingroom", "appointments.add_consultingroom", "appointments.change_consultingroom",
        "appointments.view_scheduletemplate", "appointments.add_scheduletemplate",
        "appointments.change_scheduletemplate", "appointments.delete_scheduletemplate",
        "appointments.view_scheduleexception", "appointments.add_scheduleexception",
        "appointments.change_scheduleexception", "appointments.delete_scheduleexception",
        # Slots are made by the generator, never added by hand; change_slot is what cancels a session.
        "appointments.view_slot", "appointments.change_slot",
        "appointments.view_appointment", "appointments.add_appointment", "appointments.change_appointment",
        "appointments.view_appointmentevent",
        "core.view_outboxmessage", "core.view_serviceheartbeat",
        "axes.view_accessattempt", "axes.delete_accessattempt", "axes.view_accesslog",
        "telemonitor.view_device", "telemonitor.change_device", "telemonitor.view_monitoringplan",
        "telemonitor.view_alert",
        # Payments: fees and insurance rules, bills and the ledger (read-only), refunds, reconciliation.
        "payments.view_feeitem", "payments.add_feeitem", "payments.change_feeitem",
        "payments.view_insuranceplan", "payments.add_insuranceplan", "payments.change_insuranceplan",
        "payments.view_insuranceratio", "payments.add_insuranceratio", "payments.change_insuranceratio",
        "payments.delete_insuranceratio", "payments.view_coverage", "payments.add_coverage", "payments.change_coverage",
        "payments.view_invoice", "payments.view_invoiceline", "payments.view_payment", "payments.view_paymentevent",
        "payments.view_refund", "payments.add_refund", "payments.view_insuranceclaim",
        "payments.view_paymentnotificationlog", "payments.view_heldevent",
        "payments.view_reconciliationrun", "payments.view_reconciliationmismatch",
        "payments.change_reconciliationmismatch",
    ],
}


def roles_sync(apps=global_apps) -> None:
    """Create each role's group and add its declared permissions. Safe to run any number of times."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [p.split(".", 1) for p in perms]
        if not wanted:
            continue
        query = models.Q()
        for app_label, codename in wanted:
            query |= models.Q(content_type__app_label=app_label, codename=codename)
        group.permissions.add(*Permission.objects.filter(query))


def roles_sync_after_migrate(sender, app_config=None, apps=global_apps, **kwargs) -> None:
    # post_migrate is sent once per app that has models (apps without a models module get none);
    # run after the last of those, when every permission exists.
    with_models = [config for config in global_apps.get_app_configs() if config.models_module is not None]
    if app_config is not None and app_config.name != with_models[-1].name:
        return
    roles_sync(apps)


# Clinical record (records, issue 5). Which patient's record a person may open is decided per object by
# records.access (care relationship, family guardian, break the glass); these model permissions only say
# which kinds of record a role works with, and open the admin pages. Hospital administrators see no
# clinical content: only the audit trail, emergency-access reviews and the formulary.
ROLE_PERMISSIONS[Role.DOCTOR] += [
    "records.view_encounter", "records.add_encounter", "records.change_encounter", "records.view_diagnosis",
    "records.add_diagnosis", "records.view_problem", "records.add_problem", "records.change_problem",
    "records.view_allergy", "records.add_allergy", "records.view_drug", "records.view_prescription",
    "records.add_prescription", "records.view_order", "records.add_order", "records.view_resultitem",
    "records.add_resultitem", "records.view_report", "records.add_report", "records.add_breakglassgrant",
]
ROLE_PERMISSIONS[Role.NURSE] += [
    "records.view_encounter", "records.view_diagnosis", "records.view_problem", "records.view_allergy",
    "records.add_allergy", "records.view_drug", "records.view_prescription", "records.view_order",
    "records.view_resultitem", "records.add_resultitem", "records.view_report", "records.add_report",
]
ROLE_PERMISSIONS[Role.FRONT_DESK] += ["records.view_drug"]
ROLE_PERMISSIONS[Role.HOSPITAL_ADMIN] += [
    "records.view_accesslog", "records.view_breakglassgrant", "records.change_breakglassgrant",
    "records.view_drug", "records.add_drug", "records.change_drug",
]

# Waiting queue (issue 4). Who may call, recall or complete a ticket is decided per queue by
# appointments.queue.services (the doctor of that room); these open the admin pages and pharmacy windows,
# whose staff hold change_queueticket.
ROLE_PERMISSIONS[Role.DOCTOR] += ["appointments.view_servicepoint", "appointments.view_queueticket"]
ROLE_PERMISSIONS[Role.NURSE] += ["appointments.view_servicepoint", "appointments.view_queueticket"]
ROLE_PERMISSIONS[Role.FRONT_DESK] += ["appointments.view_servicepoint", "appointments.view_queueticket"]
ROLE_PERMISSIONS[Role.HOSPITAL_ADMIN] += [
    "appointments.view_servicepoint", "appointments.add_servicepoint", "appointments.change_servicepoint",
    "appointments.view_queueticket",
]

# Back office (issue 8): the dashboard, the staff directory and the daily reports' log.
ROLE_PERMISSIONS[Role.HOSPITAL_ADMIN] += [
    "backoffice.view_dashboard", "backoffice.view_staffmember", "backoffice.view_dailyreport",
]
