"""The record's pages: the chart, "my records", report downloads and the break-the-glass form, each behind
records.access with one audit row per page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import DoctorProfile
from records.models import AccessLog
from tests.records.clinical import PDF, appointment
from tests.records.test_encounters_chart import grow

pytestmark = pytest.mark.django_db


def page(public_id) -> str:
    return f"/records/patients/{public_id}/"


def test_doctor_opens_the_chart_with_allergy_banner_and_flags(client, world):
    client.force_login(world.doctor)
    before = AccessLog.objects.count()
    response = client.get(page(world.related.public_id))
    assert response.status_code == 200 and AccessLog.objects.count() - before == 1
    assert "青霉素" in response.text and 'data-testid="flag"' in response.text and "社区获得性肺炎" in response.text


def test_doctor_sees_their_draft_in_the_chart(client, world):
    client.force_login(world.doctor)
    assert "draft" in client.get(page(world.related.public_id)).text


def test_doctor_without_relationship_is_offered_the_glass_and_it_opens_the_chart(client, world):
    client.force_login(world.doctor)
    refused = client.get(page(world.unrelated.public_id))
    assert refused.status_code == 403 and 'data-testid="break-glass"' in refused.text
    client.post(f"/records/patients/{world.unrelated.public_id}/break-glass/", {"reason": "急诊抢救，意识不清"})
    assert client.get(page(world.unrelated.public_id)).status_code == 200
    assert AccessLog.objects.filter(actor=world.doctor, patient=world.unrelated).values_list("action", flat=True).count() == 3


def test_break_glass_form_without_a_reason_grants_nothing(client, world):
    client.force_login(world.doctor)
    client.post(f"/records/patients/{world.unrelated.public_id}/break-glass/", {"reason": "急"})
    assert client.get(page(world.unrelated.public_id)).status_code == 403


def test_nurse_refused_is_not_offered_the_glass(client, world):
    client.force_login(world.nurse)
    response = client.get(page(world.unrelated.public_id))
    assert response.status_code == 403 and 'data-testid="break-glass"' not in response.text


def test_front_desk_cannot_open_a_chart(client, world):
    client.force_login(world.front_desk)
    assert client.get(page(world.related.public_id)).status_code == 403


def test_patient_reads_a_guarded_persons_record_in_plain_words(client, world):
    client.force_login(world.patient_account)
    response = client.get(page(world.related.public_id))
    assert response.status_code == 200 and "Lower than normal" in response.text and "Download the report" in response.text


def test_patient_does_not_see_drafts(client, world):
    client.force_login(world.patient_account)
    assert client.get(page(world.related.public_id)).text.count('data-testid="encounter"') == 1  # the signed note only


def test_patient_cannot_open_someone_elses_record(client, world):
    client.force_login(world.patient_account)
    assert client.get(page(world.unrelated.public_id)).status_code == 404


def test_my_records_lists_own_and_guarded_people(client, world):
    client.force_login(world.patient_account)
    response = client.get("/records/")
    assert response.text.count('data-testid="record-link"') == 2 and "王建国" in response.text


def test_patient_downloads_a_report(client, world):
    client.force_login(world.patient_account)
    response = client.get(f"/records/reports/{world.reports['own'].public_id}/file/")
    assert (response.status_code, response["Content-Type"], b"".join(response.streaming_content)) == (
        200, "application/pdf", PDF)
    assert "attachment" in response["Content-Disposition"]


def test_report_of_someone_else_is_not_found(client, world):
    client.force_login(world.patient_account)
    assert client.get(f"/records/reports/{world.reports['unrelated'].public_id}/file/").status_code == 404


def test_chart_page_queries_do_not_grow_with_the_record(client, world):
    client.force_login(world.doctor)
    grow(world.related, world.other_doctor, 4)
    appointment(patient=world.own, doctor=DoctorProfile.objects.get(user=world.doctor))
    counts = []
    for person in (world.own, world.related):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page(person.public_id)).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
