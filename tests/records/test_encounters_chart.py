"""The chart and list reads run a fixed number of queries whatever the size of the record (issue 5, acceptance 6)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records import services
from records.fhir import patient_bundle
from records.selectors import patient_chart
from tests.appointments import factories as booking
from tests.records.clinical import appointment, drug, lab_order, report, signed

API = "/api/v1/records"
pytestmark = pytest.mark.django_db


def grow(person, doctor, n: int) -> None:
    """Add n visits' worth of record: a signed note with a prescription, an allergy, a problem, an order with
    two results and a report."""
    medicine = drug()
    for i in range(n):
        encounter = signed(patient=person, author=doctor)
        amendment = services.encounter_amend(encounter=encounter, by=doctor, reason="补充")
        services.prescription_create(encounter=amendment, drug=medicine, dose_amount=Decimal("1"), dose_unit="mg",
                                     route="oral", frequency="qd", duration_days=30, quantity=1, by=doctor)
        services.encounter_sign(encounter=amendment, by=doctor)
        services.allergy_record(patient=person, substance=f"物质{i}", severity="mild", by=doctor)
        services.problem_record(patient=person, description=f"问题{i}", by=doctor)
        order = lab_order(patient=person, by=doctor)
        for code in ("718-7", "2345-7"):
            services.result_record(patient=person, loinc_code=code, value="5", reference_high="4", order=order, by=doctor)
        report(patient=person, by=doctor, order=order)


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


@pytest.fixture
def setting(media_root):
    doctor = booking.doctor()
    small, large = booking.patient(), booking.patient()
    for person in (small, large):
        appointment(patient=person, doctor=doctor)
    grow(small, doctor.user, 1)
    grow(large, doctor.user, 6)
    return doctor.user, small, large


def test_chart_selector_queries_do_not_grow_with_the_record(setting):
    doctor, small, large = setting
    chart = patient_chart(patient=large, viewer=doctor)
    assert len(chart.encounters) == 6 and len(chart.results) == 12
    assert queries(lambda: patient_chart(patient=small, viewer=doctor)) == queries(
        lambda: patient_chart(patient=large, viewer=doctor)) == 8


def test_chart_api_queries_do_not_grow_with_the_record(api_client, setting):
    doctor, small, large = setting
    api_client.force_login(doctor)
    counts = [queries(lambda p=p: api_client.get(f"{API}/patients/{p.public_id}/chart")) for p in (small, large)]
    assert counts[0] == counts[1]


@pytest.mark.parametrize("suffix", ["/encounters", "/allergies", "/problems", "/orders", "/results", "/reports"])
def test_list_apis_queries_do_not_grow_with_the_record(api_client, setting, suffix):
    doctor, small, large = setting
    api_client.force_login(doctor)
    counts = [queries(lambda p=p: api_client.get(f"{API}/patients/{p.public_id}{suffix}")) for p in (small, large)]
    assert counts[0] == counts[1]


def test_fhir_export_queries_do_not_grow_with_the_record(setting):
    _doctor, small, large = setting
    assert queries(lambda: patient_bundle(small)) == queries(lambda: patient_bundle(large))


def test_timeline_is_newest_first_across_kinds(setting):
    doctor, _small, large = setting
    timeline = patient_chart(patient=large, viewer=doctor).timeline
    assert [entry.at for entry in timeline] == sorted((entry.at for entry in timeline), reverse=True)
    assert {entry.kind for entry in timeline} == {"encounter", "result", "report"}
