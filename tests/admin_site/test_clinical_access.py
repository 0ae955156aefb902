"""Issue 8, acceptance 4: an administrator without a clinical role cannot open clinical records through the admin.

For each clinical model admin: no list, no change/view/add page and no entry on the admin index for a hospital
administrator who is a superuser; beside it, a doctor and a nurse of the patient's care team list and open the row,
and the read is audited by records.access; a clinician outside the care team is refused (and audited) too. Then
every registered admin page is checked for clinical text as an administrator sees it.
"""

import pytest
from django.contrib.admin.sites import all_sites, site
from django.urls import reverse

from accounts.roles import Role
from records.admin import ClinicalRecordAdmin
from records.models import AccessLog
from tests.admin_site.rows import CLINICAL_MARKER, ROW_MAKERS, plan_for

pytestmark = pytest.mark.django_db

# The clinical models of the admin. A new clinical model admin must be ClinicalRecordAdmin and be added here.
CLINICAL = ["records.Encounter", "telemonitor.Reading", "telemonitor.Score", "telemonitor.Alert",
            "telemonitor.PatientTarget"]


def urls(model):
    opts = model._meta
    base = f"admin:{opts.app_label}_{opts.model_name}"
    return base


@pytest.fixture
def hospital_admin(make_user):
    return make_user(Role.HOSPITAL_ADMIN, is_staff=True, is_superuser=True)


def clinical_row(label):
    ROW_MAKERS[label](1)
    model = next(m for m in site._registry if m._meta.label == label)
    return model, model._default_manager.order_by("-pk").first()


def test_the_clinical_admins_are_exactly_those_listed_here():
    clinical = sorted({model._meta.label for s in all_sites for model, model_admin in s._registry.items()
                       if isinstance(model_admin, ClinicalRecordAdmin)})

    assert clinical == sorted(CLINICAL)


@pytest.mark.parametrize("label", CLINICAL)
def test_an_administrator_without_a_clinical_role_has_no_list_page_or_index_entry(client, hospital_admin, label):
    model, obj = clinical_row(label)
    client.force_login(hospital_admin)
    base = urls(model)

    assert client.get(reverse(f"{base}_changelist")).status_code == 403
    assert client.get(reverse(f"{base}_change", args=[obj.pk])).status_code == 403
    assert client.get(reverse(f"{base}_history", args=[obj.pk])).status_code == 403
    assert client.get(reverse(f"{base}_add")).status_code == 403
    index = client.get(reverse("admin:index"))
    assert reverse(f"{base}_changelist") not in index.text
    assert not AccessLog.objects.filter(actor=hospital_admin, action="read").exists()


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE])
@pytest.mark.parametrize("label", CLINICAL)
def test_a_clinician_of_the_care_team_lists_and_opens_it_and_the_read_is_audited(client, make_user, label, role):
    model, obj = clinical_row(label)
    clinician = make_user(role, is_staff=True)
    lead = clinician if role == Role.DOCTOR else make_user(Role.DOCTOR)
    plan = plan_for(model_admin_patient(model, obj), lead)
    plan.care_team.add(clinician)
    client.force_login(clinician)
    base = urls(model)

    listing = client.get(reverse(f"{base}_changelist"))
    page = client.get(reverse(f"{base}_change", args=[obj.pk]))

    assert listing.status_code == 200 and obj.pk in [row.pk for row in listing.context["cl"].result_list]
    assert page.status_code == 200
    model_admin = site._registry[model]
    assert AccessLog.objects.filter(actor=clinician, action="read", object_type=model_admin.clinical_object_type,
                                    patient=model_admin.patient_of(obj)).count() == 1


@pytest.mark.parametrize("label", CLINICAL)
def test_a_clinician_outside_the_care_team_neither_lists_nor_opens_it(client, make_user, label):
    model, obj = clinical_row(label)
    outsider = make_user(Role.DOCTOR, is_staff=True)
    client.force_login(outsider)
    base = urls(model)

    listing = client.get(reverse(f"{base}_changelist"))
    page = client.get(reverse(f"{base}_change", args=[obj.pk]))

    assert listing.status_code == 200 and listing.context["cl"].result_count == 0
    assert page.status_code == 403
    assert AccessLog.objects.filter(actor=outsider, action="refused").count() == 1


def model_admin_patient(model, obj):
    return site._registry[model].patient_of(obj)


def registered():
    return sorted(((s, model) for s in all_sites for model in s._registry), key=lambda e: (e[0].name, e[1]._meta.label))


@pytest.mark.parametrize("entry", registered(), ids=lambda e: f"{e[0].name}:{e[1]._meta.label}")
def test_no_admin_page_shows_clinical_text_to_an_administrator(client, hospital_admin, entry):
    admin_site, model = entry
    ROW_MAKERS[model._meta.label](1)
    opts = model._meta
    obj = model._default_manager.order_by("-pk").first()
    client.force_login(hospital_admin)

    pages = [reverse(f"{admin_site.name}:index"),
             reverse(f"{admin_site.name}:{opts.app_label}_{opts.model_name}_changelist"),
             reverse(f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])]
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 403), url
        assert CLINICAL_MARKER not in response.text, url


def test_a_clinician_does_see_the_clinical_text_the_administrator_is_spared(client, make_user):
    ROW_MAKERS["notifications.Notification"](1)
    doctor = make_user(Role.DOCTOR, is_staff=True, is_superuser=True)
    client.force_login(doctor)

    assert CLINICAL_MARKER in client.get(reverse("admin:notifications_notification_changelist")).text
