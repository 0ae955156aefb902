from django.utils import translation

from core.branding import hospital_name
from records.services import patient_sign_up
from tests.conftest import PASSWORD


def test_language_switch_is_remembered_on_the_account(client, make_user):
    user = make_user("patient")
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.preferred_language == "zh-hans"


def test_unknown_language_is_not_stored(client, make_user):
    user = make_user("patient", preferred_language="en")
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "en"


def test_sign_up_in_chinese_writes_the_welcome_in_chinese(db):
    with translation.override("zh-hans"):
        user = patient_sign_up(name="李雷", phone="13700001111", email="lilei@example.test", password=PASSWORD,
                               sex="male", date_of_birth=__import__("datetime").date(1990, 1, 1))
    assert user.preferred_language == "zh-hans"
    welcome = user.notifications.get(key="welcome")
    assert "示范人民医院" in welcome.title


def test_hospital_name_follows_the_active_language(settings):
    settings.HOSPITAL_NAME, settings.HOSPITAL_NAME_ZH = "City Hospital", "市医院"
    with translation.override("zh-hans"):
        assert hospital_name() == "市医院"
    with translation.override("en"):
        assert hospital_name() == "City Hospital"
