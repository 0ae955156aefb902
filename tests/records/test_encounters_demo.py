"""seed_demo's clinical part: signed notes, abnormal results and a report for the demo family; run twice, no change."""

import pytest
from django.core.management import call_command
from fhir.resources.R4B.bundle import Bundle

from records.access import has_care_relationship
from records.fhir import patient_bundle
from records.models import Drug, Encounter, Patient, Report, ResultItem

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {model.__name__: model.objects.count() for model in (Encounter, ResultItem, Report, Drug)}


def test_demo_family_has_a_chart_with_abnormal_results_and_a_report(media_root):
    call_command("seed_demo", "--quiet-logins")
    liu_fang, father = Patient.objects.get(name="刘芳"), Patient.objects.get(name="刘建国")
    assert set(Encounter.objects.filter(status="signed").values_list("patient__name", flat=True)) == {"刘芳", "刘建国"}
    assert ResultItem.objects.filter(patient=father).exclude(flag="").exists()
    assert Report.objects.get(patient=liu_fang).file_content_type == "application/pdf"
    doctor = Encounter.objects.filter(patient=liu_fang).get().author
    assert has_care_relationship(user=doctor, patient=liu_fang)
    assert Bundle.model_validate(patient_bundle(father)).entry


def test_demo_seed_twice_changes_nothing(media_root):
    call_command("seed_demo", "--quiet-logins")
    first = snapshot()
    call_command("seed_demo", "--quiet-logins")
    assert snapshot() == first
