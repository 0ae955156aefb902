"""Production: everything secret or site-specific must come from the environment, or the process refuses to start."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, PAYMENT_PROVIDERS, REDIS_URL, env

DEBUG = False


def _required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in the environment for production.")
    return value


SECRET_KEY = _required("SECRET_KEY")
ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]
_required("DATABASE_URL")
_required("REDIS_URL")
FIELD_ENCRYPTION_KEYS = [k.strip() for k in _required("FIELD_ENCRYPTION_KEYS").split(",") if k.strip()]
LOOKUP_HASH_KEY = _required("LOOKUP_HASH_KEY")
# The sandbox payment provider's notifications are only as trustworthy as its key: no development default here.
if "sandbox" in PAYMENT_PROVIDERS:
    SANDBOX_PAY_SECRET = _required("SANDBOX_PAY_SECRET")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" or not REDIS_URL:
    raise ImproperlyConfigured("Production runs on PostgreSQL and Redis: set DATABASE_URL and REDIS_URL.")

# Connections come from the pool (DATABASE_POOL, on by default: config/settings/base.py), not from CONN_MAX_AGE,
# which under daphne would leave a connection behind per request thread. A pooled connection is checked before
# it is handed out, so one broken by a database restart is replaced rather than failing a request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
