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
