"""Settings for the test suite. Uses the services in the environment when they are set (CI), else SQLite."""

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, database_pool, env

DEBUG = False
SECRET_KEY = "test-only-key-0123456789abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
CELERY_TASK_EAGER_PROPAGATES = True
EMBEDDED_SCHEDULER = False
FIELD_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LWZpZWxkLWtleS0wMTIzNDU2Nzg5YWI="]
LOOKUP_HASH_KEY = "test-only-lookup-key"

# Servers started by tests in other processes (daphne, celery) must find the same database,
# so the test database has a fixed name and, on SQLite, lives in a file.
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["TEST"] = {"NAME": str(VAR_DIR / "test-hospital.sqlite3")}
else:
    _db["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=f"test_{_db['NAME']}")}
    # Servers a test starts in processes of their own (tests/servers.py) pool connections as production does.
    # The pytest process does not: its race tests hold 50 connections at once behind a barrier (a pool of 8 times
    # them out), and a process forked from it (a Channels live server) would share the pool's open connections.
    database_pool(_db, enabled=env.bool("TEST_CHILD_PROCESS", default=False) and env.bool("DATABASE_POOL", default=True))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
