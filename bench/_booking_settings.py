"""Settings of the servers bench/booking.py starts: the portal as deployed on PostgreSQL, plus one trivial JSON view.

Not a benchmark (bench/run_all.py skips files starting with "_"). DATABASE_URL comes from the bench.
"""

from config.settings.local import *  # noqa: F403
from config.settings.local import DATABASES, LOGGING, env

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench._booking_urls"
EMBEDDED_SCHEDULER = False
# The bench process writes the login sessions with this key; every server must read them with the same.
SECRET_KEY = env.str("SECRET_KEY", default="bench-only-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789")
# Daphne runs each request's sync code in a thread of its own, so a persistent connection would be left
# behind by every request: under ASGI Django wants CONN_MAX_AGE = 0 (a connection per request).
DATABASES["default"]["CONN_MAX_AGE"] = 0
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}
