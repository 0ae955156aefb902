"""Queue fan-out: K websocket clients on one department's board and tickets; a doctor's "call next" over HTTP; how
long until every client has the update, beside raw Redis PUBLISH -> subscriber latency measured in the same run.

    python bench/queue_fanout.py [--clients 1000] [--boards 100] [--rounds 10] [--servers 2]

What it does, bounded by --timeout (default 300 s):

1. Creates the database hospital_bench_queue on PostgreSQL (--postgres), migrates it, and drops it at the end.
2. Seeds one department with one doctor and room, and K - B patients checked in to that doctor's queue today, each
   with an account and a logged-in session written straight to the session table; the doctor is logged in too.
3. Starts --servers daphne processes (bench/_queue_settings.py: the local settings, DEBUG off, Redis channel layer
   under a prefix of its own in Redis database --redis-db) and opens the websockets, spread round-robin over them:
   B board clients (/ws/queue/boards/<department>/, anonymous, as the hall's screens) and K - B ticket clients
   (/ws/queue/tickets/<ticket>/, each signed in as its patient: it joins the queue's group and its ticket's).
4. Rounds (one more first, to warm up, not counted): POST /api/v1/queue/console/<room>/call-next as the doctor;
   t0 is taken just before the request is sent; each client's latency is the time its nudge ({"type": "queue" |
   "board", "seq": n}) arrives. The round ends when every client has it; then the called patient is completed
   (not timed) and its nudges are drained. The nudges travel on the queue's Redis pub/sub layer as deployed
   (--layer core: the default layer, one Redis message per socket, for comparison). Reported over all clients of
   all counted rounds: p50 and p99 latency; per round, the time until the last client had it (p50 and max over
   rounds). The clients are in this one process, on the same cores as the servers.
5. Baseline, same run, same Redis: a subscriber and a publisher (redis-py asyncio) and --publishes PUBLISH calls
   one at a time, each carrying its send time; p50/p99 from PUBLISH to the subscriber reading it.
Cleans up: stops the servers, deletes its own keys from Redis (its prefix only), drops the database.
The last lines are `figure: ...` lines for bench/run_all.py.
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.booking import database_recreate, database_url, servers_start, servers_stop  # noqa: E402

BENCH_DB = "hospital_bench_queue"
CSRF_SECRET = "benchcsrf" + "1" * 23


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


# --- Seeding (Django ORM, in this process) -------------------------------------------------------------------

def seed(*, patients: int) -> dict:
    """One doctor's queue today with `patients` checked in (tickets A001…); every patient and the doctor logged in."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone

    from accounts import twofactor
    from accounts.models import User
    from accounts.roles import Role
    from appointments.localtime import hospital_today
    from appointments.models import (
        CheckInChannel,
        ConsultingRoom,
        Department,
        DoctorProfile,
        DoctorTitle,
        QueueTicket,
        ServicePoint,
    )
    from core.models import Sequence
    from records.models import FamilyMember, Patient, Relationship

    today = hospital_today()
    now = timezone.now()
    password = make_password(None)
    with transaction.atomic():
        department = Department.objects.create(code="benchq", name_zh="压测科", name_en="Bench clinic", queue_prefix="Q")
        doctor_user = User.objects.create(name="压测医生", email="bench-doctor@example.test", phone="13000000000",
                                          password=password)
        doctor_user.groups.add(Group.objects.get_or_create(name=Role.DOCTOR)[0])
        doctor = DoctorProfile.objects.create(user=doctor_user, department=department, title=DoctorTitle.ATTENDING)
        room = ConsultingRoom.objects.create(department=department, code="benchq-1", name="1诊室")
        point = ServicePoint.objects.create(department=department, doctor=doctor, room=room)
        users = User.objects.bulk_create([User(name=f"病人{i}", email=f"bench-q{i}@example.test", phone=f"131{i:08d}",
                                               password=password) for i in range(patients)], batch_size=1000)
        people = Patient.objects.bulk_create([Patient(mrn=f"BQ{i:08d}", name=f"病人{i}", sex="female",
                                                      date_of_birth="1980-01-01", account=u)
                                              for i, u in enumerate(users)], batch_size=1000)
        FamilyMember.objects.bulk_create([FamilyMember(account=u, patient=p, relationship=Relationship.SELF,
                                                       is_guardian=True) for u, p in zip(users, people, strict=True)],
                                         batch_size=1000)
        tickets = QueueTicket.objects.bulk_create([
            QueueTicket(service_point=point, date=today, sequence=i + 1, number=f"Q{i + 1:03d}", patient=p,
                        channel=CheckInChannel.WALK_IN, checked_in_at=now + timedelta(microseconds=i),
                        queued_at=now + timedelta(microseconds=i)) for i, p in enumerate(people)], batch_size=1000)
        Sequence.objects.create(name=f"ticket:{point.pk}:{today.isoformat()}", last_value=patients)
        store = SessionStore()
        expire = now + timedelta(hours=2)

        def session_for(user) -> Session:
            # The doctor has passed two-step sign-in (accounts.twofactor); patients are not asked for it.
            data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "accounts.backends.PhoneOrEmailBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                    twofactor.SESSION_KEY: twofactor.VERIFIED if user == doctor_user else twofactor.NOT_REQUIRED}
            return Session(session_key=uuid.uuid4().hex, session_data=store.encode(data), expire_date=expire)

        sessions = Session.objects.bulk_create([session_for(u) for u in [doctor_user, *users]], batch_size=1000)
    return {"department": str(department.public_id), "point": str(point.public_id),
            "doctor_session": sessions[0].session_key,
            "tickets": [(str(t.public_id), s.session_key) for t, s in zip(tickets, sessions[1:], strict=True)]}


# --- Websocket clients ----------------------------------------------------------------------------------------

class Client:
    def __init__(self, url: str, origin: str, cookie: str | None):
        self.url, self.origin = url, origin
        self.headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
        self.ws = None
        self.waiting_for: asyncio.Future | None = None
        self.expect_kind = None
        self.last_seq = 0

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(self.url, origin=self.origin, additional_headers=self.headers, open_timeout=60,
                                max_queue=None, ping_interval=None)
        hello = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
        self.last_seq = hello["seq"]
        asyncio.get_running_loop().create_task(self.listen())

    async def listen(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                if msg.get("type") in ("queue", "board") and msg["seq"] > self.last_seq:
                    self.last_seq = msg["seq"]
                    if self.waiting_for is not None and not self.waiting_for.done() and msg["seq"] >= self.target:
                        self.waiting_for.set_result(time.perf_counter())
        except ConnectionClosed:
            pass

    def expect(self, target: int) -> asyncio.Future:
        self.target = target
        self.waiting_for = asyncio.get_running_loop().create_future()
        if self.last_seq >= target:
            self.waiting_for.set_result(time.perf_counter())
        return self.waiting_for


async def open_all(clients: list[Client], at_once: int = 50) -> None:
    gate = asyncio.Semaphore(at_once)

    async def one(client: Client) -> None:
        async with gate:
            await client.open()

    await asyncio.gather(*(one(c) for c in clients))


async def fanout(urls: list[str], seeded: dict, *, boards: int, rounds: int) -> dict:
    import httpx

    clients: list[Client] = []
    for i in range(boards):
        base = urls[i % len(urls)]
        clients.append(Client(base.replace("http", "ws", 1) + f"/ws/queue/boards/{seeded['department']}/", base, None))
    for i, (ticket_id, session_key) in enumerate(seeded["tickets"]):
        base = urls[(boards + i) % len(urls)]
        clients.append(Client(base.replace("http", "ws", 1) + f"/ws/queue/tickets/{ticket_id}/", base, session_key))
    started = time.perf_counter()
    await open_all(clients)
    print(f"clients: {boards} board and {len(clients) - boards} ticket websockets open "
          f"in {time.perf_counter() - started:.1f} s", flush=True)

    headers = {"Cookie": f"sessionid={seeded['doctor_session']}; csrftoken={CSRF_SECRET}", "X-CSRFToken": CSRF_SECRET}
    latencies: list[float] = []
    last_client: list[float] = []
    first_client: list[float] = []
    answered: list[float] = []
    async with httpx.AsyncClient(base_url=urls[0], headers=headers, timeout=60) as http:
        for round_number in range(rounds + 1):  # round 0 warms up (first use of each path) and is not counted
            # Each client waits for the number after the last it saw: its board's, or its queue's.
            futures = [c.expect(c.last_seq + 1) for c in clients]
            t0 = time.perf_counter()
            response = await http.post(f"/api/v1/queue/console/{seeded['point']}/call-next")
            if round_number:
                answered.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"call-next answered {response.status_code}: {response.text[:300]}")
            arrived = await asyncio.wait_for(asyncio.gather(*futures), 60)
            round_latencies = [(at - t0) * 1000 for at in arrived]
            if round_number:
                latencies += round_latencies
                last_client.append(max(round_latencies))
                first_client.append(min(round_latencies))
            current = response.json()["current"]["id"]
            settle = [c.expect(c.last_seq + 1) for c in clients]  # the completion nudges every client too
            done = await http.post(f"/api/v1/queue/console/{seeded['point']}/tickets/{current}/complete")
            if done.status_code != 200:
                raise RuntimeError(f"complete answered {done.status_code}: {done.text[:300]}")
            await asyncio.wait_for(asyncio.gather(*settle), 60)
    for c in clients:
        await c.ws.close()
    return {"latencies": latencies, "last_client": last_client, "first_client": first_client, "answered": answered}


# --- Baseline: raw Redis PUBLISH -> subscriber -----------------------------------------------------------------

async def redis_baseline(redis_url: str, channel: str, count: int) -> list[float]:
    import redis.asyncio as redis

    subscriber = redis.Redis.from_url(redis_url)
    publisher = redis.Redis.from_url(redis_url)
    pubsub = subscriber.pubsub()
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=5)  # the subscribe confirmation
    latencies = []
    try:
        for i in range(count):
            sent = time.perf_counter()
            await publisher.publish(channel, str(i))
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                if message is not None:
                    break
            latencies.append((time.perf_counter() - sent) * 1000)
    finally:
        await pubsub.unsubscribe(channel)
        await pubsub.aclose()
        await subscriber.aclose()
        await publisher.aclose()
    return latencies


def redis_cleanup(redis_url: str, prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    deleted = 0
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        deleted += client.delete(key)
    client.close()
    return deleted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000, help="websocket clients in all (default 1000)")
    parser.add_argument("--boards", type=int, default=100, help="of which on the board (default 100; the rest tickets)")
    parser.add_argument("--rounds", type=int, default=10, help="call-next rounds measured (default 10)")
    parser.add_argument("--servers", type=int, default=2, help="daphne processes (default 2, one per core)")
    parser.add_argument("--publishes", type=int, default=2000, help="raw Redis PUBLISH round trips (default 2000)")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server for the bench database (hospital_bench_queue, created and dropped)")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379"),
                        help="Redis server (default redis://127.0.0.1:6379)")
    parser.add_argument("--redis-db", type=int, default=8, help="Redis database used (default 8)")
    parser.add_argument("--layer", choices=("pubsub", "core"), default="pubsub",
                        help="the queue's channel layer: pubsub (as deployed) or core (one Redis message per socket)")
    parser.add_argument("--timeout", type=int, default=300, help="give up after this many seconds (default 300)")
    args = parser.parse_args()
    patients = args.clients - args.boards
    if args.boards < 1 or patients < args.rounds + 1:
        parser.error("need at least one board client and more ticket clients than --rounds")

    def out_of_time(signum, frame):
        raise TimeoutError(f"bench/queue_fanout.py stopped after {args.timeout} s (--timeout)")

    def stopped(signum, frame):
        raise SystemExit(f"bench/queue_fanout.py stopped by signal {signum}")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, stopped)
    signal.alarm(args.timeout)

    work_dir = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    redis_url = f"{args.redis.rstrip('/')}/{args.redis_db}"
    prefix = f"benchq{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL",)}
    env.update({"DATABASE_URL": database_url(args.postgres, BENCH_DB), "DJANGO_SETTINGS_MODULE": "bench._queue_settings",
                "VAR_DIR": str(work_dir), "REDIS_URL": redis_url, "CHANNELS_PREFIX": prefix, "BENCH_QUEUE_LAYER": args.layer,
                "EMBEDDED_SCHEDULER": "0",
                "PYTHONUNBUFFERED": "1"})
    os.environ.clear()
    os.environ.update(env)
    processes: list[subprocess.Popen] = []
    django_ready = False
    started = time.perf_counter()
    try:
        database_recreate(args.postgres, BENCH_DB)
        import django
        from django.core.management import call_command

        django.setup()
        django_ready = True
        from django.db import connection

        call_command("migrate", verbosity=0, interactive=False)
        seeded = seed(patients=patients)
        connection.close()
        print(f"seeded: one doctor's queue with {patients} patients checked in, all logged in "
              f"({time.perf_counter() - started:.1f} s since start)", flush=True)
        urls, processes = servers_start(args.servers, env, work_dir)
        print(f"servers: {args.servers} daphne process(es) on Redis {redis_url} (prefix {prefix}, queue layer {args.layer}); "
              f"{os.cpu_count()} cores "
              f"shared with the {args.clients} clients (logs in {work_dir})", flush=True)

        result = asyncio.run(fanout(urls, seeded, boards=args.boards, rounds=args.rounds))
        baseline = asyncio.run(redis_baseline(redis_url, f"{prefix}:baseline", args.publishes))

        latencies, last = result["latencies"], result["last_client"]
        p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
        r50, r99 = statistics.median(baseline), percentile(baseline, 0.99)
        print(f"fan-out: {len(latencies)} deliveries ({args.clients} clients x {args.rounds} rounds): "
              f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms; "
              f"until the last client per round: p50 {statistics.median(last):.1f} ms, max {max(last):.1f} ms "
              f"(target p99 < 100 ms)")
        print(f"context: the call-next request answered in p50 {statistics.median(result['answered']):.1f} ms (the push "
              f"goes out at its commit, before the answer); the first client had it after p50 "
              f"{statistics.median(result['first_client']):.1f} ms")
        print(f"redis: {len(baseline)} PUBLISH -> subscriber: p50 {r50:.3f} ms, p99 {r99:.3f} ms")
        print(f"total time {time.perf_counter() - started:.1f} s")
        print(f"figure: queue_fanout_p50 = {p50:.1f} ms (baseline redis_publish_p50 = {r50:.3f} ms)")
        print(f"figure: queue_fanout_p99 = {p99:.1f} ms (baseline redis_publish_p99 = {r99:.3f} ms)")
        print(f"figure: queue_fanout_last_client = {statistics.median(last):.1f} ms "
              f"(baseline clients = {args.clients})")
        return 0
    finally:
        signal.alarm(0)
        servers_stop(processes)
        if django_ready:
            from django.db import connections

            connections.close_all()
        database_recreate(args.postgres, BENCH_DB, drop_only=True)
        try:
            redis_cleanup(redis_url, prefix)
        except Exception as exc:
            print(f"could not clean Redis keys {prefix}*: {exc}")


if __name__ == "__main__":
    sys.exit(main())
