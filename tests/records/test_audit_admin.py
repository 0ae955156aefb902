"""The admin side of the record: searching the audit trail, reviewing emergency access, read-only notes."""

import pytest

from accounts.roles import Role
from records import services
from records.models import AccessLog, BreakGlassGrant
from tests.appointments import factories as booking
from tests.records.clinical import appointment, signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return booking.user(Role.HOSPITAL_ADMIN, is_staff=True)


@pytest.fixture
def grant():
    doctor = booking.doctor().user
    person = booking.patient(name="钱七")
    return services.break_glass_grant(doctor=doctor, patient=person, reason="急诊抢救，意识不清")


def test_administrator_searches_the_audit_trail_by_mrn(client, admin_user, grant):
    client.force_login(admin_user)
    response = client.get("/admin/records/accesslog/", {"q": grant.patient.mrn})
    assert response.status_code == 200 and grant.patient.mrn in response.text and "break_glass" in response.text


def test_audit_entries_cannot_be_changed_or_deleted_in_the_admin(client, admin_user, grant):
    client.force_login(admin_user)
    entry = AccessLog.objects.get(grant=grant)
    client.post(f"/admin/records/accesslog/{entry.pk}/change/", {"reason": "rewritten"})
    response = client.post(f"/admin/records/accesslog/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403 and AccessLog.objects.get(pk=entry.pk).reason == "急诊抢救，意识不清"


def test_unreviewed_emergency_access_is_listed_for_review(client, admin_user, grant):
    client.force_login(admin_user)
    response = client.get("/admin/records/breakglassgrant/", {"reviewed__exact": "0"})
    assert response.status_code == 200 and grant.patient.mrn in response.text


def test_administrator_reviews_an_emergency_access_with_a_note(client, admin_user, grant):
    client.force_login(admin_user)
    page = client.get(f"/admin/records/breakglassgrant/{grant.pk}/change/")
    response = client.post(f"/admin/records/breakglassgrant/{grant.pk}/change/", {"review_note": "核实：急诊抢救"})
    grant.refresh_from_db()
    assert "1 audit entry" in page.text and response.status_code == 302
    assert (grant.reviewed, grant.reviewed_by, grant.review_note, grant.reason) == (
        True, admin_user, "核实：急诊抢救", "急诊抢救，意识不清")


def test_review_action_marks_several_grants(client, admin_user, grant):
    client.force_login(admin_user)
    client.post("/admin/records/breakglassgrant/", {"action": "mark_reviewed", "_selected_action": [grant.pk]})
    assert BreakGlassGrant.objects.get(pk=grant.pk).reviewed


def test_reads_under_a_grant_are_found_from_the_review(client, admin_user, grant):
    client.force_login(admin_user)
    response = client.get("/admin/records/accesslog/", {"grant__id__exact": grant.pk})
    assert response.status_code == 200 and response.context["cl"].result_count == 1


def test_administrator_does_not_see_clinical_notes_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/records/encounter/").status_code == 403


def test_doctor_reads_a_signed_note_in_the_admin_and_the_read_is_logged(client):
    doctor = booking.doctor()
    doctor.user.is_staff = True
    doctor.user.save(update_fields=["is_staff"])
    person = booking.patient()
    appointment(patient=person, doctor=doctor)
    note = signed(patient=person, author=booking.doctor().user)
    client.force_login(doctor.user)
    response = client.get(f"/admin/records/encounter/{note.pk}/change/")
    assert response.status_code == 200 and "社区获得性肺炎" in response.text
    assert AccessLog.objects.filter(actor=doctor.user, action="read", object_type="encounter").count() == 1
    assert 'name="_save"' not in response.text


def test_doctor_without_a_care_relationship_is_refused_in_the_admin_too(client):
    doctor = booking.doctor()
    doctor.user.is_staff = True
    doctor.user.save(update_fields=["is_staff"])
    note = signed(patient=booking.patient(), author=booking.doctor().user)
    client.force_login(doctor.user)
    assert client.get(f"/admin/records/encounter/{note.pk}/change/").status_code == 403
    assert AccessLog.objects.filter(actor=doctor.user, action="refused").count() == 1
