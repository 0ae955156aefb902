"""Issue 4, acceptance 4: the doctor clicks "call next" on the console (desk PC) and, without reloading, the
patient's ticket page (phone) and the department's display board both change. Real Chromium, daphne on the
test database (Redis layer when REDIS_URL is set). Screenshots under the test output."""

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from appointments.queue import services
from tests import servers
from tests.appointments.queue import world
from tests.e2e.conftest import DESK, PHONE
from tests.e2e.signin import sign_in as two_step_sign_in
from tests.services import require_redis

PASSWORD = "Quiet-River-2024"  # tests.appointments.factories.user


@pytest.fixture(autouse=True)
def hospital_daytime(settings):
    """Slots "in 30 minutes" must be today's queue, whatever the hour (the server gets this zone through live_url)."""
    settings.TIME_ZONE = world.daytime_zone()


def sign_in(page: Page, live_url: str, login: str, next_path: str) -> None:
    """Password, then for staff the real second step (tests.e2e.signin: a TOTP code from their secret)."""
    two_step_sign_in(page, live_url, login, PASSWORD, next_path)


def mark_no_reload(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def still_same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_call_next_on_the_console_changes_the_patients_phone_and_the_board_without_reloading(live_url, new_context,
                                                                                            screens):
    c = world.clinic(prefix="A", room_name="3诊室")
    s = world.slot_at(c, world.soon(30))
    first = world.checked_in(c, world.booked(c, s, name="张三明"))
    mine = world.checked_in(c, world.booked(c, s, name="李小红"))
    patient_account = world.account_of(c, mine.appointment)

    phone = new_context(**PHONE).new_page()
    sign_in(phone, live_url, patient_account.phone, f"/queue/tickets/{mine.public_id}/")
    expect(phone.get_by_test_id("ticket-number")).to_have_text("A002")
    expect(phone.get_by_test_id("ticket-ahead")).to_have_text("1 person ahead of you")
    expect(phone.get_by_test_id("live-state")).to_be_hidden()

    board = new_context(**DESK).new_page()
    board.goto(f"{live_url}/queue/boards/{c.department.public_id}/")
    expect(board.get_by_test_id("board-next")).to_contain_text("A001")
    expect(board.get_by_test_id("board-next")).to_contain_text("张*明")

    desk = new_context(**DESK).new_page()
    sign_in(desk, live_url, c.doctor.user.phone, f"/queue/console/{first.service_point.public_id}/")
    expect(desk.get_by_test_id("console-waiting-row")).to_have_count(2)
    for page in (phone, board, desk):
        mark_no_reload(page)
    phone.screenshot(path=str(screens / "01-ticket-waiting-360.png"), full_page=True)

    desk.get_by_test_id("call-next").click()

    expect(desk.get_by_test_id("console-current-number")).to_have_text("A001")
    expect(phone.get_by_test_id("ticket-ahead")).to_have_text("You are next.")
    expect(board.get_by_test_id("board-now")).to_contain_text("A001")
    expect(board.get_by_test_id("board-now")).to_contain_text("张*明")
    board.screenshot(path=str(screens / "02-board-called.png"), full_page=True)

    desk.get_by_test_id("console-complete").click()
    expect(desk.get_by_test_id("call-next")).to_contain_text("A002")
    desk.get_by_test_id("call-next").click()

    expect(phone.get_by_test_id("ticket-called")).to_contain_text("please go to 3诊室")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    expect(board.get_by_test_id("board-now")).to_contain_text("A002")
    phone.screenshot(path=str(screens / "03-ticket-called-360.png"), full_page=True)
    desk.screenshot(path=str(screens / "04-console.png"), full_page=True)
    assert [still_same_document(page) for page in (phone, board, desk)] == [True, True, True]


def test_a_phone_that_loses_its_connection_says_so_and_then_shows_the_right_state(live_url, new_context):
    c = world.clinic(prefix="A", room_name="3诊室")
    s = world.slot_at(c, world.soon(30))
    first = world.checked_in(c, world.booked(c, s))
    mine = world.checked_in(c, world.booked(c, s))
    phone_context = new_context(**PHONE)
    phone = phone_context.new_page()
    sign_in(phone, live_url, world.account_of(c, mine.appointment).phone, f"/queue/tickets/{mine.public_id}/")
    expect(phone.get_by_test_id("ticket-ahead")).to_have_text("1 person ahead of you")

    # The socket drops (as on a phone going through a tunnel): the page says it is reconnecting. What the status
    # line shows is recorded as it changes, since the reconnect may come back within half a second.
    phone.evaluate("""() => {
        const line = document.querySelector('[data-testid="live-state"]');
        window.__liveStates = [];
        new MutationObserver(() => { if (!line.hidden) { window.__liveStates.push(line.textContent); } })
            .observe(line, {attributes: true, childList: true, characterData: true, subtree: true});
    }""")
    phone_context.set_offline(True)
    services.queue_call_next(service_point=first.service_point, by=c.doctor.user)
    phone.wait_for_function("window.__liveStates.length > 0")
    phone_context.set_offline(False)

    expect(phone.get_by_test_id("ticket-ahead")).to_have_text("You are next.")
    expect(phone.get_by_test_id("live-state")).to_be_hidden()
    assert "Reconnecting…" in phone.evaluate("window.__liveStates")


def test_a_phone_says_updates_are_delayed_while_redis_restarts_and_then_shows_the_right_state(
        request, transactional_db, new_context, screens):
    """Daphne on a private Redis that the test stops and starts again (the run's shared Redis is never touched). The
    server closes the socket with 4503 when its channel layer loses Redis: the page says it is reconnecting and, from a
    fresh read, that live updates are delayed; a patient called meanwhile is shown as soon as Redis is back, without a
    reload (core/channel_layers.py, static/js/queue-live.js)."""
    require_redis()
    port = servers.free_port()
    redis = servers.redis_server(port, servers.register_log(request.node, screens / "redis.log"))
    env = {"REDIS_URL": f"redis://127.0.0.1:{port}/0", "TIME_ZONE": settings.TIME_ZONE}
    try:
        with servers.asgi_server(screens / "daphne.log", **env) as url:
            c = world.clinic(prefix="A", room_name="3诊室")
            s = world.slot_at(c, world.soon(30))
            first = world.checked_in(c, world.booked(c, s))
            mine = world.checked_in(c, world.booked(c, s))
            phone = new_context(**PHONE).new_page()
            sign_in(phone, url, world.account_of(c, mine.appointment).phone, f"/queue/tickets/{mine.public_id}/")
            expect(phone.get_by_test_id("ticket-ahead")).to_have_text("1 person ahead of you")
            expect(phone.get_by_test_id("live-delayed")).to_have_count(0)
            expect(phone.locator("[data-live]")).to_have_attribute("data-live-connected", "true")  # socket open
            mark_no_reload(phone)
            phone.evaluate("""() => {
                const line = document.querySelector('[data-testid="live-state"]');
                window.__liveStates = [];
                new MutationObserver(() => { if (!line.hidden) { window.__liveStates.push(line.textContent); } })
                    .observe(line, {attributes: true, childList: true, characterData: true, subtree: true});
            }""")

            servers.stop(redis)
            expect(phone.get_by_test_id("live-delayed")).to_be_visible()
            assert "Reconnecting…" in phone.evaluate("window.__liveStates")
            phone.screenshot(path=str(screens / "01-redis-down-360.png"), full_page=True)
            services.queue_call_next(service_point=first.service_point, by=c.doctor.user)  # its nudge is lost

            redis = servers.redis_server(port, servers.register_log(request.node, screens / "redis-again.log"))
            expect(phone.get_by_test_id("ticket-ahead")).to_have_text("You are next.", timeout=60_000)
            expect(phone.get_by_test_id("live-state")).to_be_hidden()
            expect(phone.get_by_test_id("live-delayed")).to_have_count(0)
            phone.screenshot(path=str(screens / "02-redis-back-360.png"), full_page=True)
            assert still_same_document(phone)
    finally:
        servers.stop(redis)
