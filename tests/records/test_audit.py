"""The audit trail (issue 5, acceptance 2): exactly one row per read of clinical data, one per refusal, and a
table the application cannot rewrite."""

import pytest
from django.db import DatabaseError, connection, transaction

from records import services
from records.access import Purpose, access_patient_record
from records.errors import RecordAccessDenied
from records.models import AccessAction, AccessLog
from tests.services import require_postgres

API = "/api/v1/records"
pytestmark = pytest.mark.django_db


def test_one_read_writes_exactly_one_row_with_who_what_where(api_client, world):
    api_client.force_login(world.doctor)
    before = AccessLog.objects.count()
    api_client.get(f"{API}/patients/{world.related.public_id}/chart", HTTP_USER_AGENT="Ward-PC/1.0",
                   REMOTE_ADDR="10.1.2.3")
    row = AccessLog.objects.latest("id")
    assert AccessLog.objects.count() - before == 1
    assert (row.actor, row.actor_role, row.actor_department, row.patient, row.object_type, row.action, row.purpose,
            row.ip, row.user_agent) == (world.doctor, "doctor", "心内科", world.related, "chart", "read", "care",
                                        "10.1.2.3", "Ward-PC/1.0")


def test_each_of_two_reads_is_logged(api_client, world):
    api_client.force_login(world.nurse)
    for _ in range(2):
        api_client.get(f"{API}/patients/{world.related.public_id}/results")
    assert AccessLog.objects.filter(actor=world.nurse, action="read").count() == 2


def test_refusal_is_logged_once(api_client, world):
    api_client.force_login(world.nurse)
    api_client.get(f"{API}/patients/{world.unrelated.public_id}/chart")
    assert list(AccessLog.objects.filter(actor=world.nurse).values_list("action", "patient")) == [
        ("refused", world.unrelated.pk)]


def test_patient_reading_their_own_record_is_logged_as_self(api_client, world):
    api_client.force_login(world.patient_account)
    api_client.get(f"{API}/patients/{world.own.public_id}/results")
    assert AccessLog.objects.filter(actor=world.patient_account).values_list("purpose", flat=True).get() == "self"


def test_writes_are_logged_as_writes(world):
    services.allergy_record(patient=world.related, substance="花粉", severity="mild", by=world.nurse)
    row = AccessLog.objects.latest("id")
    assert (row.action, row.object_type, row.actor_role) == ("write", "allergy", "nurse")


def test_access_patient_record_refusal_writes_the_row_before_raising(world):
    with pytest.raises(RecordAccessDenied):
        access_patient_record(user=world.front_desk, patient=world.related, purpose=Purpose.CARE)
    assert AccessLog.objects.filter(actor=world.front_desk, action=AccessAction.REFUSED).count() == 1


def test_model_refuses_to_change_an_entry(world):
    row = AccessLog.objects.first()
    row.reason = "rewritten"
    with pytest.raises(TypeError):
        row.save()


def test_model_refuses_to_delete_an_entry(world):
    with pytest.raises(TypeError):
        AccessLog.objects.first().delete()


def test_queryset_refuses_bulk_update_and_delete(world):
    with pytest.raises(TypeError):
        AccessLog.objects.all().update(reason="x")
    with pytest.raises(TypeError):
        AccessLog.objects.all().delete()


def test_raw_update_is_refused_by_the_database(world):
    """Both engines: a trigger (migration 0003) refuses UPDATE of the access log."""
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE records_accesslog SET reason = 'rewritten'")
    assert not AccessLog.objects.filter(reason="rewritten").exists()


@pytest.mark.services
def test_postgres_refuses_raw_delete_of_the_access_log(world):
    require_postgres()
    count = AccessLog.objects.count()
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM records_accesslog")
    assert "append-only" in str(refused.value) and AccessLog.objects.count() == count


@pytest.mark.services
def test_postgres_refuses_raw_update_of_the_access_log_with_its_reason(world):
    require_postgres()
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE records_accesslog SET actor_role = 'nobody' WHERE id = %s", [AccessLog.objects.first().pk])
    assert "append-only" in str(refused.value)


def test_who_viewed_my_record_shows_role_and_department_not_names(api_client, world):
    api_client.force_login(world.doctor)
    api_client.get(f"{API}/patients/{world.related.public_id}/chart")
    api_client.force_login(world.patient_account)
    api_client.get(f"{API}/patients/{world.related.public_id}/results")  # their own look is not listed
    entries = api_client.get(f"{API}/patients/{world.related.public_id}/access-log").json()
    chart_reads = [e for e in entries if e["object_type"] == "chart"]
    assert chart_reads == [{"at": chart_reads[0]["at"], "actor_role": "doctor", "actor_department": "心内科",
                            "action": "read", "object_type": "chart", "purpose": "care"}]
    assert all(e["actor_role"] != "patient" for e in entries)


def test_who_viewed_is_not_for_other_accounts(api_client, world):
    api_client.force_login(world.patient_account)
    assert api_client.get(f"{API}/patients/{world.unrelated.public_id}/access-log").status_code == 404
