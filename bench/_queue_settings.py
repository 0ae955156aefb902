"""Settings of the servers bench/queue_fanout.py starts: the portal on PostgreSQL with Redis as the channel layer.

Not a benchmark (bench/run_all.py skips files starting with "_"). DATABASE_URL, REDIS_URL and CHANNELS_PREFIX
come from the bench. Background tasks run in the request (as embedded mode does), so no Celery message is left
in the bench's Redis database; the cache is per process, for the same reason.
"""

from config.settings.local import *  # noqa: F403
from config.settings.local import DATABASES, LOGGING, env

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
EMBEDDED_SCHEDULER = False
SECRET_KEY = env.str("SECRET_KEY", default="bench-only-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789")
DATABASES["default"]["CONN_MAX_AGE"] = 0  # under ASGI each request's sync code runs in a thread of its own
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}
