"""Fault injection on the real services (issue 9): processes killed mid-work, Redis gone, PostgreSQL restarted.

Each test starts its OWN service when it kills one (a private redis-server, a private PostgreSQL cluster), points the
processes under test at it, and ends by checking the database for exactly the expected rows. The shared PostgreSQL
and Redis of the test run are never stopped.
"""

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from email import message_from_bytes
from pathlib import Path

import httpx
import psycopg
import pytest
from django.test import Client

from appointments.models import Appointment, AppointmentStatus, QueueTicket
from config.celery import app as celery_app
from core.models import OutboxMessage
from notifications import tasks as notification_tasks
from notifications.models import Notification
from notifications.services import notification_send
from payments.models import Invoice
from tests import servers
from tests.appointments.queue import world
from tests.conftest import UserFactory, two_factor_pass
from tests.services import require_postgres, require_redis

pytestmark = pytest.mark.django_db(transaction=True)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _kill_hard(process) -> None:
    """SIGKILL the pool's children and the main worker process back to back, like a machine losing power."""
    for pid in [*_children(process.pid), process.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)


# --- 1. Celery worker SIGKILLed while delivering notifications ---------------------------------------------------

NOTIFICATIONS = 150


def _mail_recipients(mail_dir: Path) -> list[str]:
    """One entry per message the file backend wrote (a file may hold several messages, split by its separator)."""
    recipients = []
    for path in mail_dir.iterdir():
        for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
            if chunk.strip():
                recipients.append(message_from_bytes(chunk)["To"])
    return recipients


def test_worker_killed_mid_delivery_sends_every_email_after_restart(request, tmp_path):
    """Queued e-mails, a worker SIGKILLed part-way, a new worker: every notification's e-mail is marked sent once.

    Why it holds: the e-mail task is acks_late, so the message of the task that died goes back to the queue after the
    visibility timeout; a message the worker had taken but not yet recorded (kombu's Redis transport pops it first)
    is covered by the backlog sweep (notifications.services.notifications_deliver_backlog); the task locks the
    notification and skips it when ``email_sent_at`` is set, so one that was finished before the kill is not sent
    again. An e-mail handed to the mail server in the instant between sending and
    the commit that records it can be sent twice (at-least-once, the most any mail server allows); with one task in
    flight at a time that is at most one message.
    """
    require_postgres()
    require_redis()
    celery_app.conf.task_always_eager = False  # to the broker, as in production (unit_isolation restores it)
    celery_app.control.purge()

    users = [UserFactory(email=f"kill{i}@example.test") for i in range(NOTIFICATIONS)]
    for i, user in enumerate(users):  # each commits → push and e-mail tasks wait in Redis (no worker yet)
        notification_send(user=user, key=f"fault-kill-{i}", kind="system", title=f"消息 {i}", email=True)
    assert Notification.objects.filter(send_email=True, email_sent_at=None).count() == NOTIFICATIONS

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    worker_env = {"CELERY_VISIBILITY_TIMEOUT": "3", "CELERY_UNACKED_RESTORE_INTERVAL": "1",
                  "CELERY_UNACKED_RESTORE_THROTTLE": "1",
                  "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(mail_dir)}
    first = servers.celery_worker(servers.register_log(request.node, tmp_path / "worker-1.log"), **worker_env)
    try:
        servers.wait_for_worker(first)
        servers.wait_until(lambda: Notification.objects.exclude(email_sent_at=None).exists(), timeout=60, interval=0.02,
                           message="the first worker sending some e-mails")
        _kill_hard(first)
    finally:
        servers.stop(first)
    sent_at_kill = Notification.objects.exclude(email_sent_at=None).count()
    assert 0 < sent_at_kill < NOTIFICATIONS, "the worker was killed part-way through the work"

    second = servers.celery_worker(servers.register_log(request.node, tmp_path / "worker-2.log"), **worker_env)
    try:
        servers.wait_for_worker(second)
        # The task that died goes back to the queue after the visibility timeout and the new worker runs it...
        unsent = Notification.objects.filter(email_sent_at=None)
        servers.wait_for_broker_drained()
        # ...and one whose message the first worker had popped but not yet recorded as unacknowledged (kombu's Redis
        # transport has that instant) is sent by the backlog sweep, which beat runs every few minutes.
        swept = unsent.count()
        assert swept <= 1, f"{swept} e-mails were neither redelivered nor in flight"
        notification_tasks.notifications_deliver_backlog.delay(older_than_seconds=0)
        servers.wait_until(lambda: not unsent.exists(), timeout=60, interval=0.2,
                           message="every e-mail sent after the restart")
    finally:
        servers.stop(second, timeout=20)

    assert Notification.objects.count() == NOTIFICATIONS
    assert Notification.objects.filter(send_email=True).exclude(email_sent_at=None).count() == NOTIFICATIONS
    recipients = _mail_recipients(mail_dir)
    assert set(recipients) == {u.email for u in users}  # nobody missed
    assert NOTIFICATIONS <= len(recipients) <= NOTIFICATIONS + 1  # at most the one in flight at the kill, twice
    print(f"\nworker kill: {NOTIFICATIONS} e-mails queued, {sent_at_kill} sent before SIGKILL, {swept} left to the "
          f"backlog sweep, {len(recipients)} messages written in all")


# --- 2. Redis stopped altogether ---------------------------------------------------------------------------------

CSRF = "f" * 32  # any 32 letters/digits are a valid CSRF secret; sent as cookie and header alike


def _http(base: str, user, *, staff: bool = False) -> httpx.Client:
    client = Client()
    client.force_login(user)
    if staff:
        two_factor_pass(client)
    return httpx.Client(base_url=base, timeout=60, headers={"X-CSRFToken": CSRF},
                        cookies={"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF})


def _run_outbox_flush(env: dict[str, str]) -> str:
    """What beat's ``outbox_flush`` job does, in a process pointed at the private Redis."""
    code = "import django; django.setup(); from core.outbox import outbox_flush; print(outbox_flush())"
    done = subprocess.run([sys.executable, "-c", code], cwd=servers.ROOT, env=servers.child_env(**env),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_redis_down_booking_payment_and_check_in_succeed_and_the_work_is_sent_when_it_returns(request, tmp_path):
    """With the broker, cache and channel layer gone: book, start a checkout, pay at the desk, check in, read the
    ticket; no 5xx, the database holds it all, the ticket says live updates are delayed, and the work that could not
    be queued is kept in the outbox and sent once Redis is back (each e-mail exactly once)."""
    require_postgres()
    require_redis()
    port = servers.free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    env = {"REDIS_URL": redis_url, "REGISTRATION_FEES": "attending=25"}
    redis = servers.redis_server(port, servers.register_log(request.node, tmp_path / "redis.log"))
    c = world.clinic()
    slot = world.slot_at(c, world.soon(20))
    account, person = world.factories.account_with_patient()
    answers = []
    try:
        with servers.asgi_server(servers.register_log(request.node, tmp_path / "daphne.log"), **env) as base:
            patient, desk = _http(base, account), _http(base, c.desk, staff=True)
            assert patient.get("/api/v1/accounts/me").status_code == 200  # up, with Redis there
            servers.stop(redis, sig=signal.SIGKILL)  # Redis is gone from here on

            def call(client, method, path, **kwargs):
                response = client.request(method, path, **kwargs)
                answers.append((method, path, response.status_code))
                return response

            booked = call(patient, "POST", "/api/v1/appointments/book",
                          json={"patient": str(person.public_id), "slot": str(slot.public_id),
                                "request_key": str(uuid.uuid4())})
            assert booked.status_code == 201, booked.text
            assert booked.json()["status"] == AppointmentStatus.HELD  # a registration fee to pay
            bills = call(patient, "GET", f"/api/v1/payments/invoices?patient={person.public_id}").json()["results"]
            assert len(bills) == 1
            bill = bills[0]["public_id"]
            checkout = call(patient, "POST", f"/api/v1/payments/invoices/{bill}/checkout",
                            json={"idempotency_key": str(uuid.uuid4())})
            assert checkout.status_code == 201, checkout.text
            paid = call(desk, "POST", f"/api/v1/payments/invoices/{bill}/desk-payments",
                        json={"method": "cash", "idempotency_key": str(uuid.uuid4())})
            assert paid.status_code == 201, paid.text
            appointment = booked.json()["id"]
            checked = call(patient, "POST", "/api/v1/queue/check-in", json={"appointment": appointment})
            assert checked.status_code == 201, checked.text
            ticket = checked.json()
            snapshot = call(patient, "GET", f"/api/v1/queue/tickets/{ticket['id']}").json()
            assert snapshot["live"] == "delayed", snapshot
            page = call(patient, "GET", f"/queue/tickets/{ticket['id']}/")
            assert 'data-testid="live-delayed"' in page.text, page.text[:500]
            for path in ["/api/v1/notifications/", "/api/v1/appointments/mine", f"/api/v1/queue/tickets/{ticket['id']}",
                         "/accounts/me/", "/"]:
                call(patient, "GET", path)
    finally:
        servers.stop(redis)

    assert [a for a in answers if a[2] >= 500] == []
    # The database is the source of truth: exactly what the requests did.
    (appt,) = Appointment.objects.filter(patient=person)
    assert appt.status == AppointmentStatus.CHECKED_IN
    assert QueueTicket.objects.filter(appointment=appt).count() == 1
    invoice = Invoice.objects.get(patient=person)
    assert invoice.status == "paid"
    kept = OutboxMessage.objects.filter(sent_at=None).count()
    assert kept > 0  # the work that could not be queued
    kept_tasks = sorted(OutboxMessage.objects.filter(sent_at=None).values_list("task_name", flat=True))
    assert "notifications.tasks.notification_push" in kept_tasks  # the patient's notifications, told later
    notifications = Notification.objects.filter(user=account).count()
    assert notifications >= 1

    # Redis is back on the same address: a worker starts, the outbox flush sends what was kept.
    redis = servers.redis_server(port, servers.register_log(request.node, tmp_path / "redis-2.log"))
    worker_log = servers.register_log(request.node, tmp_path / "worker.log")
    worker = servers.celery_worker(worker_log, REDIS_URL=redis_url)
    try:
        _wait_for_worker_at(worker, redis_url)
        flushed = int(_run_outbox_flush({"REDIS_URL": redis_url}))
        assert flushed == kept
        servers.wait_until(lambda: len(_succeeded(worker_log)) >= kept, timeout=90, interval=0.2,
                           message="the kept jobs run by the worker after Redis returned")
        assert _run_outbox_flush({"REDIS_URL": redis_url}) == "0"  # nothing sent twice
    finally:
        servers.stop(worker, timeout=20)
        servers.stop(redis)
    assert OutboxMessage.objects.filter(sent_at=None).count() == 0
    assert sorted(_succeeded(worker_log)) == kept_tasks  # each kept job run exactly once
    print(f"\nRedis down: {len(answers)} requests, {sum(a[2] >= 500 for a in answers)} 5xx, {kept} jobs kept "
          f"in the outbox ({', '.join(sorted(set(kept_tasks)))}) and each run once when Redis returned")


def _wait_for_worker_at(process, broker_url: str) -> None:
    """Wait until the worker answers a ping over `broker_url` (servers.wait_for_worker asks the run's own Redis)."""
    from celery import Celery

    app = Celery(broker=broker_url, set_as_current=False)  # the run's own app stays current for .delay()
    try:
        def answered() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"Celery worker exited with {process.returncode} before it was ready")
            return bool(app.control.ping(destination=[process.nodename], timeout=0.5))

        servers.wait_until(answered, timeout=60, interval=0.2, message=f"worker {process.nodename} answering ping")
    finally:
        app.close()


def _succeeded(worker_log: Path) -> list[str]:
    """The task names the worker's log says succeeded, one per run."""
    import re

    return re.findall(r"Task ([\w.]+)\[[0-9a-f-]+\] succeeded", worker_log.read_text(errors="replace"))


# --- 3. Redis restarted while pages watch the queue -----------------------------------------------------------------

class Watcher:
    """A live queue page (ticket, board or console) as static/js/queue-live.js runs it, on its own event loop.

    It re-reads its snapshot over HTTP on hello, on a ticket nudge and on a nudge newer than what it has read; when
    the socket closes it says "reconnecting" and connects again (backing off, as the page does), and its hello
    brings the state back. ``view`` is what the page shows (the parts of the snapshot that only a change moves).
    """

    def __init__(self, name: str, base: str, ws_path: str, snapshot_path: str, view, cookie: str | None = None):
        self.name, self.base, self.snapshot_path, self.view_of = name, base, snapshot_path, view
        self.ws_url = base.replace("http://", "ws://") + ws_path
        self.headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
        self.connected = False
        self.snapshot = None
        self.last_seq = None
        self.hellos = 0
        self.close_codes: list[int | None] = []
        self.ws = None

    @property
    def view(self):
        return None if self.snapshot is None else self.view_of(self.snapshot)

    async def _read(self, http) -> None:
        response = await http.get(self.snapshot_path)
        if response.status_code == 200:
            self.snapshot = response.json()
            self.last_seq = max(self.last_seq or 0, self.snapshot["seq"])

    async def run(self, stopping: asyncio.Event) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        retry = 0.25
        async with httpx.AsyncClient(base_url=self.base, headers=self.headers, timeout=30) as http:
            while not stopping.is_set():
                try:
                    async with connect(self.ws_url, origin=self.base, additional_headers=self.headers,
                                       open_timeout=30) as ws:
                        self.ws, self.connected, retry = ws, True, 0.25
                        try:
                            async for raw in ws:
                                msg = json.loads(raw)
                                if msg["type"] == "hello":
                                    self.hellos += 1
                                    self.last_seq = msg["seq"]
                                    await self._read(http)
                                elif msg["type"] == "ticket" or msg.get("seq", 0) > (self.last_seq or 0):
                                    await self._read(http)
                        finally:
                            self.connected = False
                            self.close_codes.append(ws.close_code)
                except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError, httpx.HTTPError):
                    self.connected = False
                if not stopping.is_set():  # the page's back-off before it reconnects
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), retry)
                    retry = min(retry * 2, 2.0)


def _ticket_view(s: dict):
    return s["seq"], s["status"], s["people_ahead"], s["live"]


def _board_view(s: dict):
    return s["seq"], json.dumps(s["rooms"], sort_keys=True), s["live"]


def _console_view(s: dict):
    return (s["seq"], (s["current"] or {}).get("number"), [t["number"] for t in s["waiting"]], s["counts"]["waiting"],
            s["live"])


def test_redis_restarted_while_pages_watch_the_queue_every_page_resyncs_and_no_check_in_is_lost(
        request, tmp_path, settings):
    """Three patients' phones, the department board and the doctor's console follow the queue over websockets on
    daphne with a private Redis. Redis stops: two patients check in and the doctor calls the next one (all succeed:
    the database is the source of truth) and every page says it is reconnecting; Redis starts again on the same port:
    every page ends showing the state the database holds, without a reload. Then two more check-ins, a completion and
    a call, and every page follows again. The database holds exactly one ticket per check-in.

    Why it holds: the queue's channel layer (core.channel_layers.ResyncingPubSubChannelLayer) drops its subscriptions
    when its Redis connection is lost and tells every consumer of the process; the consumer closes its socket with
    4503, and the page reconnects (explicitly subscribing again) and re-reads its snapshot on hello. Nudges published
    while Redis was down are lost, but no page relies on them.
    """
    require_postgres()
    require_redis()
    settings.TIME_ZONE = world.daytime_zone()  # "in 30 minutes" stays today at any hour
    port = servers.free_port()
    env = {"REDIS_URL": f"redis://127.0.0.1:{port}/0", "TIME_ZONE": settings.TIME_ZONE}
    redis = servers.redis_server(port, servers.register_log(request.node, tmp_path / "redis.log"))

    c = world.clinic(prefix="R", room_name="5诊室")
    slot = world.slot_at(c, world.soon(30), capacity=20)
    early = [world.checked_in(c, world.booked(c, slot)) for _ in range(3)]  # R001-R003, before anyone watches
    while_down = [world.booked(c, slot) for _ in range(2)]
    after = [world.booked(c, slot) for _ in range(2)]
    point = early[0].service_point
    doctor = c.doctor.user
    stopping = None
    watchers: list[Watcher] = []
    answers = []

    def call(client, method, path, **kwargs):
        response = client.request(method, path, **kwargs)
        answers.append((method, path, response.status_code))
        assert response.status_code < 300, (method, path, response.status_code, response.text[:300])
        return response.json()

    try:
        with servers.asgi_server(servers.register_log(request.node, tmp_path / "daphne.log"), **env) as base:
            desk = _http(base, doctor, staff=True)
            patients = {t.appointment_id: _http(base, world.account_of(c, t.appointment)) for t in early}
            patients |= {a.pk: _http(base, world.account_of(c, a)) for a in while_down + after}
            watchers = [Watcher(f"ticket {t.number}", base, f"/ws/queue/tickets/{t.public_id}/",
                                f"/api/v1/queue/tickets/{t.public_id}", _ticket_view,
                                patients[t.appointment_id].cookies["sessionid"]) for t in early]
            watchers.append(Watcher("board", base, f"/ws/queue/boards/{c.department.public_id}/",
                                    f"/api/v1/queue/boards/{c.department.public_id}", _board_view))
            watchers.append(Watcher("console", base, f"/ws/queue/console/{point.public_id}/",
                                    f"/api/v1/queue/console/{point.public_id}", _console_view,
                                    desk.cookies["sessionid"]))
            truth_client = {w.name: (patients[t.appointment_id] if w.name.startswith("ticket") else desk)
                            for w, t in zip(watchers, [*early, None, None], strict=True)}

            loop_ready = threading.Event()
            holder = {}

            def watch_all():
                async def main():
                    holder["loop"], holder["stopping"] = asyncio.get_running_loop(), asyncio.Event()
                    loop_ready.set()

                    async def close_all():  # the test is over: the pages are closed
                        await holder["stopping"].wait()
                        for w in watchers:
                            if w.ws is not None:
                                await w.ws.close()
                    await asyncio.gather(*(w.run(holder["stopping"]) for w in watchers), close_all())
                asyncio.run(main())

            pages = threading.Thread(target=watch_all, daemon=True)
            pages.start()
            loop_ready.wait(timeout=30)

            def stopping() -> None:
                if pages.is_alive():
                    holder["loop"].call_soon_threadsafe(holder["stopping"].set)

            def behind() -> list[str]:
                """The pages whose view differs from what the server says now (read fresh over HTTP)."""
                late = []
                for w in watchers:
                    truth = w.view_of(truth_client[w.name].get(w.snapshot_path).json())
                    if w.view != truth:
                        late.append(f"{w.name}: shows {w.view}, truth {truth}")
                return late

            def all_caught_up(stage: str) -> None:
                last = {}

                def check():
                    last["behind"] = behind()
                    return not last["behind"] and all(w.connected for w in watchers)
                try:
                    servers.wait_until(check, timeout=120, interval=0.2, message=stage)
                except TimeoutError as exc:
                    raise AssertionError(f"{stage}: {last.get('behind')}, connected "
                                         f"{[w.name for w in watchers if w.connected]}") from exc

            all_caught_up("every page showing the queue before the restart")
            hellos_before = [w.hellos for w in watchers]

            servers.stop(redis)  # Redis goes away (shutdown on SIGTERM, as a restart does)
            for appointment in while_down:
                ticket = call(patients[appointment.pk], "POST", "/api/v1/queue/check-in",
                              json={"appointment": str(appointment.public_id)})
                assert ticket["live"] == "delayed"
            call(desk, "POST", f"/api/v1/queue/console/{point.public_id}/call-next")  # R001 is called
            servers.wait_until(lambda: not any(w.connected for w in watchers), timeout=60, interval=0.1,
                               message="every page saying it is reconnecting while Redis is down")

            redis = servers.redis_server(port, servers.register_log(request.node, tmp_path / "redis-2.log"))  # same port
            all_caught_up("every page catching up after Redis came back")
            state_after_restart = {w.name: w.view for w in watchers}

            for appointment in after:
                call(patients[appointment.pk], "POST", "/api/v1/queue/check-in",
                     json={"appointment": str(appointment.public_id)})
            call(desk, "POST", f"/api/v1/queue/console/{point.public_id}/tickets/{early[0].public_id}/complete")
            call(desk, "POST", f"/api/v1/queue/console/{point.public_id}/call-next")  # R002 is called
            all_caught_up("every page following the changes made after the restart")
            final = {w.name: w.snapshot for w in watchers}
            stopping()
            pages.join(timeout=60)
    finally:
        servers.stop(redis)
        if stopping is not None:
            with contextlib.suppress(RuntimeError):  # the pages' loop may have ended already
                stopping()

    assert [a for a in answers if a[2] >= 400] == []
    # After the restart each page had caught up with what happened while Redis was down...
    assert [v[1:3] for k, v in state_after_restart.items() if k.startswith("ticket")] == [
        ("called", None), ("waiting", 0), ("waiting", 1)]
    assert state_after_restart["console"][1:4] == ("R001", ["R002", "R003", "R004", "R005"], 4)
    # ... by reconnecting: the server closed each socket with 4503 (reconnect and resync) and each said hello again.
    assert all(w.close_codes[0] == 4503 for w in watchers), {w.name: w.close_codes for w in watchers}
    assert all(w.hellos > before for w, before in zip(watchers, hellos_before, strict=True))
    # And the end state, as the pages show it.
    assert [(s["number"], s["status"], s["people_ahead"]) for k, s in final.items() if k.startswith("ticket")] == [
        ("R001", "done", None), ("R002", "called", None), ("R003", "waiting", 0)]
    assert final["board"]["rooms"][0]["now"][0]["number"] == "R002"
    assert [r["number"] for r in final["board"]["rooms"][0]["next"]] == ["R003", "R004", "R005"]
    assert final["console"]["counts"]["waiting"] == 5 and final["console"]["live"] == "live"

    # The database: exactly one ticket per check-in, numbered in order, none lost and none twice.
    tickets = list(QueueTicket.objects.filter(service_point=point).order_by("number")
                   .values_list("appointment_id", "number", "status"))
    expected_appointments = [t.appointment_id for t in early] + [a.pk for a in while_down + after]
    assert sorted(a for a, _, _ in tickets) == sorted(expected_appointments)
    assert [n for _, n, _ in tickets] == [f"R{i:03d}" for i in range(1, 8)]
    assert [s for _, _, s in tickets] == ["done", "called", "waiting", "waiting", "waiting", "waiting", "waiting"]
    statuses = dict(Appointment.objects.filter(pk__in=expected_appointments).values_list("pk", "status"))
    assert statuses == {pk: AppointmentStatus.COMPLETED if pk == early[0].appointment_id else AppointmentStatus.CHECKED_IN
                        for pk in expected_appointments}
    print(f"\nRedis restart: {len(watchers)} pages, {len(answers)} requests (2 check-ins and a call while Redis was "
          f"down), close codes {sorted({c for w in watchers for c in w.close_codes if c})}, hellos "
          f"{[w.hellos for w in watchers]}, {len(tickets)} tickets")


# --- 4. PostgreSQL restarted during ingest -------------------------------------------------------------------------

PG_BIN = Path("/usr/lib/postgresql/15/bin")
BATCHES, PER_BATCH = 40, 50


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own (initdb in a directory owned by the postgres user), on a free port."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="faults-pg-", dir="/tmp"))
        self.port = servers.free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(PG_BIN / "initdb", "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        self.start()

    def _run(self, *command) -> None:
        done = subprocess.run([*self.as_postgres, *map(str, command)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"

    def pg_ctl(self, *action: str) -> None:
        # -w: pg_ctl itself waits until the server accepts connections (or has stopped).
        self._run(PG_BIN / "pg_ctl", "-D", self.dir / "data", "-l", self.dir / "server.log", "-w", "-t", "120",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", *action)

    def start(self) -> None:
        self.pg_ctl("start")

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")  # every connection is cut, as in a failover or a crash-restart

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def _django(code: str, env: dict[str, str]) -> str:
    """Run `code` in a Django process on the private database; returns what it prints."""
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], cwd=servers.ROOT,
                          env=servers.child_env(**env), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


SETUP_DEVICE = """
import datetime
from accounts.models import User
from records.models import Patient
from telemonitor.services.devices import device_register
nurse = User.objects.create(name="护士", email="nurse@example.test", phone="13900000001")
patient = Patient.objects.create(mrn="PGR0001", name="测试", sex="female", date_of_birth=datetime.date(1950, 1, 1))
device, token = device_register(patient=patient, kind="heart_wearable", serial="PG-RESTART", registered_by=nurse)
print(token)
"""

STORED_IDS = """
import json
from telemonitor.models import Reading
print(json.dumps(list(Reading.objects.values_list("device_reading_id", flat=True))))
"""


def test_postgres_restarted_during_ingest_a_retrying_client_leaves_no_duplicates_and_no_gaps(request, tmp_path):
    """A device sends 40 batches of 50 readings, retrying any batch that fails; PostgreSQL restarts part-way.
    Every reading id is stored exactly once: the reading id is the idempotency key (unique per device), so a batch
    resent after a lost answer stores only what is missing."""
    require_postgres()
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL 15 server binaries (initdb, pg_ctl) are required for this fault test")
    pg = PrivatePostgres()
    try:
        with psycopg.connect(pg.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE hospital_fault_pg")
        env = {"DATABASE_URL": pg.url("hospital_fault_pg")}
        _django("from django.core.management import call_command; call_command('migrate', verbosity=0)", env)
        token = _django(SETUP_DEVICE, env)

        sent = [f"b{b:03d}-r{i:03d}" for b in range(BATCHES) for i in range(PER_BATCH)]
        progress = {"batches": 0, "attempts": 0, "failures": [], "error": None}

        def device(base: str) -> None:
            from tests.telemonitor.conftest import reading

            try:
                with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Device {token}"}) as http:
                    for b in range(BATCHES):
                        batch = [reading(rid, value=60 + i % 40) for i, rid in enumerate(sent[b * PER_BATCH:][:PER_BATCH])]
                        for attempt in range(300):  # a device retries a failed batch, with a short pause
                            progress["attempts"] += 1
                            try:
                                answer = http.post("/api/v1/telemonitor/readings", json={"readings": batch})
                            except httpx.HTTPError as exc:
                                progress["failures"].append(type(exc).__name__)
                            else:
                                if answer.status_code == 200:
                                    break
                                progress["failures"].append(answer.status_code)
                            time.sleep(min(0.05 * (attempt + 1), 1))
                        else:
                            raise RuntimeError(f"batch {b} never accepted")
                        progress["batches"] += 1
            except Exception as exc:  # reported by the test thread
                progress["error"] = exc

        log = servers.register_log(request.node, tmp_path / "daphne.log")
        with servers.asgi_server(log, **env) as base:
            client = threading.Thread(target=device, args=(base,), daemon=True)
            client.start()
            servers.wait_until(lambda: progress["batches"] >= 5 or progress["error"], timeout=120,
                               message="the device sending its first batches")
            at_restart = progress["batches"]
            pg.restart()
            client.join(timeout=300)
            assert not client.is_alive(), "the device did not finish"
            assert progress["error"] is None, progress["error"]
        assert at_restart < BATCHES, "PostgreSQL restarted while the device was still sending"
        stored = json.loads(_django(STORED_IDS, env))
    finally:
        pg.close()

    assert len(stored) == len(set(stored)) == BATCHES * PER_BATCH  # no duplicates
    assert sorted(stored) == sorted(sent)  # no gaps
    assert 500 not in progress["failures"]  # a database outage is a 503 with Retry-After, not a crash
    statuses = sorted({str(f) for f in progress["failures"]})
    print(f"\nPostgreSQL restart: {len(sent)} readings in {BATCHES} batches, {progress['attempts']} requests, "
          f"{len(progress['failures'])} failed and retried ({', '.join(statuses) or 'none'}), restart after batch "
          f"{at_restart}, {len(stored)} stored")
