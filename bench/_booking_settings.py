"""Settings of the servers bench/booking.py starts: the portal as deployed on PostgreSQL, plus one trivial JSON view.

Not a benchmark (bench/run_all.py skips files starting with "_"). DATABASE_URL comes from the bench.
The database settings are production's (config/settings/production.py): connections from the pool (DATABASE_POOL,
on unless the environment says 0; sizes from DATABASE_POOL_*), CONN_MAX_AGE 0, each pooled connection checked
before it is handed out. What differs from production: DEBUG off but no HTTPS, no Redis, local keys.
"""

from config.settings.local import *  # noqa: F403
from config.settings.local import DATABASES, LOGGING, env

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench._booking_urls"
EMBEDDED_SCHEDULER = False
# The bench process writes the login sessions with this key; every server must read them with the same.
SECRET_KEY = env.str("SECRET_KEY", default="bench-only-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789")
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # as in production
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}
