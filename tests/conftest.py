import factory
import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import Role
from core.demo import DEMO_PASSWORD

PASSWORD = DEMO_PASSWORD


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试用户{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.test")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            self.groups.add(Group.objects.get_or_create(name=role)[0])
        if create:
            self.save()


def two_factor_pass(client) -> None:
    """Mark `client`'s signed-in session as having passed the second sign-in step (accounts.twofactor), as the
    code page does. For tests about something else; tests of 2FA itself enter real codes."""
    from accounts.twofactor import SESSION_KEY, VERIFIED

    session = client.session
    session[SESSION_KEY] = VERIFIED
    session.save()


@pytest.fixture(autouse=True)
def _force_login_passes_two_factor(request, monkeypatch):
    """`client.force_login(staff)` gives a session that has passed 2FA, so tests of pages and APIs need not
    repeat it. A test marked ``real_two_factor`` gets the real behaviour (a pending session)."""
    if request.node.get_closest_marker("real_two_factor"):
        return
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        two_factor_pass(self)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def make_user(db):
    def make(*roles: str, **fields) -> User:
        return UserFactory(roles=roles, **fields)

    return make


@pytest.fixture
def patient_user(db):
    """A signed-up patient account (own Patient row and 'myself' family entry)."""
    from records.services import patient_sign_up

    return patient_sign_up(name="王小明", phone="13812345678", email="xiaoming@example.test", password=PASSWORD,
                           sex="male", date_of_birth=__import__("datetime").date(1985, 6, 1))


@pytest.fixture
def doctor_user(make_user):
    return make_user(Role.DOCTOR)
