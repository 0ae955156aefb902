"""Real processes for the integration tests, and their logs shown beside any failure.

A server started here writes to a log file under pytest's tmp dir; when a test fails, the path and
the last lines of every log of the processes it used are attached to the failure report.
"""

from types import SimpleNamespace

import pytest

from tests import servers
from tests.services import require_postgres, require_redis


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for path in dict.fromkeys([*servers.registered_logs(item), *servers.registered_logs(item.module)]):
            report.sections.append((f"server log {path}", servers.log_tail(path)))


@pytest.fixture(scope="module")
def celery_worker(request, django_db_setup, tmp_path_factory):
    """A real `celery worker` on the test database and Redis for this module, sending mail to files.

    Yields ``SimpleNamespace(process, log_path, mail_dir)``. Module-scoped so a module that checks
    what happens with *no* worker (the Procfile test) never sees this one.
    """
    require_postgres()
    require_redis()
    root = tmp_path_factory.mktemp("worker")
    mail_dir = root / "mail"
    mail_dir.mkdir()
    log_path = root / "celery-worker.log"
    servers.register_log(request.module, log_path)  # every failing test of the module shows this log
    process = servers.celery_worker(
        log_path, EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir),
    )
    try:
        servers.wait_for_worker(process)
        yield SimpleNamespace(process=process, log_path=log_path, mail_dir=mail_dir)
    except Exception:
        print(f"Celery worker log: {log_path}\n{servers.log_tail(log_path)}")
        raise
    finally:
        servers.stop(process, timeout=20)
