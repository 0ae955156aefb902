"""Medical record numbers: issued once from a sequence, unique, never changed."""

import re
from datetime import date

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from core.errors import ValidationFailed
from records import services
from records.models import Patient

pytestmark = pytest.mark.django_db


def register(name: str, **details) -> Patient:
    details.setdefault("sex", "female")
    details.setdefault("date_of_birth", date(1990, 1, 1))
    return services.patient_create(details=services.patient_details_check(name=name, **details))


def test_mrn_has_the_hospital_prefix_and_eight_digits():
    patient = register("林青")

    assert re.fullmatch(rf"{re.escape(settings.HOSPITAL_MRN_PREFIX)}\d{{8}}", patient.mrn)


def test_mrn_follows_the_configured_prefix(settings):
    settings.HOSPITAL_MRN_PREFIX = "BJ"

    assert register("林青").mrn.startswith("BJ")


def test_each_patient_gets_the_next_number():
    numbers = [int(register(f"病人{i}").mrn[len(settings.HOSPITAL_MRN_PREFIX):]) for i in range(4)]

    assert numbers == list(range(numbers[0], numbers[0] + 4))


def test_updating_a_patient_never_changes_the_mrn_or_public_id():
    patient = register("林青")
    mrn, public_id = patient.mrn, patient.public_id

    updated = services.patient_update(patient=patient, details=services.patient_details_check(
        name="林青青", sex="female", date_of_birth=date(1990, 3, 7), national_id="110101199003074522"))

    assert (updated.mrn, updated.public_id) == (mrn, public_id)
    assert Patient.objects.get(pk=patient.pk).name == "林青青"


def test_saving_a_patient_directly_keeps_the_mrn():
    patient = register("林青")
    mrn = patient.mrn
    patient.name = "林晴"
    patient.save()

    assert Patient.objects.get(pk=patient.pk).mrn == mrn


def test_a_refused_registration_does_not_use_up_a_number():
    first = register("林青")
    details = services.patient_details_check(name="另一人", national_id="11010519491231002X")
    second = services.patient_create(details=details)
    with pytest.raises(ValidationFailed):
        services.patient_create(details=details)  # raced past the check; the unique hash refuses it

    third = register("后来者")

    numbers = [int(p.mrn[len(settings.HOSPITAL_MRN_PREFIX):]) for p in (first, second, third)]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_database_refuses_two_patients_with_one_mrn():
    patient = register("林青")

    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(mrn=patient.mrn, name="重号", sex="male", date_of_birth=date(1990, 1, 1))


def test_database_refuses_a_patient_without_an_mrn():
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(name="无号", sex="male", date_of_birth=date(1990, 1, 1))


def test_mrn_cannot_be_edited_in_the_admin(client, make_user):
    patient = register("林青")
    client.force_login(make_user(is_staff=True, is_superuser=True))

    page = client.get(f"/admin/records/patient/{patient.pk}/change/").content.decode()

    assert patient.mrn in page
    assert 'name="mrn"' not in page
