"""Settings of the servers bench/queue_fanout.py starts: the portal on PostgreSQL with Redis as the channel layer.

Not a benchmark (bench/run_all.py skips files starting with "_"). DATABASE_URL, REDIS_URL and CHANNELS_PREFIX
come from the bench. Background tasks (the "turn near" notifications after a call) go to an in-memory broker that
no worker reads: in a deployment a worker process runs them, not the web server measured here, and nothing is
left in the bench's Redis database. The cache is per process, for the same reason.
"""

from config.settings.local import *  # noqa: F403
from config.settings.local import CHANNEL_LAYERS, DATABASES, LOGGING, REDIS_URL, env

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
EMBEDDED_SCHEDULER = False
SECRET_KEY = env.str("SECRET_KEY", default="bench-only-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789")
DATABASES["default"]["CONN_MAX_AGE"] = 0  # under ASGI each request's sync code runs in a thread of its own
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = "memory://"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}
# --layer core: the queue's nudges through the default layer (a message per socket in Redis), for comparison.
if env.str("BENCH_QUEUE_LAYER", default="pubsub") == "core":
    CHANNEL_LAYERS["queue"] = {"BACKEND": "channels_redis.core.RedisChannelLayer",
                               "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                                          "prefix": env.str("CHANNELS_PREFIX", default="hospital")}}
