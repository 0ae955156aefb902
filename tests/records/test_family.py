"""The family list (就诊人): add, edit, remove, through pages and the API; only ever one's own."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records import services
from records.models import FamilyMember, Patient, Relationship

FAMILY_API = "/api/v1/records/family"
PROBLEM = "application/problem+json"

pytestmark = pytest.mark.django_db


def add_member(account, name="刘建国", relationship=Relationship.PARENT, **details) -> FamilyMember:
    details.setdefault("sex", "male")
    details.setdefault("date_of_birth", date(1950, 5, 12))
    return services.family_member_add(account=account, relationship=relationship, is_guardian=True,
                                      details=services.patient_details_check(name=name, **details))


def member_form(**overrides) -> dict:
    data = {"relationship": "child", "name": "周小宇", "national_id": "", "sex": "male", "date_of_birth": "2018-09-01",
            "phone": "", "insurance_number": "", "is_guardian": "on"}
    data.update(overrides)
    return data


def member_json(**overrides) -> dict:
    data = {"relationship": "child", "name": "周小宇", "sex": "male", "date_of_birth": "2018-09-01", "is_guardian": True}
    data.update(overrides)
    return data


@pytest.fixture
def other_account():
    """Another patient's account, with one family member of their own."""
    user = services.patient_sign_up(name="陈伟", phone="13800000002", email="chen.wei@example.test",
                                    password="Quiet-River-2024", sex="male", date_of_birth=date(1978, 11, 23))
    add_member(user, name="黄丽", relationship=Relationship.SPOUSE, sex="female", date_of_birth=date(1980, 2, 14))
    return user


@pytest.fixture
def signed_in(client, patient_user):
    client.force_login(patient_user)
    return client


@pytest.fixture
def api(api_client, patient_user):
    api_client.force_login(patient_user)
    return api_client


def self_entry(user) -> FamilyMember:
    return FamilyMember.objects.get(account=user, relationship=Relationship.SELF)


# --- pages -----------------------------------------------------------------------------------------

def test_family_page_lists_myself_and_the_people_i_added(signed_in, patient_user):
    add_member(patient_user)

    response = signed_in.get("/family/")

    names = [m.patient.name for m in response.context["members"]]
    assert names == ["王小明", "刘建国"]


def test_family_page_needs_sign_in(client):
    response = client.get("/family/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_add_page_adds_a_person_with_their_own_mrn(signed_in, patient_user):
    response = signed_in.post("/family/add/", member_form())

    assert response.status_code == 302
    member = FamilyMember.objects.get(account=patient_user, patient__name="周小宇")
    assert (member.relationship, member.is_guardian) == ("child", True)
    assert member.patient.mrn and member.patient.account is None


@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": ""}, "name"),
    ({"relationship": "self"}, "relationship"),
    ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
    ({"national_id": "110101199003074521"}, "national_id"),
    ({"phone": "555-1234"}, "phone"),
])
def test_add_page_refuses_bad_details_and_adds_nobody(signed_in, patient_user, overrides, field):
    before = (FamilyMember.objects.count(), Patient.objects.count())

    response = signed_in.post("/family/add/", member_form(**overrides))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert (FamilyMember.objects.count(), Patient.objects.count()) == before


def test_edit_page_changes_details_but_not_the_mrn(signed_in, patient_user):
    member = add_member(patient_user)
    mrn = member.patient.mrn

    response = signed_in.post(f"/family/{member.public_id}/edit/", member_form(
        relationship="grandparent", name="刘建华", sex="male", date_of_birth="1950-05-12"))

    assert response.status_code == 302
    member.refresh_from_db()
    member.patient.refresh_from_db()
    assert (member.relationship, member.patient.name, member.patient.mrn) == ("grandparent", "刘建华", mrn)


def test_edit_page_for_myself_keeps_the_relationship_self(signed_in, patient_user):
    me = self_entry(patient_user)

    response = signed_in.post(f"/family/{me.public_id}/edit/", member_form(
        relationship="child", name="王晓明", sex="male", date_of_birth="1985-06-01"))

    assert response.status_code == 302
    me.refresh_from_db()
    assert (me.relationship, me.is_guardian, me.patient.name) == ("self", True, "王晓明")


def test_edit_page_for_myself_shows_the_relationship_fixed_as_myself(signed_in, patient_user):
    me = self_entry(patient_user)

    form = signed_in.get(f"/family/{me.public_id}/edit/").context["form"]

    assert form["relationship"].value() == "self"
    assert form.fields["relationship"].disabled
    assert [value for value, _ in form.fields["relationship"].choices] == ["self"]


def test_remove_page_takes_the_person_off_the_list_but_keeps_the_record(signed_in, patient_user):
    member = add_member(patient_user)

    response = signed_in.post(f"/family/{member.public_id}/remove/")

    assert response.status_code == 302
    assert not FamilyMember.objects.filter(pk=member.pk).exists()
    assert Patient.objects.filter(pk=member.patient_id).exists()


def test_remove_page_refuses_to_remove_myself(signed_in, patient_user):
    me = self_entry(patient_user)

    response = signed_in.post(f"/family/{me.public_id}/remove/", follow=True)

    assert FamilyMember.objects.filter(pk=me.pk).exists()
    assert "cannot remove yourself" in " ".join(str(m) for m in response.context["messages"])


def test_remove_page_by_get_only_asks_to_confirm(signed_in, patient_user):
    member = add_member(patient_user)

    response = signed_in.get(f"/family/{member.public_id}/remove/")

    assert response.status_code == 200
    assert FamilyMember.objects.filter(pk=member.pk).exists()


def test_add_page_refuses_past_the_family_size_limit(signed_in, patient_user, settings):
    settings.MAX_FAMILY_MEMBERS = 2
    add_member(patient_user)

    response = signed_in.post("/family/add/", member_form())

    assert response.status_code == 200
    assert any("at most 2 people" in e for e in response.context["form"].non_field_errors())
    assert FamilyMember.objects.filter(account=patient_user).count() == 2


# --- a person with their own account -----------------------------------------------------------

@pytest.fixture
def linked_member(patient_user, other_account):
    """陈伟 has his own account and is also on 王小明's list (linked by the front desk)."""
    return FamilyMember.objects.create(account=patient_user, patient=other_account.own_patient,
                                       relationship=Relationship.SIBLING)


def test_edit_page_changes_only_the_relationship_of_someone_with_their_own_account(signed_in, linked_member):
    response = signed_in.post(f"/family/{linked_member.public_id}/edit/", member_form(
        relationship="other", name="改名", sex="female", date_of_birth="2000-01-01"))

    assert response.status_code == 302
    linked_member.refresh_from_db()
    patient = Patient.objects.get(pk=linked_member.patient_id)
    assert linked_member.relationship == "other"
    assert (patient.name, patient.sex) == ("陈伟", "male")


def test_api_refuses_to_edit_details_of_someone_with_their_own_account(api, linked_member):
    response = api.patch(f"{FAMILY_API}/{linked_member.public_id}",
                         {"person": {"name": "改名", "sex": "male", "date_of_birth": "1978-11-23"}}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert "own account" in response.json()["detail"]
    assert Patient.objects.get(pk=linked_member.patient_id).name == "陈伟"


def test_api_may_change_the_relationship_of_someone_with_their_own_account(api, linked_member):
    response = api.patch(f"{FAMILY_API}/{linked_member.public_id}", {"relationship": "other"}, format="json")

    assert response.status_code == 200
    assert response.json()["relationship"] == "other"


# --- API -----------------------------------------------------------------------------------------

def test_api_lists_my_people_with_opaque_ids_and_masked_id_numbers(api, patient_user):
    add_member(patient_user, national_id="110101195005120010", name="刘建国")

    body = api.get(FAMILY_API).json()

    assert [m["relationship"] for m in body] == ["self", "parent"]
    assert body[1]["patient"]["national_id"].endswith("0010")
    assert "110101195005120010" not in str(body)
    assert str(body[1]["id"]) == str(FamilyMember.objects.get(account=patient_user, relationship="parent").public_id)


def test_api_adds_a_person(api, patient_user):
    response = api.post(FAMILY_API, member_json(), format="json")

    assert response.status_code == 201
    assert response.json()["patient"]["name"] == "周小宇"
    assert FamilyMember.objects.filter(account=patient_user).count() == 2


@pytest.mark.parametrize(("payload", "field"), [
    (member_json(relationship="self"), "relationship"),
    (member_json(name=""), "name"),
    (member_json(national_id="110101199003074521"), "national_id"),
    (member_json(sex="female", date_of_birth=None, national_id="110101195005120010"), "sex"),
    (member_json(phone="12"), "phone"),
])
def test_api_refuses_bad_people_naming_the_field(api, patient_user, payload, field):
    before = Patient.objects.count()

    response = api.post(FAMILY_API, payload, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert field in response.json()["errors"]
    assert Patient.objects.count() == before


def test_api_refuses_past_the_family_size_limit(api, patient_user, settings):
    settings.MAX_FAMILY_MEMBERS = 2
    add_member(patient_user)

    response = api.post(FAMILY_API, member_json(), format="json")

    assert response.status_code == 400
    assert "at most 2 people" in response.json()["detail"]
    assert FamilyMember.objects.filter(account=patient_user).count() == 2


def test_api_edits_a_person(api, patient_user):
    member = add_member(patient_user)

    response = api.patch(f"{FAMILY_API}/{member.public_id}", {
        "is_guardian": False, "person": {"name": "刘建华", "sex": "male", "date_of_birth": "1950-05-12"}},
        format="json")

    assert response.status_code == 200
    assert (response.json()["is_guardian"], response.json()["patient"]["name"]) == (False, "刘建华")
    assert response.json()["patient"]["mrn"] == member.patient.mrn


def test_api_refuses_to_turn_someone_into_myself(api, patient_user):
    member = add_member(patient_user)

    response = api.patch(f"{FAMILY_API}/{member.public_id}", {"relationship": "self"}, format="json")

    assert response.status_code == 400
    assert "relationship" in response.json()["errors"]
    assert FamilyMember.objects.filter(account=patient_user, relationship="self").count() == 1


def test_api_removes_a_person(api, patient_user):
    member = add_member(patient_user)

    response = api.delete(f"{FAMILY_API}/{member.public_id}")

    assert response.status_code == 204
    assert not FamilyMember.objects.filter(pk=member.pk).exists()


def test_api_refuses_to_remove_myself(api, patient_user):
    me = self_entry(patient_user)

    response = api.delete(f"{FAMILY_API}/{me.public_id}")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert "cannot remove yourself" in response.json()["detail"]
    assert FamilyMember.objects.filter(pk=me.pk).exists()


def test_api_needs_sign_in(api_client):
    response = api_client.get(FAMILY_API)

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM


# --- other accounts' people ----------------------------------------------------------------------

def snapshot() -> list:
    return list(FamilyMember.objects.order_by("pk").values_list("pk", "relationship", "is_guardian", "patient__name"))


@pytest.mark.parametrize(("method", "suffix"), [("get", "edit/"), ("post", "edit/"), ("get", "remove/"),
                                                ("post", "remove/")])
def test_pages_of_another_accounts_people_are_not_found(signed_in, other_account, method, suffix):
    theirs = FamilyMember.objects.get(account=other_account, relationship="spouse")
    before = snapshot()

    response = getattr(signed_in, method)(f"/family/{theirs.public_id}/{suffix}", member_form(name="偷改"))

    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("whose", ["spouse", "self"])
def test_api_on_another_accounts_people_is_not_found(api, other_account, method, whose):
    theirs = FamilyMember.objects.get(account=other_account, relationship=whose)
    before = snapshot()

    response = getattr(api, method)(f"{FAMILY_API}/{theirs.public_id}", {"relationship": "other"}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_found"
    assert snapshot() == before


def test_api_on_an_unknown_id_is_not_found(api):
    response = api.get(f"{FAMILY_API}/00000000-0000-0000-0000-000000000000")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_api_list_shows_only_my_people(api, other_account):
    names = {m["patient"]["name"] for m in api.get(FAMILY_API).json()}

    assert names == {"王小明"}


# --- query counts --------------------------------------------------------------------------------

def add_five(user) -> None:
    for i in range(5):
        add_member(user, name=f"家人{i}", relationship=Relationship.OTHER)


@pytest.mark.parametrize("url", ["/family/", FAMILY_API])
def test_family_list_runs_the_same_number_of_queries_for_one_or_six_people(
        client, patient_user, django_assert_num_queries, url):
    client.force_login(patient_user)
    client.get(url)  # warm caches that are filled once per process (content types, templates)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add_five(patient_user)

    with django_assert_num_queries(len(one)):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["members"] if url == "/family/" else response.json()) == 6
