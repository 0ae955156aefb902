"""Patient sign-up, page and API: all or nothing, and every refusal names its field."""

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail

from accounts.models import User
from notifications.models import Notification
from records.models import FamilyMember, Patient

SIGNUP_URL = "/signup/"
API_SIGNUP_URL = "/api/v1/accounts/signup"
GOOD_PASSWORD = "Quiet-River-2024"
NATIONAL_ID = "110101199003074522"  # valid checksum; born 1990-03-07, female

pytestmark = pytest.mark.django_db


def page_data(**overrides) -> dict:
    data = {"name": "刘芳", "phone": "13812340001", "email": "liu.fang@example.test", "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD, "national_id": NATIONAL_ID, "sex": "", "date_of_birth": ""}
    data.update(overrides)
    return data


def api_data(**overrides) -> dict:
    data = {"name": "刘芳", "phone": "13812340001", "email": "liu.fang@example.test", "password": GOOD_PASSWORD,
            "national_id": NATIONAL_ID}
    data.update(overrides)
    return data


def row_counts() -> dict:
    return {m.__name__: m.objects.count() for m in (User, Patient, FamilyMember, Notification)}


@pytest.fixture
def existing(make_user):
    """An account already using a phone and an email."""
    return make_user(email="taken@example.test", phone="13900000099")


# --- success -------------------------------------------------------------------------------------

def test_signup_page_creates_account_patient_self_entry_and_welcome(client, run_on_commit):
    with run_on_commit():
        response = client.post(SIGNUP_URL, page_data(email="Liu.Fang@Example.TEST"))

    assert response.status_code == 302
    user = User.objects.get(email="liu.fang@example.test")
    assert client.session.get(SESSION_KEY) == str(user.pk)
    assert user.has_role("patient")
    patient = user.own_patient
    assert patient.mrn.startswith(settings.HOSPITAL_MRN_PREFIX)
    assert (patient.sex, patient.date_of_birth) == ("female", date(1990, 3, 7))  # read from the ID number
    me = FamilyMember.objects.get(account=user)
    assert (me.patient, me.relationship, me.is_guardian) == (patient, "self", True)
    welcome = Notification.objects.get(user=user, key="welcome")
    assert patient.mrn in welcome.body
    assert [m.to for m in mail.outbox] == [["liu.fang@example.test"]]


def test_signup_page_without_id_number_takes_sex_and_birth_date(client):
    response = client.post(SIGNUP_URL, page_data(national_id="", sex="male", date_of_birth="1985-06-01"))

    assert response.status_code == 302
    patient = Patient.objects.get(account__email="liu.fang@example.test")
    assert (patient.sex, patient.date_of_birth, patient.national_id_sealed) == ("male", date(1985, 6, 1), "")


def test_signup_api_creates_the_account_and_answers_201(api_client, run_on_commit):
    with run_on_commit():
        response = api_client.post(API_SIGNUP_URL, api_data(phone="+86 138 1234 0001"), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "liu.fang@example.test"
    assert body["phone"] == "13812340001"
    assert body["roles"] == ["patient"]
    user = User.objects.get(public_id=body["id"])
    assert FamilyMember.objects.filter(account=user, relationship="self", patient__account=user).exists()
    assert Notification.objects.filter(user=user, key="welcome").exists()
    assert len(mail.outbox) == 1


def test_signed_up_patient_can_sign_in_with_phone(client):
    client.post(SIGNUP_URL, page_data())
    client.logout()

    response = client.post("/accounts/login/", {"username": "138 1234 0001", "password": GOOD_PASSWORD})

    assert response.status_code == 302


def test_signed_in_person_opening_signup_is_sent_home(client, patient_user):
    client.force_login(patient_user)

    response = client.get(SIGNUP_URL)

    assert response.status_code == 302
    assert response["Location"] == "/"


# --- refused: nothing is created -----------------------------------------------------------------

REFUSED_PAGE = [
    ("taken phone", {"phone": "+86 139 0000 0099"}, "phone", "already exists"),
    ("taken email, other case", {"email": "TAKEN@example.test"}, "email", "already exists"),
    ("too short password", {"password1": "Ab1-x", "password2": "Ab1-x"}, "password1", "too short"),
    ("numeric password", {"password1": "8203917465", "password2": "8203917465"}, "password1", "entirely numeric"),
    ("common password", {"password1": "password123", "password2": "password123"}, "password1", "too common"),
    ("passwords differ", {"password2": "Quiet-River-2025"}, "password2", "not the same"),
    ("ID bad checksum", {"national_id": "110101199003074521"}, "national_id", "check each digit"),
    ("ID impossible date", {"national_id": "110101199013074526"}, "national_id", "not a real date"),
    ("ID future date", {"national_id": "110101209901010017"}, "national_id", "not possible"),
    ("ID wrong length", {"national_id": "11010119900307452"}, "national_id", "18 characters"),
    ("ID letters", {"national_id": "11010119900307A522"}, "national_id", "18 characters"),
    ("invalid phone", {"phone": "12345"}, "phone", "11-digit mobile number"),
    ("landline", {"phone": "010 6512 3456"}, "phone", "11-digit mobile number"),
    ("missing name", {"name": "   "}, "name", "required"),
    ("sex contradicts ID", {"sex": "male"}, "sex", "does not match"),
    ("no ID, no sex or birth date", {"national_id": ""}, "sex", "sex"),
]


@pytest.mark.parametrize(("case", "overrides", "field", "words"), REFUSED_PAGE, ids=[c[0] for c in REFUSED_PAGE])
def test_signup_page_refuses_bad_input_naming_the_field_and_creates_nothing(
        client, existing, run_on_commit, case, overrides, field, words):
    before = row_counts()

    with run_on_commit():
        response = client.post(SIGNUP_URL, page_data(**overrides))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(words in str(message) for message in errors[field]), errors[field]
    assert row_counts() == before
    assert mail.outbox == []
    assert client.session.get(SESSION_KEY) is None


REFUSED_API = [
    ("taken phone", {"phone": "13900000099"}, "phone", "already exists"),
    ("taken email, other case", {"email": "Taken@Example.test"}, "email", "already exists"),
    ("too short password", {"password": "Ab1-x"}, "password", "too short"),
    ("numeric password", {"password": "8203917465"}, "password", "entirely numeric"),
    ("common password", {"password": "password123"}, "password", "too common"),
    ("ID bad checksum", {"national_id": "110101199003074521"}, "national_id", "check each digit"),
    ("ID impossible date", {"national_id": "110101199002304525"}, "national_id", "not a real date"),
    ("ID wrong length", {"national_id": "1101011990030745"}, "national_id", "18 characters"),
    ("invalid phone", {"phone": "2345678901"}, "phone", "11-digit mobile number"),
    ("invalid email", {"email": "not-an-email"}, "email", "valid email"),
    ("missing password", {"password": None}, "password", "required"),
]


@pytest.mark.parametrize(("case", "overrides", "field", "words"), REFUSED_API, ids=[c[0] for c in REFUSED_API])
def test_signup_api_refuses_bad_input_as_problem_json_keyed_by_field(
        api_client, existing, run_on_commit, case, overrides, field, words):
    before = row_counts()
    payload = {k: v for k, v in api_data(**overrides).items() if v is not None}

    with run_on_commit():
        response = api_client.post(API_SIGNUP_URL, payload, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"], body
    assert any(words in message for message in body["errors"][field]), body["errors"][field]
    assert row_counts() == before
    assert mail.outbox == []


def test_signup_api_lists_every_bad_field_at_once(api_client, existing):
    response = api_client.post(API_SIGNUP_URL, api_data(phone="13900000099", email="taken@example.test",
                                                        password="123", national_id="110101199003074521"),
                               format="json")

    assert set(response.json()["errors"]) == {"phone", "email", "password", "national_id"}


def test_signup_refuses_an_id_number_already_registered(client, patient_user):
    from records import services

    details = services.patient_details_check(name="刘芳", national_id=NATIONAL_ID)
    services.patient_create(details=details)
    before = row_counts()

    response = client.post(SIGNUP_URL, page_data())

    assert "already registered" in response.context["form"].errors["national_id"][0]
    assert row_counts() == before


def test_signup_api_is_throttled_per_address(api_client):
    statuses = [api_client.post(API_SIGNUP_URL, {}, format="json").status_code for _ in range(21)]

    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429


# --- language ------------------------------------------------------------------------------------

def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_signup_errors_follow_the_accept_language_header(api_client):
    """Django's own catalogue translates the password rules, so this holds before ours is compiled."""
    english = api_client.post(API_SIGNUP_URL, api_data(password="8203917465"), format="json").json()
    chinese = api_client.post(API_SIGNUP_URL, api_data(password="8203917465"), format="json",
                              HTTP_ACCEPT_LANGUAGE="zh-hans").json()

    assert not has_chinese(english["errors"]["password"][0])
    assert has_chinese(chinese["errors"]["password"][0])


ZH_CATALOG = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


@pytest.mark.skipif(not ZH_CATALOG.exists(), reason="the zh_Hans catalogue (locale/) is not compiled yet")
@pytest.mark.parametrize("how", ["header", "cookie"])
def test_signup_page_and_api_speak_chinese_for_the_portals_own_messages(client, api_client, existing, how):
    if how == "header":
        page = client.post(SIGNUP_URL, page_data(phone="13900000099"), HTTP_ACCEPT_LANGUAGE="zh-hans")
        api = api_client.post(API_SIGNUP_URL, api_data(phone="13900000099"), format="json",
                              HTTP_ACCEPT_LANGUAGE="zh-hans")
    else:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        api_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        page = client.post(SIGNUP_URL, page_data(phone="13900000099"))
        api = api_client.post(API_SIGNUP_URL, api_data(phone="13900000099"), format="json")

    assert has_chinese(page.context["form"].errors["phone"][0])
    body = api.json()
    assert has_chinese(body["errors"]["phone"][0])
    assert has_chinese(body["detail"])
