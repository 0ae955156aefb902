"""Real processes for tests: an ASGI server (daphne) and a Celery worker, on the test database.

They run the same code as production in separate processes, pointed at the test database by
DATABASE_URL/TEST name and at the same Redis, so a test sees what a deployment would do.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child process that must use *this* test run's database."""
    env = dict(os.environ)
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.postgresql":
        env["DATABASE_URL"] = (f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
                               f"{db['PORT'] or 5432}/{db['NAME']}")
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    env["TEST_CHILD_PROCESS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def wait_for_port(port: int, *, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {port} after {timeout} s")


def stop(process: subprocess.Popen, *, sig=signal.SIGTERM, timeout: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextmanager
def asgi_server(log_path: Path, **env: str):
    """Daphne serving config.asgi on a free port; yields its base URL."""
    port = free_port()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT, env=child_env(**env), stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, process=process)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)


def redis_server(port: int, log_path: Path) -> subprocess.Popen:
    """A private redis-server on `port`, for one test alone (the run's shared Redis is never touched). No persistence:
    stopped and started again on the same port it comes back empty, as a restarted cache does. The caller stops it."""
    log = open(log_path, "ab")  # noqa: SIM115 - kept open for the life of the process
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--daemonize", "no"], stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(port, process=process)
    return process


def celery_worker(log_path: Path, *, concurrency: int = 1, **env: str) -> subprocess.Popen:
    """Start a real Celery worker process on this run's database and Redis. The caller stops it.

    Without a connection pool, as the Procfile's worker runs. The process carries its node name as
    ``.nodename``; ``wait_for_worker`` waits until it answers.
    """
    env = {"DATABASE_POOL": "0", **env}
    log = open(log_path, "ab")  # noqa: SIM115 - kept open for the life of the process
    nodename = f"test-{os.getpid()}-{time.monotonic_ns()}@{socket.gethostname()}"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--pool=prefork",
         f"--concurrency={concurrency}", "--without-gossip", "--without-mingle", "-n", nodename],
        cwd=ROOT, env=child_env(**env), stdout=log, stderr=subprocess.STDOUT,
    )
    process.nodename = nodename
    return process


def wait_for_worker(process: subprocess.Popen, *, timeout: float = 30.0) -> None:
    """Wait until the worker answers a broadcast ping over the broker, i.e. it is consuming."""
    from config.celery import app

    def answered() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"Celery worker exited with {process.returncode} before it was ready")
        return bool(app.control.ping(destination=[process.nodename], timeout=0.5))

    wait_until(answered, timeout=timeout, interval=0.2, message=f"worker {process.nodename} answering ping")


def wait_for_broker_drained(*, settle: float = 3.0, timeout: float = 120.0) -> None:
    """Wait until the broker holds no task: the default queue is empty and nothing is taken but unacknowledged
    (acks_late), continuously for `settle` seconds. After that, no task comes back by redelivery."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        idle_since = None

        def drained() -> bool:
            nonlocal idle_since
            if client.llen("celery") or client.hlen("unacked"):
                idle_since = None
                return False
            idle_since = idle_since or time.monotonic()
            return time.monotonic() - idle_since >= settle

        wait_until(drained, timeout=timeout, interval=0.1, message="the broker drained of tasks")
    finally:
        client.close()


def procfile_commands(path: Path = ROOT / "Procfile") -> dict[str, str]:
    """The process types of the Procfile, ``name: command`` per line, as a deployment would read them."""
    commands = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            commands[name.strip()] = command.strip()
    return commands


def start_shell(command: str, *, log_path: Path, env: dict[str, str]) -> subprocess.Popen:
    """Run a Procfile command line through bash, in its own process group so it can be stopped whole."""
    log = open(log_path, "ab")  # noqa: SIM115 - kept open for the life of the process
    return subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop_group(process: subprocess.Popen, *, timeout: float = 15.0) -> None:
    """Stop a process started by ``start_shell`` and everything it started (prefork children, bash)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever of this group is still there
    if process.poll() is None:
        process.wait(timeout=5)


def register_log(holder, path: Path) -> Path:
    """Note that a process logging to `path` serves `holder` (a test item, or a test module for module
    fixtures); tests/integration/conftest.py shows the tails of these logs beside a failure."""
    holder._server_logs = [*registered_logs(holder), path]
    return path


def registered_logs(holder) -> list[Path]:
    return getattr(holder, "_server_logs", [])


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log written)"


def wait_until(predicate, *, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"{message} not met within {timeout} s")


def test_database_is_shared() -> bool:
    return settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" or ":memory:" not in str(
        connection.settings_dict["NAME"])
