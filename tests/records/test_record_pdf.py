"""The patient's record as PDF (visits, diagnoses, medicines, results; WeasyPrint with the Noto CJK font), "who has
viewed my record", and the way in from the patient's menu and home page (issue 5)."""

import io
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from records import pdf, services
from records.models import AccessAction, AccessLog
from tests.records.clinical import amoxicillin, draft
from tests.records.test_encounters_chart import grow

pytestmark = pytest.mark.django_db


def pdf_url(patient, section: str) -> str:
    return f"/records/patients/{patient.public_id}/pdf/{section}/"


def pdf_text(response) -> str:
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


@pytest.mark.parametrize(("section", "expected"), [
    ("visits", ["咳嗽三天", "J18.9", "Pneumonia, unspecified", "右下肺湿啰音"]),
    ("diagnoses", ["高血压", "I10", "J18.9"]),
    ("results", ["血红蛋白", "95", "Lower than normal"]),
])
def test_patient_downloads_each_section_as_a_pdf_with_its_chinese_text(client, world, section, expected):
    client.force_login(world.patient_account)
    text = pdf_text(client.get(pdf_url(world.own, section)))
    assert [word for word in expected if word not in text] == []


def test_medicines_pdf_lists_signed_prescriptions(client, world):
    note = draft(patient=world.own, author=world.other_doctor)
    services.diagnosis_add(encounter=note, code="J18.9", by=world.other_doctor)
    medicine = amoxicillin()
    services.prescription_create(encounter=note, drug=medicine, dose_amount=250, dose_unit="mg", route="oral",
                                 frequency="tid", duration_days=5, quantity=2, by=world.other_doctor,
                                 allergy_override_reason="皮试阴性")
    services.encounter_sign(encounter=note, by=world.other_doctor)
    client.force_login(world.patient_account)
    text = pdf_text(client.get(pdf_url(world.own, "medicines")))
    assert "阿莫西林胶囊" in text and "taking now" in text


def test_pdf_is_an_attachment_named_for_the_section_and_record(client, world):
    client.force_login(world.patient_account)
    response = client.get(pdf_url(world.own, "visits"))
    assert response["Content-Disposition"].startswith(f'attachment; filename="visits-{world.own.mrn}-')


def test_drafts_and_their_medicines_are_not_in_the_patients_pdfs(client, world):
    note = draft(patient=world.related, author=world.doctor, chief_complaint="尚未签名的病历")
    services.prescription_create(encounter=note, drug=world.drug, dose_amount=1, dose_unit="mg", route="oral",
                                 frequency="qd", duration_days=30, quantity=1, by=world.doctor)
    client.force_login(world.patient_account)
    visits = pdf_text(client.get(pdf_url(world.related, "visits")))
    medicines = pdf_text(client.get(pdf_url(world.related, "medicines")))
    assert "尚未签名的病历" not in visits and world.drug.name not in medicines


def test_unsigned_medicines_are_not_on_the_patients_page(client, world):
    services.prescription_create(encounter=world.drafts["related"], drug=world.drug, dose_amount=1, dose_unit="mg",
                                 route="oral", frequency="qd", duration_days=30, quantity=1, by=world.doctor)
    client.force_login(world.patient_account)
    assert world.drug.name not in client.get(f"/records/patients/{world.related.public_id}/").text


def test_each_pdf_download_writes_one_audit_row(client, world):
    client.force_login(world.patient_account)
    before = AccessLog.objects.count()
    client.get(pdf_url(world.own, "results"))
    row = AccessLog.objects.order_by("-id").first()
    assert (AccessLog.objects.count() - before, row.action, row.object_type) == (1, AccessAction.READ, "pdf_results")


def test_someone_elses_pdf_is_not_found_and_the_attempt_is_logged(client, world):
    client.force_login(world.patient_account)
    response = client.get(pdf_url(world.unrelated, "visits"))
    assert response.status_code == 404
    assert AccessLog.objects.filter(actor=world.patient_account, patient=world.unrelated,
                                    action=AccessAction.REFUSED, object_type="pdf_visits").count() == 1


def test_doctor_without_relationship_is_refused_a_pdf(client, world):
    client.force_login(world.doctor)
    assert client.get(pdf_url(world.unrelated, "visits")).status_code == 403


def test_unknown_section_is_not_found(client, world):
    client.force_login(world.patient_account)
    assert client.get(pdf_url(world.own, "everything")).status_code == 404


def test_patient_page_offers_the_pdfs(client, world):
    client.force_login(world.patient_account)
    response = client.get(f"/records/patients/{world.own.public_id}/")
    assert all(pdf_url(world.own, s) in response.text for s in ("visits", "diagnoses", "medicines", "results"))


@pytest.fixture
def without_weasyprint(monkeypatch):
    """A machine without Pango: importing WeasyPrint fails (sys.modules entry None makes the import raise)."""
    monkeypatch.setitem(sys.modules, "weasyprint", None)


def test_without_weasyprint_the_download_says_pdfs_are_unavailable(client, world, without_weasyprint):
    client.force_login(world.patient_account)
    response = client.get(pdf_url(world.own, "visits"))
    assert response.status_code == 503 and 'data-testid="pdf-unavailable"' in response.text


def test_without_weasyprint_the_record_page_says_so_instead_of_links(client, world, without_weasyprint):
    client.force_login(world.patient_account)
    response = client.get(f"/records/patients/{world.own.public_id}/")
    assert response.status_code == 200 and 'data-testid="pdf-unavailable"' in response.text
    assert pdf_url(world.own, "visits") not in response.text


@pytest.mark.parametrize("section", sorted(pdf.SECTIONS))
def test_pdf_queries_do_not_grow_with_the_record(world, section):
    grow(world.own, world.other_doctor, 1)
    grow(world.related, world.other_doctor, 4)
    counts = []
    for person in (world.own, world.related):
        with CaptureQueriesContext(connection) as captured:
            pdf.section_context(patient=person, section=section)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# --- Who has viewed my record -----------------------------------------------------------------------------------


def viewers_url(patient) -> str:
    return f"/records/patients/{patient.public_id}/viewers/"


def test_patient_sees_who_viewed_their_record_by_role_department_and_purpose_not_name(client, world):
    client.force_login(world.nurse)
    client.get(f"/records/patients/{world.related.public_id}/")
    client.force_login(world.patient_account)
    response = client.get(viewers_url(world.related))
    assert response.status_code == 200 and "Nurse" in response.text and "心内科" in response.text
    assert "care and treatment" in response.text and world.nurse.name not in response.text


def test_viewer_names_are_shown_where_the_hospital_allows(client, world, settings):
    settings.RECORDS_SHOW_VIEWER_NAMES = True
    client.force_login(world.nurse)
    client.get(f"/records/patients/{world.related.public_id}/")
    client.force_login(world.patient_account)
    assert world.nurse.name in client.get(viewers_url(world.related)).text


def test_the_patients_own_looks_are_not_listed(client, world):
    client.force_login(world.patient_account)
    before = client.get(viewers_url(world.own)).text.count('data-testid="viewer-row"')
    client.get(f"/records/patients/{world.own.public_id}/")
    assert client.get(viewers_url(world.own)).text.count('data-testid="viewer-row"') == before


def test_record_page_links_once_to_who_has_viewed_it(client, world):
    client.force_login(world.patient_account)
    response = client.get(f"/records/patients/{world.own.public_id}/")
    assert response.text.split("<main")[1].count(viewers_url(world.own)) == 1 and viewers_url(world.own) not in (
        response.text.split("<main")[0])


def test_who_viewed_someone_elses_record_is_not_found(client, world):
    client.force_login(world.patient_account)
    assert client.get(viewers_url(world.unrelated)).status_code == 404


def test_staff_do_not_read_the_viewers_page(client, world):
    client.force_login(world.doctor)
    assert client.get(viewers_url(world.related)).status_code == 404


def test_viewers_page_queries_do_not_grow_with_the_log(client, world):
    client.force_login(world.patient_account)
    counts = []
    for _round in range(2):
        with CaptureQueriesContext(connection) as captured:
            client.get(viewers_url(world.related))
        counts.append(len(captured.captured_queries))
        for _n in range(5):
            services.allergy_record(patient=world.related, substance=f"物质{AccessLog.objects.count()}", severity="mild",
                                    by=world.doctor)
    assert counts[0] == counts[1]


# --- The way in --------------------------------------------------------------------------------------------------


def test_patients_menu_and_home_link_to_my_health_records(client, world):
    client.force_login(world.patient_account)
    response = client.get("/")
    assert response.text.count('href="/records/"') == 2 and "My health records" in response.text


def test_staff_menu_has_no_patient_records_link(client, world):
    client.force_login(world.front_desk)
    assert 'href="/records/"' not in client.get("/").text
