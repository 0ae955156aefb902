"""Settings for the test suite. Uses the services in the environment when they are set (CI), else SQLite."""

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, env

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
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
