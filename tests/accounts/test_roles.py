"""Roles are groups created by migrate with the permissions declared in accounts.roles."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.roles import ROLE_PERMISSIONS, Role, roles_sync

pytestmark = pytest.mark.django_db


def perm_names(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def existing(perms: list[str]) -> set[str]:
    all_perms = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}
    return set(perms) & all_perms


def test_migrate_creates_the_five_role_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "patient", "doctor", "nurse", "front_desk", "hospital_admin"}
    assert set(Role.values) == set(ROLE_PERMISSIONS)


@pytest.mark.parametrize("role", list(Role.values))
def test_each_role_holds_exactly_its_declared_permissions(role):
    assert perm_names(Group.objects.get(name=role)) == existing(ROLE_PERMISSIONS[role])


def test_declared_permissions_of_the_foundation_apps_all_exist():
    declared = {p for perms in ROLE_PERMISSIONS.values() for p in perms}
    foundation = {p for p in declared if p.split(".")[0] in {"accounts", "auth", "records", "core", "axes"}}

    assert existing(sorted(foundation)) == foundation


@pytest.mark.parametrize(("role", "permission", "held"), [
    ("doctor", "records.view_patient", True),
    ("doctor", "accounts.change_user", False),
    ("nurse", "records.add_patient", False),
    ("front_desk", "records.add_familymember", True),
    ("hospital_admin", "accounts.change_user", True),
    ("hospital_admin", "records.change_patient", False),
])
def test_role_permission_examples(make_user, role, permission, held):
    assert make_user(role).has_perm(permission) is held


def test_patient_role_holds_no_model_permission(make_user):
    patient = make_user(Role.PATIENT)

    assert perm_names(Group.objects.get(name="patient")) == set()
    assert patient.get_all_permissions() == set()


def test_roles_sync_again_changes_nothing_and_keeps_hand_given_permissions():
    nurse = Group.objects.get(name="nurse")
    extra = Permission.objects.get(content_type__app_label="records", codename="add_familymember")
    nurse.permissions.add(extra)
    before = perm_names(nurse)

    roles_sync()

    assert perm_names(nurse) == before
    assert "records.add_familymember" in before


def test_has_role_answers_for_the_users_groups_only(make_user):
    doctor = make_user(Role.DOCTOR)

    assert doctor.has_role(Role.DOCTOR)
    assert not doctor.has_role(Role.PATIENT)
    assert doctor.is_clinician and doctor.is_hospital_staff


def test_patient_is_neither_clinician_nor_staff(patient_user):
    assert patient_user.has_role(Role.PATIENT)
    assert not patient_user.is_clinician
    assert not patient_user.is_hospital_staff


def test_patient_cannot_open_the_admin_site(client, patient_user):
    client.force_login(patient_user)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_hospital_admin_can_open_the_admin_site_and_the_user_list(client, make_user):
    admin = make_user(Role.HOSPITAL_ADMIN, is_staff=True)
    client.force_login(admin)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200


def test_staff_without_the_permission_cannot_open_the_user_list(client, make_user):
    nurse = make_user(Role.NURSE, is_staff=True)
    client.force_login(nurse)

    assert client.get("/admin/accounts/user/").status_code == 403


@pytest.mark.parametrize("path", ["/admin/records/patient/", "/admin/records/familymember/",
                                  "/admin/notifications/notification/", "/admin/core/outboxmessage/",
                                  "/admin/axes/accessattempt/"])
def test_admin_lists_render_with_data(client, make_user, patient_user, path):
    superuser = make_user(Role.HOSPITAL_ADMIN, is_staff=True, is_superuser=True)
    client.force_login(superuser)

    response = client.get(path)

    assert response.status_code == 200


def test_admin_patient_page_shows_the_masked_id_never_the_number(client, make_user):
    from records.services import patient_sign_up

    user = patient_sign_up(name="赵敏", phone="13700000001", email="zm@example.test", password="Quiet-River-2024",
                           national_id="110101199003074522")
    superuser = make_user(is_staff=True, is_superuser=True)
    client.force_login(superuser)

    page = client.get(f"/admin/records/patient/{user.own_patient.pk}/change/").content.decode()

    assert "4522" in page
    assert "110101199003074522" not in page
