"""Reading ingest throughput on PostgreSQL: the HTTP batch API beside a raw COPY of the same rows into the same table.

    python bench/ingest.py [--readings 200000] [--batch 5000] [--servers 2] [--clients 4]
                           [--postgres postgres://postgres@127.0.0.1:5432/postgres]

It creates its own database (hospital_bench_ingest), migrates it, pairs --devices devices, and builds every batch
body in advance (JSON bytes, realistic readings of every kind and unit, one device per batch). Then, in this order:

* http: --clients client threads POST the batches to --servers daphne processes serving the portal
  (``POST /api/v1/telemonitor/readings``, ``Authorization: Device <token>``) with keep-alive connections; the
  scoring task each batch queues goes to an in-memory broker (no worker), so only ingest is timed;
* service: the same number of new readings through ``readings_ingest`` in this process (no HTTP, no JSON);
* baseline raw_copy: the same rows, already as COPY text with every column filled, COPYed straight into
  telemonitor_reading (same indexes and constraints), one COPY and commit per batch, one connection.

Checks every reading was accepted once and the table holds exactly what was sent, then drops the database.
Clients, servers and PostgreSQL share the machine's cores; rates are wall-clock. The last lines are
`figure: ...` lines read by bench/run_all.py.
"""

import argparse
import http.client
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _servers import database_recreate, database_url, free_port, wait_for_port  # noqa: E402

BENCH_DB = "hospital_bench_ingest"
PATH = "/api/v1/telemonitor/readings"
SHANGHAI = __import__("datetime").timezone(timedelta(hours=8))


# --- readings ---------------------------------------------------------------------------------------------------

def make_readings(prefix: str, count: int, rng: random.Random, start: datetime) -> list[dict]:
    """Readings as a mixed home device would send them: every kind, both temperature and glucose units."""
    rows = []
    for i in range(count):
        measured = (start + timedelta(seconds=i)).astimezone(SHANGHAI).isoformat(timespec="seconds")
        pick = i % 8
        row = {"id": f"{prefix}-{i}", "measured_at": measured}
        if pick == 0:
            row.update(kind="heart_rate", value=rng.randint(55, 110), unit="/min")
        elif pick == 1:
            row.update(kind="spo2", value=rng.randint(90, 100), unit="%", on_oxygen=False)
        elif pick == 2:
            row.update(kind="blood_pressure", systolic=rng.randint(105, 170), diastolic=rng.randint(60, 100),
                       unit="mm[Hg]")
        elif pick == 3:
            row.update(kind="temperature", value=round(rng.uniform(36.0, 38.5), 1), unit="Cel")
        elif pick == 4:
            row.update(kind="temperature", value=round(rng.uniform(96.8, 101.3), 1), unit="[degF]")
        elif pick == 5:
            row.update(kind="glucose", value=round(rng.uniform(4.0, 12.0), 1), unit="mmol/L")
        elif pick == 6:
            row.update(kind="glucose", value=rng.randint(70, 220), unit="mg/dL")
        else:
            row.update(kind="resp_rate", value=rng.randint(12, 24), unit="/min")
        rows.append(row)
    return rows


# --- phases -----------------------------------------------------------------------------------------------------

def run_http(*, urls: list[str], bodies: list[tuple[str, bytes]], clients: int) -> tuple[float, int]:
    """POST every (token, body) once; returns (seconds, readings accepted)."""
    work: queue.Queue = queue.Queue()
    for item in bodies:
        work.put(item)
    accepted = [0] * clients
    errors: list[str] = []

    def client(index: int) -> None:
        host = urlsplit(urls[index % len(urls)])
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
        try:
            while True:
                try:
                    token, body = work.get_nowait()
                except queue.Empty:
                    return
                connection.request("POST", PATH, body=body, headers={
                    "Content-Type": "application/json", "Authorization": f"Device {token}"})
                response = connection.getresponse()
                data = response.read()
                if response.status != 200:
                    errors.append(f"{response.status} {data[:300]!r}")
                    return
                # The summary counts come first in the answer; no need to parse the per-reading list here.
                head = data[:80].decode()
                accepted[index] += int(head.split('"accepted":', 1)[1].split(",", 1)[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"HTTP errors: {errors[:3]}")
    return seconds, sum(accepted)


def run_service(*, device, batches: list[list[dict]]) -> tuple[float, int]:
    from telemonitor.services.ingest import readings_ingest

    started = time.perf_counter()
    accepted = sum(readings_ingest(device=device, readings=batch).accepted for batch in batches)
    return time.perf_counter() - started, accepted


def copy_text(rows: list[dict], *, device_id: int, patient_id: int, received: str) -> str:
    """The rows as the table's COPY text, every column filled as ingest would (not timed)."""
    from telemonitor.services.ingest import readings_check

    good, _, _ = readings_check(rows, received_at=datetime.now(UTC))
    lines = []
    for r in good:
        values = [str(device_id), str(patient_id), received, "", *[
            "\\N" if v is None else ("t" if v is True else "f" if v is False else
                                     v.isoformat() if isinstance(v, datetime) else str(v)) for v in r]]
        lines.append("\t".join(values))
    return "\n".join(lines) + "\n"


def run_copy(*, texts: list[str]) -> tuple[float, int]:
    from django.db import connection, transaction

    from core.postgres_copy import copy_from_text
    from telemonitor.models import Reading
    from telemonitor.services.ingest import _COLUMNS

    columns = ", ".join(("device_id", "patient_id", "received_at", "category", *_COLUMNS))
    sql = f"COPY {Reading._meta.db_table} ({columns}) FROM STDIN"
    started = time.perf_counter()
    for text in texts:
        with transaction.atomic(), connection.cursor() as cursor:
            copy_from_text(cursor, sql, text)
    seconds = time.perf_counter() - started
    return seconds, sum(text.count("\n") for text in texts)


# --- main -------------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readings", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()

    url = database_url(args.postgres, BENCH_DB)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false",
           "REDIS_URL": "", "CELERY_TASK_ALWAYS_EAGER": "false", "EMBEDDED_SCHEDULER": "false", "LOG_LEVEL": "WARNING",
           "CONN_MAX_AGE": "0", "VAR_DIR": str(Path(os.environ.get("TMPDIR", "/tmp")) / "bench-ingest-var")}
    os.environ.update(env)
    processes: list[subprocess.Popen] = []
    database_recreate(args.postgres, BENCH_DB)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run_all's timeout: still stop servers and drop the db
    try:
        print(f"Migrating {BENCH_DB} ...", flush=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

        import django

        django.setup()
        from accounts.models import User
        from records.models import Patient
        from telemonitor.services.devices import device_register

        nurse = User.objects.create_user(email="bench-nurse@example.test", name="Bench nurse")
        devices = []
        for i in range(args.devices * 3):  # http, service, raw copy: fresh devices for each phase
            patient = Patient.objects.create(mrn=f"B{i:06d}", name=f"Bench {i}", sex="female",
                                             date_of_birth=datetime(1950, 1, 1).date())
            devices.append(device_register(patient=patient, kind="heart_wearable", serial=f"BENCH-{i}",
                                           registered_by=nurse))
        rng = random.Random(7)
        start = datetime.now(UTC) - timedelta(days=20)
        batches = args.readings // args.batch
        plan = [(devices[b % args.devices], make_readings(f"h{b}", args.batch, rng, start + timedelta(hours=b)))
                for b in range(batches)]
        bodies = [(token, json.dumps({"readings": rows}).encode()) for (_, token), rows in plan]
        total = batches * args.batch
        print(f"{total} readings in {batches} batches of {args.batch}; {len(bodies[0][1]) / args.batch:.0f} bytes per "
              f"reading as JSON", flush=True)

        log_dir = Path(env["VAR_DIR"])
        log_dir.mkdir(parents=True, exist_ok=True)
        urls = []
        for index in range(args.servers):
            port = free_port()
            log = open(log_dir / f"daphne-{index}.log", "wb")  # noqa: SIM115 - open for the life of the process
            process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                        "config.asgi:application"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            processes.append(process)
            wait_for_port(port, process)
            urls.append(f"http://127.0.0.1:{port}")
        warm = [(devices[args.devices - 1][1], json.dumps({"readings": make_readings(f"w{i}", 10, rng, start)}).encode())
                for i in range(args.servers * 2)]
        run_http(urls=urls, bodies=warm, clients=args.servers * 2)

        http_s, http_accepted = run_http(urls=urls, bodies=bodies, clients=args.clients)
        print(f"http: {http_accepted} accepted in {http_s:.2f} s", flush=True)

        service_device = devices[args.devices][0]
        service_batches = [make_readings(f"s{b}", args.batch, rng, start + timedelta(hours=b)) for b in range(batches)]
        service_s, service_accepted = run_service(device=service_device, batches=service_batches)
        print(f"service: {service_accepted} accepted in {service_s:.2f} s", flush=True)

        received = datetime.now(UTC).isoformat()
        texts = [copy_text(rows, device_id=devices[2 * args.devices + b % args.devices][0].pk,
                           patient_id=devices[2 * args.devices + b % args.devices][0].patient_id, received=received)
                 for b, (_, rows) in enumerate(plan)]
        copy_s, copied = run_copy(texts=texts)
        print(f"raw copy: {copied} rows in {copy_s:.2f} s", flush=True)

        from telemonitor.models import Reading

        stored = Reading.objects.count()
        expected = total + service_accepted + copied + len(warm) * 10
        ok = http_accepted == total and service_accepted == total and stored == expected
        print(f"check: {'ok' if ok else 'WRONG'} ({stored} rows stored, {expected} expected)")

        http_rate, copy_rate = total / http_s, copied / copy_s
        print(f"figure: ingest_http_rate = {http_rate:.0f} readings/s (baseline raw_copy_rate = {copy_rate:.0f} rows/s)")
        print(f"figure: ingest_http_share_of_copy = {100 * http_rate / copy_rate:.0f} % (baseline raw_copy_rate = "
              f"{copy_rate:.0f} rows/s)")
        print(f"figure: ingest_service_rate = {total / service_s:.0f} readings/s (baseline raw_copy_rate = "
              f"{copy_rate:.0f} rows/s)")
        return 0 if ok else 1
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        from django.db import connections

        connections.close_all()
        database_recreate(args.postgres, BENCH_DB, drop_only=True)


if __name__ == "__main__":
    sys.exit(main())
