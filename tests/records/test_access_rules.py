"""The rules behind the matrix: care relationships and their window, nurses' departments, guardians,
break the glass (grants, expires, flagged for review), and the hook other apps register sources with."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.models import AppointmentStatus
from core.errors import PermissionRefused, ValidationFailed
from records import care, services
from records.access import Purpose, access_patient_record, care_patients, has_care_relationship
from records.errors import RecordAccessDenied, RecordNotFound
from records.models import AccessLog, BreakGlassGrant, FamilyMember
from tests.appointments import factories as booking
from tests.records.clinical import appointment, nurse_of, signed

API = "/api/v1/records"
pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor():
    return booking.doctor(dept=booking.department(code="cardiology", name_zh="心内科"))


@pytest.fixture
def person():
    return booking.patient(name="张三")


def test_booking_today_is_a_care_relationship(doctor, person):
    appointment(patient=person, doctor=doctor)
    assert has_care_relationship(user=doctor.user, patient=person)


@pytest.mark.parametrize(("days", "cared"), [(-30, True), (-31, False), (30, True), (31, False)])
def test_care_window_is_configurable_days_either_side(settings, doctor, person, days, cared):
    settings.RECORDS_CARE_WINDOW_DAYS = 30
    appointment(patient=person, doctor=doctor, day=timezone.localdate() + timedelta(days=days))
    assert has_care_relationship(user=doctor.user, patient=person) is cared


def test_a_shorter_window_ends_the_relationship_sooner(settings, doctor, person):
    appointment(patient=person, doctor=doctor, day=timezone.localdate() - timedelta(days=5))
    settings.RECORDS_CARE_WINDOW_DAYS = 3
    assert not has_care_relationship(user=doctor.user, patient=person)


@pytest.mark.parametrize(("status", "cared"), [(AppointmentStatus.COMPLETED, True), (AppointmentStatus.NO_SHOW, True),
                                               (AppointmentStatus.CANCELLED, False), (AppointmentStatus.EXPIRED, False)])
def test_cancelled_or_expired_bookings_make_no_relationship(doctor, person, status, cared):
    appointment(patient=person, doctor=doctor, status=status)
    assert has_care_relationship(user=doctor.user, patient=person) is cared


def test_booking_with_another_doctor_is_not_a_relationship(doctor, person):
    appointment(patient=person, doctor=booking.doctor())
    assert not has_care_relationship(user=doctor.user, patient=person)


def test_writing_a_note_is_a_lasting_relationship(doctor, person):
    signed(patient=person, author=doctor.user)
    assert has_care_relationship(user=doctor.user, patient=person)


def test_nurse_sees_todays_patients_of_her_department(doctor, person):
    appointment(patient=person, doctor=doctor)
    assert has_care_relationship(user=nurse_of("cardiology"), patient=person)


def test_nurse_of_another_department_does_not(doctor, person):
    booking.department(code="paediatrics")
    appointment(patient=person, doctor=doctor)
    assert not has_care_relationship(user=nurse_of("paediatrics"), patient=person)


def test_nurse_does_not_see_yesterdays_patients(doctor, person):
    appointment(patient=person, doctor=doctor, day=timezone.localdate() - timedelta(days=1))
    assert not has_care_relationship(user=nurse_of("cardiology"), patient=person)


def test_nurse_without_a_department_sees_nobody(doctor, person):
    appointment(patient=person, doctor=doctor)
    assert not has_care_relationship(user=booking.user("nurse"), patient=person)


def test_care_patients_is_one_query_whatever_the_sources(django_assert_num_queries, doctor, person):
    appointment(patient=person, doctor=doctor)
    signed(patient=booking.patient(), author=doctor.user)
    user = type(doctor.user).objects.get(pk=doctor.user.pk)
    list(user.roles)
    with django_assert_num_queries(1):
        assert len(list(care_patients(user=user))) == 2


def test_a_registered_source_grants_access_and_can_be_removed(doctor, person):
    """How telemonitoring (a monitoring plan the doctor leads) plugs in: records imports nothing of it."""
    from records.models import Patient

    def monitoring_plans(*, user, today, window_days):
        return Patient.objects.filter(pk=person.pk).values("pk") if user == doctor.user else None

    care.register_care_relationship_source(monitoring_plans, name="tests.monitoring_plans")
    try:
        assert has_care_relationship(user=doctor.user, patient=person)
    finally:
        care.unregister_care_relationship_source("tests.monitoring_plans")
    assert not has_care_relationship(user=doctor.user, patient=person)


def test_guardian_reads_a_family_members_record(patient_user, person):
    FamilyMember.objects.create(account=patient_user, patient=person, relationship="parent", is_guardian=True)
    assert access_patient_record(user=patient_user, patient=person, purpose=Purpose.SELF) == person


def test_booking_for_someone_without_being_guardian_gives_no_access(patient_user, person):
    FamilyMember.objects.create(account=patient_user, patient=person, relationship="spouse", is_guardian=False)
    with pytest.raises(RecordNotFound):
        access_patient_record(user=patient_user, patient=person, purpose=Purpose.SELF)


def test_patient_never_writes_clinical_data_even_to_their_own_record(patient_user):
    own = patient_user.own_patient
    with pytest.raises(RecordNotFound):
        access_patient_record(user=patient_user, patient=own, purpose=Purpose.CARE, write=True, object_type="allergy")


def test_account_without_a_role_is_told_nothing(person):
    stranger = booking.user()
    with pytest.raises(RecordNotFound):
        access_patient_record(user=stranger, patient=person, purpose=Purpose.CARE)


def test_superuser_without_a_clinical_role_sees_no_clinical_content(person):
    root = booking.user("hospital_admin", is_superuser=True, is_staff=True)
    with pytest.raises(RecordAccessDenied):
        access_patient_record(user=root, patient=person, purpose=Purpose.CARE)


# --- Break the glass ------------------------------------------------------------------------------------------


def test_break_the_glass_gives_time_limited_access_flagged_for_review(settings, doctor, person):
    settings.RECORDS_BREAK_GLASS_MINUTES = 90
    grant = services.break_glass_grant(doctor=doctor.user, patient=person, reason="急诊抢救，意识不清")
    assert access_patient_record(user=doctor.user, patient=person, purpose=Purpose.CARE) == person
    assert not grant.reviewed and grant.expires_at - grant.granted_at == timedelta(minutes=90)


def test_reads_under_the_glass_are_logged_as_emergency_with_the_grant(doctor, person):
    grant = services.break_glass_grant(doctor=doctor.user, patient=person, reason="急诊抢救，意识不清")
    access_patient_record(user=doctor.user, patient=person, purpose=Purpose.CARE)
    assert list(AccessLog.objects.filter(actor=doctor.user).values_list("action", "purpose", "grant", "reason")) == [
        ("read", "emergency", grant.pk, ""), ("break_glass", "emergency", grant.pk, "急诊抢救，意识不清")]


def test_break_the_glass_expires(doctor, person):
    grant = services.break_glass_grant(doctor=doctor.user, patient=person, reason="急诊抢救，意识不清")
    BreakGlassGrant.objects.filter(pk=grant.pk).update(granted_at=timezone.now() - timedelta(hours=3),
                                                       expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(RecordAccessDenied):
        access_patient_record(user=doctor.user, patient=person, purpose=Purpose.CARE)


def test_breaking_the_glass_again_while_open_reuses_the_grant(doctor, person):
    first = services.break_glass_grant(doctor=doctor.user, patient=person, reason="急诊抢救，意识不清")
    second = services.break_glass_grant(doctor=doctor.user, patient=person, reason="继续抢救，需要查看用药")
    assert first == second and BreakGlassGrant.objects.count() == 1
    assert AccessLog.objects.filter(action="break_glass").count() == 2


def test_break_the_glass_needs_a_real_reason(doctor, person):
    with pytest.raises(ValidationFailed):
        services.break_glass_grant(doctor=doctor.user, patient=person, reason="急诊")


@pytest.mark.parametrize("role", ["nurse", "front_desk", "hospital_admin"])
def test_only_doctors_break_the_glass(person, role):
    with pytest.raises(PermissionRefused):
        services.break_glass_grant(doctor=booking.user(role), patient=person, reason="急诊抢救，意识不清")


def test_grant_is_for_that_patient_only(doctor, person):
    services.break_glass_grant(doctor=doctor.user, patient=person, reason="急诊抢救，意识不清")
    with pytest.raises(RecordAccessDenied):
        access_patient_record(user=doctor.user, patient=booking.patient(), purpose=Purpose.CARE)


def test_administrator_reviews_a_grant(doctor, person):
    grant = services.break_glass_grant(doctor=doctor.user, patient=person, reason="急诊抢救，意识不清")
    admin = booking.user("hospital_admin", is_staff=True)
    reviewed = services.break_glass_review(grant=grant, by=admin, note="核实为急诊抢救")
    assert (reviewed.reviewed, reviewed.reviewed_by, reviewed.review_note) == (True, admin, "核实为急诊抢救")


def test_a_doctor_cannot_review_grants(doctor, person):
    grant = services.break_glass_grant(doctor=doctor.user, patient=person, reason="急诊抢救，意识不清")
    with pytest.raises(PermissionRefused):
        services.break_glass_review(grant=grant, by=doctor.user)


def test_break_glass_over_the_api_then_reading_the_chart(api_client, doctor, person):
    api_client.force_login(doctor.user)
    assert api_client.get(f"{API}/patients/{person.public_id}/chart").status_code == 403
    response = api_client.post(f"{API}/patients/{person.public_id}/break-glass", {"reason": "急诊抢救，意识不清"},
                               format="json")
    assert response.status_code == 201
    assert api_client.get(f"{API}/patients/{person.public_id}/chart").status_code == 200


def _walk_in(*, patient, doctor, day=None, status="waiting", transferred_to=None):
    """A queue ticket without a booking (a walk-in), written directly."""
    from appointments.models import QueueTicket, ServicePoint

    point, _created = ServicePoint.objects.get_or_create(doctor=doctor, room=None, defaults={"department": doctor.department})
    now = timezone.now()
    count = QueueTicket.objects.filter(service_point=point).count() + 1
    return QueueTicket.objects.create(service_point=point, date=day or timezone.localdate(), sequence=count,
                                      number=f"W{count:03d}", patient=patient, status=status, channel="walk_in",
                                      checked_in_at=now, queued_at=now, transferred_to=transferred_to,
                                      transferred_at=now if transferred_to else None)


def test_walk_in_in_the_doctors_queue_is_a_care_relationship(doctor, person):
    _walk_in(patient=person, doctor=doctor)
    assert has_care_relationship(user=doctor.user, patient=person)


def test_walk_in_transferred_away_before_being_seen_is_not(doctor, person):
    colleague = booking.doctor()
    moved_to = _walk_in(patient=person, doctor=colleague)
    _walk_in(patient=person, doctor=doctor, status="transferred", transferred_to=moved_to)
    assert (has_care_relationship(user=doctor.user, patient=person),
            has_care_relationship(user=colleague.user, patient=person)) == (False, True)


def test_walk_in_outside_the_window_is_not(settings, doctor, person):
    settings.RECORDS_CARE_WINDOW_DAYS = 7
    _walk_in(patient=person, doctor=doctor, day=timezone.localdate() - timedelta(days=8))
    assert not has_care_relationship(user=doctor.user, patient=person)


def test_nurse_sees_todays_walk_ins_of_her_department(doctor, person):
    _walk_in(patient=person, doctor=doctor)
    assert has_care_relationship(user=nurse_of("cardiology"), patient=person)
