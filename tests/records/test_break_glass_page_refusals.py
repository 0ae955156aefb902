"""Found by the access probe: a refused break-the-glass from the record page left no audit row (the API's did)."""

import pytest
from django.test import Client

from records.models import AccessAction, AccessLog, BreakGlassGrant

pytestmark = pytest.mark.django_db


def _post(user, patient):
    client = Client()
    client.force_login(user)
    return client.post(f"/records/patients/{patient.public_id}/break-glass/", {"reason": "急诊抢救，患者昏迷"})


@pytest.mark.parametrize("who", ["nurse", "front_desk", "admin", "patient_account"])
def test_a_refused_break_the_glass_from_the_page_is_in_the_audit_trail(world, who):
    response = _post(getattr(world, who), world.unrelated)

    assert response.status_code in (302, 404)
    assert AccessLog.objects.filter(actor=getattr(world, who), patient=world.unrelated, action=AccessAction.REFUSED,
                                    object_type="break_glass").count() == 1
    assert not BreakGlassGrant.objects.exists()


def test_a_doctor_breaking_the_glass_from_the_page_is_granted_and_logged_as_such(world):
    response = _post(world.doctor, world.unrelated)

    assert response.status_code == 302
    assert BreakGlassGrant.objects.filter(doctor=world.doctor, patient=world.unrelated).count() == 1
    assert AccessLog.objects.filter(actor=world.doctor, action=AccessAction.REFUSED).count() == 0
