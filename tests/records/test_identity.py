"""Resident ID numbers (GB 11643-1999): parsing, sealing, lookup hash, one patient per number."""

from datetime import date

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.errors import ValidationFailed
from records import identity, services
from records.identity import national_id_parse
from records.models import Patient

VALID = "110101199003074522"  # born 1990-03-07, sequence digit 2: female
VALID_X = "11010519491231002X"  # the standard's own example, check character X; female


def test_parse_reads_birth_date_and_sex():
    parsed = national_id_parse(VALID)

    assert (parsed.number, parsed.date_of_birth, parsed.sex, parsed.last4) == (VALID, date(1990, 3, 7), "female", "4522")


@pytest.mark.parametrize("typed", ["11010519491231002X", "11010519491231002x", " 110105 19491231 002X "])
def test_parse_accepts_check_character_x_in_either_case_and_with_spaces(typed):
    parsed = national_id_parse(typed)

    assert (parsed.number, parsed.date_of_birth, parsed.sex) == (VALID_X, date(1949, 12, 31), "female")


@pytest.mark.parametrize(("number", "code"), [
    ("110101199003074521", "id_checksum"),
    ("11010519491231002Y", "id_format"),
    ("110101199013074526", "id_date"),      # month 13, checksum right
    ("110101199002304525", "id_date"),      # 30 February
    ("110101209901010017", "id_date"),      # born in 2099
    ("110101188001010011", "id_date"),      # born 1880
    ("11010119900307452", "id_format"),     # 17 characters
    ("1101011990030745222", "id_format"),   # 19 characters
    ("010101199003074520", "id_region"),
    ("", "id_format"),
])
def test_parse_refuses_what_is_not_a_valid_number(number, code):
    with pytest.raises(ValidationError) as caught:
        national_id_parse(number)

    assert caught.value.code == code


def test_parse_reads_male_from_an_odd_sequence_digit():
    assert national_id_parse("11010119900307459X").sex == "male"


def test_parse_accepts_a_real_29_february():
    assert national_id_parse("110101200002291264").date_of_birth == date(2000, 2, 29)


def test_seal_then_unseal_gives_the_number_back_and_the_token_hides_it():
    token = identity.seal(VALID)

    assert VALID not in token
    assert identity.unseal(token) == VALID
    assert identity.seal(VALID) != token  # a fresh nonce each time: equal numbers do not look equal


def test_unseal_still_reads_numbers_sealed_with_a_retired_key(settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    token = identity.seal(VALID)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]

    assert identity.unseal(token) == VALID


def test_unseal_refuses_a_token_no_current_key_opened(settings):
    from cryptography.fernet import InvalidToken

    token = identity.seal(VALID)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(InvalidToken):
        identity.unseal(token)


def test_lookup_hash_is_deterministic_keyed_and_distinct(settings):
    first = identity.lookup_hash(VALID)

    assert identity.lookup_hash(VALID) == first
    assert identity.lookup_hash(VALID_X) != first
    assert VALID not in first
    settings.LOOKUP_HASH_KEY = "another-key"
    assert identity.lookup_hash(VALID) != first


@pytest.mark.django_db
def test_stored_patient_keeps_only_the_sealed_number_hash_and_last_four():
    patient = services.patient_create(details=services.patient_details_check(name="周杰", national_id=VALID))

    row = Patient.objects.values("national_id_sealed", "national_id_hash", "national_id_last4").get(pk=patient.pk)
    assert VALID not in row["national_id_sealed"]
    assert row["national_id_hash"] == identity.lookup_hash(VALID)
    assert row["national_id_last4"] == "4522"
    assert Patient.objects.get(pk=patient.pk).national_id == VALID
    assert patient.national_id_masked == "**************4522"


@pytest.mark.django_db
def test_a_second_patient_with_the_same_number_is_refused_by_the_check():
    services.patient_create(details=services.patient_details_check(name="周杰", national_id=VALID))

    with pytest.raises(ValidationFailed) as caught:
        services.patient_details_check(name="周杰伦", national_id=VALID.lower())

    assert "already registered" in caught.value.errors["national_id"][0]


@pytest.mark.django_db
def test_the_same_patient_may_keep_their_own_number_when_updated():
    patient = services.patient_create(details=services.patient_details_check(name="周杰", national_id=VALID))

    details = services.patient_details_check(name="周杰", national_id=VALID, exclude=patient)

    assert details.national_id.number == VALID


@pytest.mark.django_db
def test_a_second_patient_with_the_same_number_racing_past_the_check_is_refused_by_the_database():
    details = services.patient_details_check(name="周杰", national_id=VALID)
    services.patient_create(details=details)
    count = Patient.objects.count()

    # Both registrations passed the check before either was saved: the unique hash decides.
    with pytest.raises(ValidationFailed) as caught:
        services.patient_create(details=details)

    assert "already registered" in caught.value.errors["national_id"][0]
    assert Patient.objects.count() == count


@pytest.mark.django_db
def test_database_refuses_a_duplicate_hash_even_without_the_service():
    patient = services.patient_create(details=services.patient_details_check(name="周杰", national_id=VALID))

    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(mrn="X1", name="冒名", sex="male", date_of_birth=date(1990, 3, 7),
                               national_id_sealed=patient.national_id_sealed, national_id_hash=patient.national_id_hash)


@pytest.mark.django_db
def test_database_refuses_a_sealed_number_without_its_hash():
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(mrn="X2", name="无哈希", sex="male", date_of_birth=date(1990, 3, 7),
                               national_id_sealed=identity.seal(VALID), national_id_hash=None)
