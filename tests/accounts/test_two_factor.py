"""Staff two-step sign-in (TOTP): who needs it, enrolment, codes, replay, lockout, recovery codes, reset, API."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pyotp
import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import twofactor
from accounts.models import RecoveryCode, TwoFactorDevice
from accounts.roles import Role
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.real_two_factor]

LOGIN_URL = "/accounts/login/"
VERIFY_URL = "/accounts/2fa/"
SETUP_URL = "/accounts/2fa/setup/"
STAFF_PAGE = "/accounts/me/"
STAFF_API = "/api/v1/accounts/me"


def sign_in(client, user):
    response = client.post(LOGIN_URL, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def enrol(user) -> pyotp.TOTP:
    secret = pyotp.random_base32()
    twofactor.device_enrol_with_secret(user=user, secret=secret)
    return pyotp.TOTP(secret)


def at_step(step: int):
    return datetime.fromtimestamp(step * 30 + 5, tz=UTC)


@pytest.fixture
def doctor(make_user):
    return make_user(Role.DOCTOR, email="doctor@example.test")


# --- Who must use it -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("roles, fields", [((Role.DOCTOR,), {}), ((Role.NURSE,), {}), ((Role.HOSPITAL_ADMIN,), {}),
                                           ((), {"is_staff": True}), ((), {"is_superuser": True})])
def test_staff_who_signed_in_with_a_password_only_are_sent_to_the_second_step(client, make_user, roles, fields):
    user = make_user(*roles, **fields)
    enrol(user)
    sign_in(client, user)

    response = client.get(STAFF_PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY_URL}?next=%2Faccounts%2Fme%2F"


@pytest.mark.parametrize("role", [Role.PATIENT, Role.FRONT_DESK])
def test_patients_and_front_desk_are_not_asked_for_a_second_step(client, make_user, role):
    user = make_user(role)
    sign_in(client, user)

    assert client.get(STAFF_PAGE).status_code == 200
    assert client.get(STAFF_API).status_code == 200


def test_an_unverified_staff_session_is_refused_by_the_api_with_a_problem_saying_why(client, doctor):
    enrol(doctor)
    sign_in(client, doctor)

    response = client.get(STAFF_API)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "two_factor_required"
    assert "/api/v1/accounts/two-factor" in response.json()["detail"]


def test_a_session_started_before_two_factor_existed_is_decided_on_its_next_request(client, doctor):
    enrol(doctor)
    sign_in(client, doctor)
    session = client.session
    del session[twofactor.SESSION_KEY]
    session.save()

    assert client.get(STAFF_API).json()["code"] == "two_factor_required"


# --- Enrolment -----------------------------------------------------------------------------------------------


def test_first_sign_in_enrols_with_a_server_drawn_qr_code_then_shows_ten_recovery_codes(client, doctor):
    sign_in(client, doctor)
    assert client.get(STAFF_PAGE)["Location"].startswith(VERIFY_URL)
    assert client.get(VERIFY_URL + "?next=/accounts/me/")["Location"] == f"{SETUP_URL}?next=%2Faccounts%2Fme%2F"

    page = client.get(SETUP_URL)
    secret = page.context["secret"]
    html = page.content.decode()
    qr = html[html.index("<figure class=\"qr\""):html.index("</figure>")]
    assert "<svg" in qr and "src=" not in qr and "<script>" not in html
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in html
    device = TwoFactorDevice.objects.get(user=doctor)
    assert device.confirmed_at is None and secret not in device.secret_sealed
    assert client.get(SETUP_URL).context["secret"] == secret  # a reload keeps the QR code already scanned

    done = client.post(SETUP_URL, {"code": pyotp.TOTP(secret).now(), "next": "/accounts/me/"})

    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(STAFF_PAGE).status_code == 200
    assert client.get(STAFF_API).status_code == 200
    assert RecoveryCode.objects.filter(user=doctor).count() == 10
    assert not RecoveryCode.objects.filter(code_hash__in=[c.replace("-", "") for c in codes]).exists()


def test_enrolment_refuses_a_wrong_first_code_and_stays_unconfirmed(client, doctor):
    sign_in(client, doctor)
    client.get(SETUP_URL)

    response = client.post(SETUP_URL, {"code": "000000"})

    assert response.status_code == 400
    assert "not right" in response.context["form"].errors["code"][0]
    assert TwoFactorDevice.objects.get(user=doctor).confirmed_at is None
    assert client.get(STAFF_PAGE).status_code == 302


def test_a_confirmed_device_cannot_be_replaced_by_someone_holding_only_the_password(client, doctor):
    enrol(doctor)
    sign_in(client, doctor)

    response = client.get(SETUP_URL)

    assert response["Location"].startswith(VERIFY_URL)
    with pytest.raises(twofactor.TwoFactorAlreadyEnrolled):
        twofactor.device_enrolment_start(user=doctor)


# --- Codes ---------------------------------------------------------------------------------------------------


def test_the_current_code_passes_the_second_step_and_returns_to_the_page_asked_for(client, doctor):
    totp = enrol(doctor)
    sign_in(client, doctor)

    response = client.post(VERIFY_URL, {"code": totp.now(), "next": "/accounts/me/"})

    assert response.status_code == 302 and response["Location"] == "/accounts/me/"
    assert client.get(STAFF_API).status_code == 200


def test_a_wrong_code_is_refused_beside_the_field(client, doctor):
    enrol(doctor)
    sign_in(client, doctor)

    response = client.post(VERIFY_URL, {"code": "12345"})

    assert response.status_code == 400
    assert response.context["form"].errors["code"]
    assert client.get(STAFF_PAGE).status_code == 302


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_code_one_step_either_side_is_accepted_for_clock_drift(doctor, offset):
    totp = enrol(doctor)
    step = 60_000_000

    accepted = twofactor.code_verify(user=doctor, code=totp.generate_otp(step + offset), now=at_step(step))

    assert accepted.method == "totp"


@pytest.mark.parametrize("offset", [-2, 2])
def test_a_code_two_steps_away_is_refused(doctor, offset):
    totp = enrol(doctor)
    step = 60_000_000

    with pytest.raises(twofactor.TwoFactorCodeInvalid):
        twofactor.code_verify(user=doctor, code=totp.generate_otp(step + offset), now=at_step(step))


def test_a_code_used_once_is_refused_the_second_time_in_the_same_step(doctor):
    totp = enrol(doctor)
    step = 60_000_000
    twofactor.code_verify(user=doctor, code=totp.generate_otp(step), now=at_step(step))

    with pytest.raises(twofactor.TwoFactorCodeReused) as refused:
        twofactor.code_verify(user=doctor, code=totp.generate_otp(step), now=at_step(step))
    assert refused.value.code == "two_factor_code_reused"
    assert twofactor.code_verify(user=doctor, code=totp.generate_otp(step + 1), now=at_step(step)).method == "totp"


def test_an_older_code_after_a_newer_one_is_refused_as_a_replay(doctor):
    totp = enrol(doctor)
    step = 60_000_000
    twofactor.code_verify(user=doctor, code=totp.generate_otp(step + 1), now=at_step(step))

    with pytest.raises(twofactor.TwoFactorCodeReused):
        twofactor.code_verify(user=doctor, code=totp.generate_otp(step), now=at_step(step))


def test_five_wrong_codes_lock_the_second_step_and_say_until_when(client, doctor, settings):
    settings.TWO_FACTOR_FAILURE_LIMIT = 5
    settings.TWO_FACTOR_LOCKOUT_MINUTES = 15
    totp = enrol(doctor)
    sign_in(client, doctor)
    for _ in range(4):
        assert client.post(VERIFY_URL, {"code": "000000"}).status_code == 400

    locked = client.post(VERIFY_URL, {"code": "000000"})
    right_code_while_locked = client.post(VERIFY_URL, {"code": totp.now()})

    assert locked.status_code == 429
    until = timezone.localtime(TwoFactorDevice.objects.get(user=doctor).locked_until).strftime("%H:%M")
    assert f"locked until {until}" in locked.context["lockout_message"]
    assert "about 15 minutes" in locked.context["lockout_message"]
    assert right_code_while_locked.status_code == 429
    assert client.get(STAFF_PAGE).status_code == 302


def test_the_lock_ends_after_its_time_and_a_right_code_passes_again(doctor, settings):
    settings.TWO_FACTOR_FAILURE_LIMIT = 3
    totp = enrol(doctor)
    step = 60_000_000
    for _ in range(2):
        with pytest.raises(twofactor.TwoFactorCodeInvalid):
            twofactor.code_verify(user=doctor, code="000000", now=at_step(step))
    with pytest.raises(twofactor.TwoFactorLocked):
        twofactor.code_verify(user=doctor, code="000000", now=at_step(step))

    later = at_step(step) + timedelta(minutes=settings.TWO_FACTOR_LOCKOUT_MINUTES, seconds=1)
    step_later = int(later.timestamp()) // 30

    assert twofactor.code_verify(user=doctor, code=totp.generate_otp(step_later), now=later).method == "totp"


# --- Recovery codes ------------------------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(client, doctor):
    enrol(doctor)
    codes = twofactor.recovery_codes_regenerate(user=doctor)
    sign_in(client, doctor)

    response = client.post(VERIFY_URL, {"code": codes[0].upper(), "next": "/accounts/me/"}, follow=True)

    assert response.status_code == 200
    assert "9 are left" in response.content.decode()
    with pytest.raises(twofactor.TwoFactorCodeInvalid):
        twofactor.code_verify(user=doctor, code=codes[0])


def test_new_recovery_codes_replace_the_old_ones(client, doctor):
    totp = enrol(doctor)
    old = twofactor.recovery_codes_regenerate(user=doctor)
    sign_in(client, doctor)
    client.post(VERIFY_URL, {"code": totp.now()})

    response = client.post("/accounts/me/security/")

    new = response.context["codes"]
    assert len(new) == 10
    with pytest.raises(twofactor.TwoFactorCodeInvalid):
        twofactor.code_verify(user=doctor, code=old[1])
    assert twofactor.code_verify(user=doctor, code=new[1]).method == "recovery"


def test_making_new_recovery_codes_needs_a_verified_session(client, doctor):
    enrol(doctor)
    twofactor.recovery_codes_regenerate(user=doctor)
    sign_in(client, doctor)

    response = client.post("/accounts/me/security/")

    assert response.status_code == 302 and response["Location"].startswith(VERIFY_URL)


# --- Admin site, API, reset ----------------------------------------------------------------------------------


def test_the_admin_login_goes_through_the_same_second_step(client, make_user):
    admin_user = make_user(Role.HOSPITAL_ADMIN, is_staff=True)
    totp = enrol(admin_user)

    logged_in = client.post("/admin/login/?next=/admin/", {"username": admin_user.email, "password": PASSWORD})
    assert logged_in.status_code == 302
    refused = client.get("/admin/")

    assert refused["Location"] == f"{VERIFY_URL}?next=%2Fadmin%2F"
    assert client.post(VERIFY_URL, {"code": totp.now(), "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_api_second_step_verifies_a_session_started_through_the_api(client, doctor):
    totp = enrol(doctor)
    login = client.post("/api/v1/accounts/login", {"username": doctor.email, "password": PASSWORD},
                        content_type="application/json")
    assert login.json()["two_factor"] == "pending"

    wrong = client.post("/api/v1/accounts/two-factor", {"code": "000000"}, content_type="application/json")
    right = client.post("/api/v1/accounts/two-factor", {"code": totp.now()}, content_type="application/json")

    assert wrong.status_code == 400 and wrong.json()["code"] == "two_factor_code_invalid"
    assert wrong.json()["errors"]["code"]
    assert right.status_code == 200 and right.json()["two_factor"] == "verified"
    assert client.get(STAFF_API).status_code == 200


def test_the_reset_command_forgets_the_device_so_the_next_sign_in_enrols_again(client, doctor):
    enrol(doctor)
    twofactor.recovery_codes_regenerate(user=doctor)
    out = StringIO()

    call_command("two_factor_reset", doctor.email.upper(), stdout=out)

    assert "reset" in out.getvalue()
    assert not TwoFactorDevice.objects.filter(user=doctor).exists()
    assert not RecoveryCode.objects.filter(user=doctor).exists()
    sign_in(client, doctor)
    assert client.get(VERIFY_URL)["Location"].startswith(SETUP_URL)


def test_an_administrator_resets_two_factor_from_the_admin_after_a_confirmation_page(client, make_user, doctor):
    admin_user = make_user(Role.HOSPITAL_ADMIN, is_staff=True, is_superuser=True)
    enrol(doctor)
    client.force_login(admin_user)
    from tests.conftest import two_factor_pass

    two_factor_pass(client)
    form = {"action": "reset_two_factor", "_selected_action": [doctor.pk]}

    confirm = client.post("/admin/accounts/user/", form)
    assert confirm.status_code == 200 and TwoFactorDevice.objects.filter(user=doctor).exists()
    done = client.post("/admin/accounts/user/", {**form, "confirm": "yes"})

    assert done.status_code == 302
    assert not TwoFactorDevice.objects.filter(user=doctor).exists()


def test_the_demo_staff_share_the_published_demo_key_and_front_desk_has_none(db):
    from accounts.demo import seed
    from accounts.models import User
    from core.demo import DEMO_TOTP_SECRET

    seed()

    nurse = User.objects.get(email="nurse@demo.hospital")
    assert twofactor.device_secret(TwoFactorDevice.objects.get(user=nurse)) == DEMO_TOTP_SECRET
    assert not TwoFactorDevice.objects.filter(user__email="frontdesk@demo.hospital").exists()
    out = StringIO()
    call_command("demo_totp", stdout=out)
    assert pyotp.TOTP(DEMO_TOTP_SECRET).verify(out.getvalue().strip(), valid_window=1)


# --- Websockets ----------------------------------------------------------------------------------------------


def _alert_feed_connects(client) -> bool:
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator
    from django.conf import settings as django_settings

    from config.asgi import application

    cookie = f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie.encode())]

    async def scenario():
        ws = WebsocketCommunicator(application, "/ws/telemonitor/alerts/", headers=headers)
        connected, _code = await ws.connect()
        await ws.disconnect()
        return connected

    return async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_a_staff_feed_refuses_a_session_that_has_not_passed_the_second_step(client, doctor, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    totp = enrol(doctor)
    sign_in(client, doctor)

    assert _alert_feed_connects(client) is False
    client.post(VERIFY_URL, {"code": totp.now()})
    assert _alert_feed_connects(client) is True


def test_the_user_list_shows_and_filters_who_has_two_step_sign_in(client, make_user, doctor):
    enrol(doctor)
    nurse = make_user(Role.NURSE, email="nurse.without@example.test")
    admin_user = make_user(Role.HOSPITAL_ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    from tests.conftest import two_factor_pass

    two_factor_pass(client)

    on = client.get("/admin/accounts/user/", {"two_factor": "on"}).context["cl"].result_list
    off = client.get("/admin/accounts/user/", {"two_factor": "off"}).context["cl"].result_list

    assert doctor in on and nurse not in on
    assert nurse in off and doctor not in off
