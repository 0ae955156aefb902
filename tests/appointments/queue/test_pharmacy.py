"""The pharmacy window's ticket after paying for medicines (issue 6): the window with the fewest waiting (ties by
window order), one ticket per paid bill however many requests race (PostgreSQL), the refusals, and the patient's
live ticket page showing it."""

from datetime import date

import pytest
from django.utils import timezone

from accounts.roles import Role
from appointments.models import CheckInChannel, QueueTicket, ServicePoint, ServicePointKind, TicketStatus
from appointments.queue import pharmacy, services
from appointments.queue.errors import QueueActionRefused
from core.errors import PermissionRefused
from tests.appointments import factories
from tests.appointments.test_races import race
from tests.services import require_postgres


def _pharmacy(*names: str, code: str = "pharmacy", prefix: str = "Y"):
    dept = factories.department(code=code, name_zh="门诊药房", name_en="Outpatient Pharmacy", queue_prefix=prefix,
                                is_active=False)
    windows = [ServicePoint.objects.create(kind=ServicePointKind.PHARMACY_WINDOW, department=dept, name=name)
               for name in names]
    return dept, windows


def _paid(n: int = 1, **kwargs):
    return [factories.patient(**kwargs) for _ in range(n)]


@pytest.mark.django_db
def test_ticket_goes_to_the_window_with_the_fewest_waiting_and_says_how_many_are_ahead():
    _dept, (one, two, three) = _pharmacy("1号窗口", "2号窗口", "3号窗口")
    desk = factories.user(Role.FRONT_DESK)
    for window, waiting in ((one, 2), (two, 1), (three, 3)):
        for person in _paid(waiting):
            services.ticket_walk_in(patient=person, service_point=window, by=desk)

    answer = pharmacy.pharmacy_ticket_issue(patient=_paid()[0], key="invoice:a")

    assert (answer.window, answer.number, answer.waiting, answer.created) == ("2号窗口", "Y002", 1, True)
    assert answer.ticket.channel == CheckInChannel.PAYMENT and answer.ticket.status == TicketStatus.WAITING


@pytest.mark.django_db
def test_ties_go_to_the_first_window_and_called_patients_do_not_count_as_waiting():
    _dept, (_one, two) = _pharmacy("1号窗口", "2号窗口")
    desk = factories.user(Role.FRONT_DESK)
    services.ticket_walk_in(patient=_paid()[0], service_point=two, by=desk)
    first = pharmacy.pharmacy_ticket_issue(patient=_paid()[0], key="invoice:1")  # 0 vs 1 waiting: window 1
    second = pharmacy.pharmacy_ticket_issue(patient=_paid()[0], key="invoice:2")  # 1 vs 1: the first window
    QueueTicket.objects.filter(pk__in=[first.ticket.pk, second.ticket.pk]).update(status=TicketStatus.CALLED,
                                                                                   called_at=timezone.now())
    third = pharmacy.pharmacy_ticket_issue(patient=_paid()[0], key="invoice:3")  # 0 vs 1 again

    assert [first.window, second.window, third.window] == ["1号窗口", "1号窗口", "1号窗口"]
    assert (second.waiting, third.waiting) == (1, 0)


@pytest.mark.django_db
def test_the_same_key_gives_back_its_one_ticket_even_after_the_line_moved():
    _pharmacy("1号窗口", "2号窗口")
    patient = _paid()[0]
    first = pharmacy.pharmacy_ticket_issue(patient=patient, key="invoice:same")
    pharmacy.pharmacy_ticket_issue(patient=_paid()[0], key="invoice:other")
    again = pharmacy.pharmacy_ticket_issue(patient=patient, key="invoice:same")

    assert again.created is False and again.ticket.pk == first.ticket.pk and again.number == first.number
    assert QueueTicket.objects.filter(issue_key="invoice:same").count() == 1
    assert pharmacy.pharmacy_ticket_get(key="invoice:same").ticket.pk == first.ticket.pk
    assert pharmacy.pharmacy_ticket_get(key="invoice:never") is None


@pytest.mark.django_db
def test_aged_patients_get_their_priority_at_the_window_too():
    _pharmacy("1号窗口")
    answer = pharmacy.pharmacy_ticket_issue(patient=factories.patient(dob=date(1930, 1, 1)), key="invoice:old")
    assert answer.ticket.priority == "aged"


@pytest.mark.django_db
def test_refused_without_an_open_window_and_nothing_is_written():
    patient = _paid()[0]
    with pytest.raises(pharmacy.PharmacyUnavailable):
        pharmacy.pharmacy_ticket_issue(patient=patient, key="invoice:x")  # no pharmacy department at all
    _dept, (window,) = _pharmacy("1号窗口")
    ServicePoint.objects.filter(pk=window.pk).update(is_active=False)
    with pytest.raises(pharmacy.PharmacyUnavailable) as refused:
        pharmacy.pharmacy_ticket_issue(patient=patient, key="invoice:x")
    assert refused.value.http_status == 409 and "pharmacy" in refused.value.message
    assert not QueueTicket.objects.exists()


@pytest.mark.django_db
def test_consulting_rooms_of_the_department_are_never_pharmacy_windows():
    from tests.appointments.queue import world

    c = world.clinic(prefix="Y", dept=factories.department(code="pharmacy", queue_prefix="Y"))
    services.service_point_for_slot(slot=world.slot_at(c, world.soon(30)))
    with pytest.raises(pharmacy.PharmacyUnavailable):
        pharmacy.pharmacy_ticket_issue(patient=_paid()[0], key="invoice:x")


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "   ", "k" * 101])
def test_refused_without_a_usable_key(key):
    _pharmacy("1号窗口")
    with pytest.raises(QueueActionRefused):
        pharmacy.pharmacy_ticket_issue(patient=_paid()[0], key=key)
    assert not QueueTicket.objects.exists()


@pytest.mark.django_db
def test_only_staff_may_issue_one_by_hand():
    _pharmacy("1号窗口")
    patient_account = factories.user(Role.PATIENT)
    with pytest.raises(PermissionRefused):
        pharmacy.pharmacy_ticket_issue(patient=_paid()[0], key="invoice:x", by=patient_account)
    desk = factories.user(Role.FRONT_DESK)
    answer = pharmacy.pharmacy_ticket_issue(patient=_paid()[0], key="invoice:x", by=desk)
    assert answer.ticket.checked_in_by == desk


@pytest.mark.django_db
def test_the_patients_live_ticket_page_shows_the_window_and_the_people_ahead(client):
    _pharmacy("1号窗口")
    account, own = factories.account_with_patient()
    pharmacy.pharmacy_ticket_issue(patient=_paid()[0], key="invoice:before")
    answer = pharmacy.pharmacy_ticket_issue(patient=own, key="invoice:mine")
    client.force_login(account)
    page = client.get(f"/queue/tickets/{answer.ticket.public_id}/").text
    assert "Y002" in page and "1号窗口" in page and "Pharmacy window" in page and "1 person ahead of you" in page
    QueueTicket.objects.filter(pk=answer.ticket.pk).update(status=TicketStatus.DONE, called_at=timezone.now())
    assert "You have collected your medicines." in client.get(f"/queue/tickets/{answer.ticket.public_id}/").text


@pytest.mark.django_db
def test_someone_elses_pharmacy_ticket_is_not_found(client):
    _pharmacy("1号窗口")
    answer = pharmacy.pharmacy_ticket_issue(patient=_paid()[0], key="invoice:theirs")
    client.force_login(factories.account_with_patient()[0])
    assert client.get(f"/queue/tickets/{answer.ticket.public_id}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_for_the_same_paid_bill_make_one_ticket():
    require_postgres()
    _pharmacy("1号窗口", "2号窗口")
    patient = _paid()[0]

    results = race(20, lambda i: pharmacy.pharmacy_ticket_issue(patient=patient, key="invoice:race"))

    assert all(isinstance(r, pharmacy.PharmacyTicket) for r in results), results
    assert sum(r.created for r in results) == 1
    assert len({r.ticket.pk for r in results}) == 1
    assert QueueTicket.objects.count() == 1
    later = pharmacy.pharmacy_ticket_issue(patient=_paid()[0], key="invoice:next")
    assert later.number == "Y001" and later.window == "2号窗口"  # no number was used up by the losers


@pytest.mark.django_db(transaction=True)
def test_twenty_different_bills_at_once_spread_evenly_over_the_windows_with_unique_numbers():
    require_postgres()
    _pharmacy("1号窗口", "2号窗口")
    patients = _paid(20)

    results = race(20, lambda i: pharmacy.pharmacy_ticket_issue(patient=patients[i], key=f"invoice:{i}"))

    assert all(isinstance(r, pharmacy.PharmacyTicket) for r in results), results
    per_window = {}
    for r in results:
        per_window.setdefault(r.window, []).append(r.number)
    assert {w: sorted(n) for w, n in per_window.items()} == {
        w: [f"Y{i:03d}" for i in range(1, 11)] for w in ("1号窗口", "2号窗口")}
