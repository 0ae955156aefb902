"""Orders, results (flags from ranges; a lab's CSV file, all or nothing) and reports (checked by content)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import PermissionRefused, ValidationFailed
from records import services
from records.errors import UploadRefused
from records.models import AccessLog, Order, OrderStatus, Report, ResultItem
from tests.appointments import factories as booking
from tests.records.clinical import JPEG, PDF, PNG, appointment, lab_order

API = "/api/v1/records"
pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor():
    return booking.doctor().user


@pytest.fixture
def person():
    return booking.patient(name="韩梅梅")


# Potassium, mmol/L: reference 3.5–5.5, critical below 2.5 and above 6.5.
@pytest.mark.parametrize(("value", "flag"), [("2.4", "critical_low"), ("2.5", "low"), ("3.4", "low"), ("3.5", ""),
                                             ("5.5", ""), ("5.6", "high"), ("6.5", "high"), ("6.6", "critical_high")])
def test_flag_is_computed_from_the_ranges(value, flag):
    assert services.result_flag(value=Decimal(value), reference_low=Decimal("3.5"), reference_high=Decimal("5.5"),
                                critical_low=Decimal("2.5"), critical_high=Decimal("6.5")) == flag


def test_flag_with_an_upper_limit_only():
    assert services.result_flag(value=Decimal("6.8"), reference_high=Decimal("5.2")) == "high"


def test_result_is_stored_with_its_flag_and_completes_the_order(doctor, person):
    order = lab_order(patient=person, by=doctor)
    item = services.result_record(patient=person, loinc_code="2823-3", name="钾", value="6.9", unit="mmol/L",
                                  reference_low="3.5", reference_high="5.5", critical_high="6.5", order=order, by=doctor)
    order.refresh_from_db()
    assert (item.flag, item.is_critical, order.status) == ("critical_high", True, OrderStatus.COMPLETED)


@pytest.mark.parametrize(("field", "values"), [
    ("loinc", {"loinc_code": "2823-4"}), ("unit", {"unit": "µmol/L"}), ("value", {"value": "高"}),
    ("high", {"reference_low": "5", "reference_high": "3"})])
def test_result_fields_are_checked(doctor, person, field, values):
    data = {"loinc_code": "2823-3", "value": "4.0", "unit": "mmol/L", **values}
    with pytest.raises(ValidationFailed) as refused:
        services.result_record(patient=person, by=doctor, **data)
    assert field in refused.value.errors


def test_order_of_another_patient_is_refused(doctor, person):
    other_order = lab_order(patient=booking.patient(), by=doctor)
    with pytest.raises(ValidationFailed):
        services.result_record(patient=person, loinc_code="2823-3", value="4", order=other_order, by=doctor)


def test_front_desk_cannot_enter_results(person):
    with pytest.raises(PermissionRefused):
        services.result_record(patient=person, loinc_code="2823-3", value="4", by=booking.user("front_desk"))


def _csv(*rows: str, header: str = "mrn,loinc,name,value,unit,low,high,critical_low,critical_high") -> bytes:
    return "\n".join([header, *rows]).encode()


def test_lab_file_is_imported_with_flags(doctor, person):
    other = booking.patient()
    summary = services.results_import_csv(content=_csv(
        f"{person.mrn},718-7,血红蛋白,95,g/L,115,150,70,",
        f"{person.mrn},2823-3,钾,4.1,mmol/L,3.5,5.5,2.5,6.5",
        f"{other.mrn},2345-7,葡萄糖,1.9,mmol/L,3.9,6.1,2.2,"), by=doctor)
    assert (summary.created, summary.patients, summary.abnormal) == (3, 2, 2)
    assert dict(ResultItem.objects.values_list("loinc_code", "flag")) == {"718-7": "low", "2823-3": "", "2345-7": "critical_low"}
    assert AccessLog.objects.filter(action="write", object_type="result").count() == 3


def test_lab_file_with_bad_rows_lists_them_by_line_and_writes_nothing(doctor, person):
    with pytest.raises(ValidationFailed) as refused:
        services.results_import_csv(content=_csv(
            f"{person.mrn},718-7,血红蛋白,95,g/L,115,150,,",
            "M99999999,718-7,血红蛋白,95,g/L,115,150,,",
            f"{person.mrn},718-8,血红蛋白,abc,g/L,115,150,,",
            f"{person.mrn},2823-3,钾,4.1,mmol/L,5.5,3.5,,"), by=doctor)
    errors = refused.value.errors
    assert set(errors) == {"row 3", "row 4", "row 5"}
    assert "M99999999" in errors["row 3"][0]
    assert any("loinc" in m for m in errors["row 4"]) and any("value" in m for m in errors["row 4"])
    assert ResultItem.objects.count() == 0 and not AccessLog.objects.filter(object_type="result").exists()


def test_lab_file_without_the_required_columns_is_refused(doctor):
    with pytest.raises(ValidationFailed) as refused:
        services.results_import_csv(content=b"patient,code,result\nM1,718-7,95\n", by=doctor)
    assert "mrn" in refused.value.errors["file"][0]


def test_lab_file_in_gb18030_is_read(doctor, person):
    content = f"mrn,loinc,name,value,unit\n{person.mrn},718-7,血红蛋白,130,g/L\n".encode("gb18030")
    services.results_import_csv(content=content, by=doctor)
    assert ResultItem.objects.get().name == "血红蛋白"


def test_lab_file_rows_can_name_their_order(doctor, person):
    order = lab_order(patient=person, by=doctor)
    services.results_import_csv(content=_csv(f"{person.mrn},{order.public_id},718-7,130",
                                             header="mrn,order,loinc,value"), by=doctor)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED


def test_lab_import_over_the_api_reports_rows(api_client, doctor, person):
    api_client.force_login(doctor)
    response = api_client.post(f"{API}/results/import", {"file": SimpleUploadedFile("lab.csv", _csv(
        f"{person.mrn},718-7,血红蛋白,95,g/L,115,150,,", "bad,row")), }, format="multipart")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"row 3"}


# --- Reports and their documents ------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "name", "content_type"), [(PDF, "ct.pdf", "application/pdf"),
                                                               (PNG, "ecg.png", "image/png"),
                                                               (JPEG, "x-ray.jpg", "image/jpeg"),
                                                               (PDF, "", "application/pdf")])
def test_report_document_is_accepted_by_its_content(media_root, doctor, person, content, name, content_type):
    report = services.report_create(patient=person, title="检查报告", text="未见异常", by=doctor, file_content=content,
                                    filename=name)
    assert (report.file_content_type, report.file_size, report.file.name.rsplit(".", 1)[-1]) == (
        content_type, len(content), {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[content_type])


@pytest.mark.parametrize(("content", "name", "claimed"), [
    (b"MZ\x90\x00 an executable", "report.pdf", "application/pdf"),  # not a document at all
    (JPEG, "report.pdf", ""),  # a JPEG calling itself a PDF by name
    (PDF, "report.pdf", "image/png"),  # a PDF sent as an image
    (b"<html><script>alert(1)</script>", "report.png", "image/png"),
])
def test_upload_that_is_not_what_it_claims_is_refused(media_root, doctor, person, content, name, claimed):
    with pytest.raises(UploadRefused):
        services.report_create(patient=person, title="检查报告", text="未见异常", by=doctor, file_content=content,
                               filename=name, claimed_type=claimed)
    assert not Report.objects.exists()


def test_upload_over_the_size_limit_is_refused(settings, media_root, doctor, person):
    settings.RECORDS_REPORT_MAX_BYTES = 1024
    with pytest.raises(UploadRefused) as refused:
        services.report_create(patient=person, title="CT", text="x", by=doctor, file_content=PDF + b"0" * 2048,
                               filename="ct.pdf")
    assert refused.value.http_status == 413


def test_upload_refusal_over_the_api_is_problem_json(api_client, media_root, person):
    profile = booking.doctor()
    appointment(patient=person, doctor=profile)
    api_client.force_login(profile.user)
    response = api_client.post(f"{API}/patients/{person.public_id}/reports", {
        "title": "CT", "text": "x", "file": SimpleUploadedFile("ct.pdf", b"GIF89a not a pdf", content_type="application/pdf"),
    }, format="multipart")
    assert (response.status_code, response.json()["code"]) == (415, "upload_refused")


def test_report_document_is_downloaded_with_its_checked_type(api_client, world):
    api_client.force_login(world.doctor)
    response = api_client.get(f"{API}/reports/{world.reports['related'].public_id}/file")
    assert (response.status_code, response["Content-Type"], b"".join(response.streaming_content)) == (
        200, "application/pdf", PDF)
    assert response["X-Content-Type-Options"] == "nosniff"
