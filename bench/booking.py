"""Booking rush: N clients racing over HTTP for the M numbers of one doctor's session, on PostgreSQL.

    python bench/booking.py [--attempts 500] [--numbers 50] [--slots 1] [--servers 2] [--in-flight 24]
    python bench/booking.py --url http://127.0.0.1:8000 --database-url postgres://postgres@127.0.0.1:5432/hospital

By default it creates its own database (hospital_bench on --postgres), migrates it, starts --servers daphne
processes serving the portal on it (bench/_booking_settings.py: production's database settings, i.e. connections
from a pool (DATABASE_POOL=0 in the environment turns it off, for comparison), DEBUG off, no Redis, plus
/bench/ping) and drops the database at the end. With --url
it uses a server that is already running; the bench then needs that server's database (--database-url) and
SECRET_KEY (environment) to seed its patients and their login sessions.

Seeded: one doctor, one session tomorrow holding --numbers numbers in --slots slots (default: a single slot,
so every request fights over one row), and --attempts patients, each with their own account, a logged-in
session (written straight to the session table, so no password hashing is timed) and a CSRF token.

Measured, in this order, against the same servers with the same clients and the same cap on requests in
flight (--in-flight; PostgreSQL here allows 100 connections shared with other work, and each request in
flight holds one):
* baseline: GET /bench/ping, a trivial Django JSON view through the whole middleware stack with the same
  login cookies, no database (with --url and no /bench/ping: --baseline-path, e.g. /healthz, and its name);
* reference: GET /healthz, which on these settings runs one SELECT 1 on a fresh connection;
* the rush: all --attempts clients start at once, each POSTs /api/v1/appointments/book once for itself with
  its own request key, and the answers are counted by problem+json code.
Then the database is checked: exactly --numbers appointments, slot counters equal to them, nobody twice.
Clients and servers share the machine's cores; requests/s are wall-clock over each phase.
The last lines are `figure: ...` lines read by bench/run_all.py. Exit status 1 if the booked count is wrong.
"""

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _servers import database_recreate, database_url, free_port, wait_for_port  # noqa: E402

BENCH_DB = "hospital_bench"
BOOK_PATH = "/api/v1/appointments/book"
CSRF_SECRET = "benchcsrf" + "0" * 23  # 32 characters: a valid unmasked CSRF secret, sent as cookie and header


# --- Database and servers -------------------------------------------------------------------------------

def servers_start(count: int, env: dict, log_dir: Path) -> tuple[list[str], list[subprocess.Popen]]:
    urls, processes = [], []
    for index in range(count):
        port = free_port()
        log = open(log_dir / f"daphne-{index}.log", "wb")  # noqa: SIM115 - open for the life of the process
        process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                    "config.asgi:application"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        processes.append(process)
        urls.append(f"http://127.0.0.1:{port}")
    for url, process in zip(urls, processes, strict=True):
        wait_for_port(int(url.rsplit(":", 1)[1]), process)
    return urls, processes


def servers_stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# --- Seeding (Django ORM, in this process) ------------------------------------------------------------------

@dataclass(frozen=True)
class Client:
    session_key: str
    patient_id: str
    slot_id: str


def seed(*, attempts: int, numbers: int, slots: int) -> tuple[list[Client], list[int]]:
    """One doctor's session tomorrow with `numbers` numbers in `slots` slots; `attempts` patients, each logged in."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from appointments.localtime import hospital_today, local_to_utc
    from appointments.models import Department, DoctorProfile, DoctorTitle, SessionOfDay, Slot
    from records.models import FamilyMember, Patient, Relationship

    run = uuid.uuid4().hex[:6]
    used_prefixes = set(Department.objects.values_list("queue_prefix", flat=True))
    prefix = next(f"{a}{b}" for a in "ZYXWV" for b in "9876543210" if f"{a}{b}" not in used_prefixes)
    day = hospital_today() + timedelta(days=1)
    base, extra = divmod(numbers, slots)
    with transaction.atomic():
        department = Department.objects.create(code=f"bench{run}", name_zh="压测科", name_en="Bench clinic",
                                               queue_prefix=prefix)
        doctor_user = User.objects.create_user(email=f"doctor-{run}@bench.invalid", name="压测医生")
        doctor = DoctorProfile.objects.create(user=doctor_user, department=department, title=DoctorTitle.ATTENDING)
        start = datetime.combine(day, datetime.min.time()).replace(hour=8)
        slot_rows = []
        for index in range(slots):
            at = start + timedelta(minutes=15 * index)
            slot_rows.append(Slot(doctor=doctor, department=department, date=day, session=SessionOfDay.MORNING,
                                  starts_at=local_to_utc(day, at.time()),
                                  ends_at=local_to_utc(day, (at + timedelta(minutes=15)).time()),
                                  capacity=base + (1 if index < extra else 0),
                                  release_at=timezone.now() - timedelta(hours=1)))
        slot_objects = Slot.objects.bulk_create(slot_rows)

        unusable = make_password(None)
        users = User.objects.bulk_create([User(email=f"p{i}-{run}@bench.invalid", name=f"压测病人{i}", password=unusable)
                                          for i in range(attempts)], batch_size=1000)
        patients = Patient.objects.bulk_create([
            Patient(mrn=f"B{run}{i:07d}", name=f"压测病人{i}", sex="female", date_of_birth=datetime(1980, 1, 1).date(),
                    account=user) for i, user in enumerate(users)], batch_size=1000)
        FamilyMember.objects.bulk_create([FamilyMember(account=user, patient=patient, relationship=Relationship.SELF,
                                                       is_guardian=True) for user, patient in zip(users, patients, strict=True)],
                                         batch_size=1000)
        store = SessionStore()
        expire = timezone.now() + timedelta(hours=2)
        sessions = []
        for user in users:
            data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "accounts.backends.PhoneOrEmailBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                    # as a real sign-in records it (accounts.twofactor): patients need no second step
                    "two_factor": "not_required"}
            sessions.append(Session(session_key=uuid.uuid4().hex, session_data=store.encode(data), expire_date=expire))
        Session.objects.bulk_create(sessions, batch_size=1000)

    clients = [Client(session_key=s.session_key, patient_id=str(p.public_id),
                      slot_id=str(slot_objects[i % slots].public_id))
               for i, (s, p) in enumerate(zip(sessions, patients, strict=True))]
    return clients, [s.pk for s in slot_objects]


def verify(slot_pks: list[int]) -> dict:
    from django.db.models import Count, Sum

    from appointments.models import ACTIVE_STATUSES, Appointment, Slot

    active = Appointment.objects.filter(slot_id__in=slot_pks, status__in=ACTIVE_STATUSES)
    twice = active.values("patient_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    counters = Slot.objects.filter(pk__in=slot_pks).aggregate(booked=Sum("booked"), capacity=Sum("capacity"))
    return {"appointments": active.count(), "slot_counters": counters["booked"], "capacity": counters["capacity"],
            "patients_twice": twice}


# --- Load ---------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    kind: str  # "ok", a problem+json code, http_<status>, or an exception name
    seconds: float


def cookie_headers(client: Client) -> dict:
    return {"Cookie": f"sessionid={client.session_key}; csrftoken={CSRF_SECRET}", "X-CSRFToken": CSRF_SECRET}


async def timed(send, ok_status: int) -> Outcome:
    import httpx

    started = time.perf_counter()
    try:
        response = await send()
    except httpx.HTTPError as exc:
        return Outcome(type(exc).__name__, time.perf_counter() - started)
    seconds = time.perf_counter() - started
    if response.status_code == ok_status:
        return Outcome("ok", seconds)
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        return Outcome(response.json().get("code", f"http_{response.status_code}"), seconds)
    return Outcome(f"http_{response.status_code}", seconds)


async def phase(jobs: list, in_flight: int) -> tuple[list[Outcome], float]:
    """Start every job at once, at most `in_flight` of them talking to the servers at a time."""
    gate = asyncio.Semaphore(in_flight)

    async def run(job):
        async with gate:
            return await job()

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(run(job) for job in jobs))
    return list(outcomes), time.perf_counter() - started


def http_clients(urls: list[str], in_flight: int):
    import httpx

    # No cookie jar: each request carries its own client's cookies, never another's.
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    return [httpx.AsyncClient(base_url=url, limits=limits, timeout=60, cookies=httpx.Cookies(jar)) for url in urls]


async def load(urls: list[str], clients: list[Client], args) -> dict:
    http = http_clients(urls, args.in_flight)
    try:
        def get(path: str, index: int):
            client = clients[index % len(clients)]
            return lambda: timed(lambda: http[index % len(http)].get(path, headers=cookie_headers(client)), 200)

        def book(index: int):
            client = clients[index]
            body = {"patient": client.patient_id, "slot": client.slot_id, "request_key": uuid.uuid4().hex}
            return lambda: timed(lambda: http[index % len(http)].post(BOOK_PATH, json=body,
                                                                      headers=cookie_headers(client)), 201)

        await phase([get(args.baseline_path, i) for i in range(50 * len(urls))], args.in_flight)  # warm-up
        baseline, baseline_s = await phase([get(args.baseline_path, i) for i in range(args.baseline_requests)],
                                           args.in_flight)
        health, health_s = await phase([get("/healthz", i) for i in range(args.baseline_requests // 2)], args.in_flight)
        rush, rush_s = await phase([book(i) for i in range(len(clients))], args.in_flight)
    finally:
        for client in http:
            await client.aclose()
    return {"baseline": (baseline, baseline_s), "healthz": (health, health_s), "rush": (rush, rush_s)}


# --- Report ---------------------------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def describe(name: str, outcomes: list[Outcome], seconds: float) -> float:
    rate = len(outcomes) / seconds
    latencies = [o.seconds * 1000 for o in outcomes]
    kinds = Counter(o.kind for o in outcomes)
    print(f"{name:44s} {len(outcomes):>6} requests in {seconds:6.2f} s = {rate:8.0f} req/s   "
          f"p50 {statistics.median(latencies):6.1f} ms  p95 {percentile(latencies, 0.95):6.1f} ms  "
          f"p99 {percentile(latencies, 0.99):6.1f} ms   " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=500, help="clients, each booking once (default 500)")
    parser.add_argument("--numbers", type=int, default=50, help="numbers in the session (default 50)")
    parser.add_argument("--slots", type=int, default=1, help="slots the numbers are spread over (default 1: one row)")
    parser.add_argument("--servers", type=int, default=2, help="daphne processes started (default 2, one per core)")
    parser.add_argument("--in-flight", type=int, default=24, help="requests in flight at once, all servers (default 24)")
    parser.add_argument("--baseline-requests", type=int, default=2000, help="requests to the trivial view (default 2000)")
    parser.add_argument("--baseline-path", default="/bench/ping", help="the trivial JSON view (default /bench/ping)")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server for the bench database (hospital_bench, created and dropped)")
    parser.add_argument("--url", help="use this running server instead of starting daphne")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), help="with --url: its database")
    parser.add_argument("--timeout", type=int, default=300, help="give up after this many seconds (default 300)")
    parser.add_argument("--keep-db", action="store_true", help="leave hospital_bench in place for a look afterwards")
    args = parser.parse_args()
    if not 0 < args.numbers <= args.attempts or not 0 < args.slots <= args.numbers:
        parser.error("need 0 < --slots <= --numbers <= --attempts")
    if args.url and not args.database_url:
        parser.error("--url needs the server's --database-url (and its SECRET_KEY in the environment)")

    def out_of_time(signum, frame):
        raise TimeoutError(f"bench/booking.py stopped after {args.timeout} s (--timeout)")

    def stopped(signum, frame):
        raise SystemExit(f"bench/booking.py stopped by signal {signum}")

    # Both end in the `finally` below, which stops the servers and drops the database.
    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, stopped)
    signal.alarm(args.timeout)
    django_ready = False

    work_dir = Path(tempfile.mkdtemp(prefix="bench-booking-"))
    own_database = not args.url
    db_url = database_url(args.postgres, BENCH_DB) if own_database else args.database_url
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update({"DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "bench._booking_settings", "VAR_DIR": str(work_dir),
                "EMBEDDED_SCHEDULER": "0", "PYTHONUNBUFFERED": "1"})
    os.environ.clear()
    os.environ.update(env, DATABASE_POOL="0")  # this process seeds and checks; only the servers are measured
    processes: list[subprocess.Popen] = []
    started = time.perf_counter()
    try:
        if own_database:
            database_recreate(args.postgres, BENCH_DB)
        import django
        from django.core.management import call_command

        django.setup()
        django_ready = True
        from django.db import connection

        if own_database:
            call_command("migrate", verbosity=0, interactive=False)
        print(f"database: {connection.settings_dict['NAME']} on PostgreSQL {connection.pg_version} "
              f"({connection.Database.__name__} {connection.Database.__version__})")
        clients, slot_pks = seed(attempts=args.attempts, numbers=args.numbers, slots=args.slots)
        connection.close()
        print(f"seeded: {args.numbers} numbers in {args.slots} slot(s) of one session, {args.attempts} patients logged in "
              f"({time.perf_counter() - started:.1f} s since start)")
        if own_database:
            urls, processes = servers_start(args.servers, env, work_dir)
            pooled = env.get("DATABASE_POOL", "on").lower() not in ("0", "false", "off", "no")
            pool = (f"connection pool of {env.get('DATABASE_POOL_MIN_SIZE', 'default')}-"
                    f"{env.get('DATABASE_POOL_MAX_SIZE', 'default')} per process" if pooled else "no pool, CONN_MAX_AGE=0")
            where = f"{args.servers} daphne process(es), {pool}, no Redis (logs in {work_dir})"
        else:
            urls, where = [args.url.rstrip("/")], f"the server at {args.url}"
        print(f"servers: {where}; {os.cpu_count()} cores shared with the clients; {args.in_flight} requests in flight")

        results = asyncio.run(load(urls, clients, args))
        baseline_rate = describe(f"baseline: GET {args.baseline_path} (trivial JSON)", *results["baseline"])
        health_rate = describe("reference: GET /healthz (one SELECT 1)", *results["healthz"])
        rush_rate = describe(f"rush: POST {BOOK_PATH}", *results["rush"])

        checked = verify(slot_pks)
        rush = results["rush"][0]
        answered_ok = sum(o.kind == "ok" for o in rush)
        errors = Counter(o.kind for o in rush if o.kind != "ok")
        correct = checked["appointments"] == answered_ok == checked["slot_counters"] == args.numbers and not checked[
            "patients_twice"]
        print(f"booked: {checked['appointments']} appointments for {args.numbers} numbers "
              f"({answered_ok} answered 201; slot counters {checked['slot_counters']}/{checked['capacity']}; "
              f"patients booked twice: {checked['patients_twice']}) -> {'CORRECT' if correct else 'WRONG'}")
        print("errors by kind: " + (", ".join(f"{k} {n}" for k, n in errors.most_common()) or "none"))
        share = rush_rate / baseline_rate * 100
        print(f"booking / trivial view = {share:.0f} % (target >= 40 %); "
              f"booking / healthz = {rush_rate / health_rate * 100:.0f} %")
        print(f"total time {time.perf_counter() - started:.1f} s")
        print(f"figure: booking_booked = {checked['appointments']} of {args.numbers} numbers "
              f"(baseline attempts = {args.attempts})")
        print(f"figure: booking_rate = {rush_rate:.0f} req/s (baseline trivial_json_rate = {baseline_rate:.0f} req/s)")
        print(f"figure: booking_over_trivial = {share:.0f} % (baseline healthz_rate = {health_rate:.0f} req/s)")
        return 0 if correct else 1
    finally:
        signal.alarm(0)
        servers_stop(processes)
        if django_ready:
            from django.db import connections

            connections.close_all()
        if own_database and not args.keep_db:
            database_recreate(args.postgres, BENCH_DB, drop_only=True)


if __name__ == "__main__":
    sys.exit(main())
