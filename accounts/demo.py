from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import Role
from accounts.twofactor import device_enrol_with_secret, two_factor_required
from core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, DemoLogin


def demo_user(*, email: str, name: str, role: str, phone: str | None = None, is_staff: bool = False,
              is_superuser: bool = False) -> User:
    """The demo user with this email, created once with the demo password and the role's group."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name, phone=phone,
                                        is_staff=is_staff, is_superuser=is_superuser)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    user = User.objects.get(pk=user.pk)  # roles re-read
    if two_factor_required(user):
        device_enrol_with_secret(user=user, secret=DEMO_TOTP_SECRET)
    return user


def seed() -> list[DemoLogin]:
    demo_user(email="admin@demo.hospital", name="系统管理员 Admin", role=Role.HOSPITAL_ADMIN, is_staff=True,
              is_superuser=True)
    demo_user(email="frontdesk@demo.hospital", name="前台 王芳", role=Role.FRONT_DESK, phone="13900000001")
    demo_user(email="nurse@demo.hospital", name="护士 李静", role=Role.NURSE, phone="13900000002")
    return [
        DemoLogin("hospital admin", "admin@demo.hospital", "Django admin at /admin/"),
        DemoLogin("front desk", "frontdesk@demo.hospital"),
        DemoLogin("nurse", "nurse@demo.hospital"),
    ]
