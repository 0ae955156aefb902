"""The admin site organised for the hospital: sections, the hospital's name in both languages, nothing hidden."""

import pytest
from django.contrib import admin
from django.urls import reverse

from backoffice import sections
from backoffice.site import HospitalAdminSite
from tests.appointments import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(factories.user(is_staff=True, is_superuser=True))
    return client


def test_the_hospital_site_is_the_default_one():
    assert isinstance(admin.site, HospitalAdminSite)


def test_index_groups_every_registered_page_into_sections(superuser_client):
    response = superuser_client.get(reverse("admin:index"))
    app_list = response.context["app_list"]

    assert [s["section"] for s in app_list] == ["people", "clinic", "money", "monitoring", "audit"]
    listed = sorted(m["object_name"] for s in app_list for m in s["models"])
    request = response.wsgi_request
    may_open = sorted(model._meta.object_name for model, model_admin in admin.site._registry.items()
                      if True in model_admin.get_model_perms(request).values())
    assert listed == may_open  # every page of every app this person may open is somewhere
    clinic = next(s for s in app_list if s["section"] == "clinic")
    assert [m["object_name"] for m in clinic["models"]][:3] == ["Department", "DoctorProfile", "ConsultingRoom"]
    html = response.content.decode()
    assert 'id="section-people"' in html and "Demo People&#x27;s Hospital" in html
    assert reverse("admin:backoffice_dashboard") in html and reverse("admin:backoffice_doctor_create") in html


def test_index_in_chinese_shows_the_chinese_name(superuser_client):
    superuser_client.cookies["django_language"] = "zh-hans"

    html = superuser_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "示范人民医院" in html


def test_a_page_no_section_names_goes_to_other():
    assert sections.section_of("newapp", "gadget") == sections.OTHER
    assert sections.section_of("payments", "invoice") == sections.MONEY
    assert sections.section_of("records", "accesslog") == sections.AUDIT


def test_the_other_section_shows_unplaced_pages(superuser_client, monkeypatch):
    monkeypatch.delitem(sections.SECTION_OF, "core.outboxmessage")

    app_list = superuser_client.get(reverse("admin:index")).context["app_list"]

    other = next(s for s in app_list if s["section"] == "other")
    assert [m["object_name"] for m in other["models"]] == ["OutboxMessage"]


def test_one_apps_page_stays_as_django_has_it(superuser_client):
    response = superuser_client.get(reverse("admin:app_list", args=["appointments"]))

    assert response.status_code == 200
    assert [a["app_label"] for a in response.context["app_list"]] == ["appointments"]
