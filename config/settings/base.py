"""Settings shared by every way of running the portal, read from the environment.

Two ways to run, one code path (see docs/architecture.md):
- embedded default, nothing set: SQLite, an in-process channel layer, Celery tasks run in-process
  and periodic jobs fired by a thread in the web process;
- services, ``DATABASE_URL`` and ``REDIS_URL`` set: PostgreSQL, Redis as Celery broker and channel
  layer, separate web, worker and beat processes (see ``Procfile``).
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env", overwrite=False)
# Where the embedded database, collected static files, uploads and outgoing mail live.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# A refused CSRF check answers problem+json on /api/ (an unknown API route is not a DRF view) and a translated page.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

HOSPITAL_NAME = env.str("HOSPITAL_NAME", default="Demo People's Hospital")
HOSPITAL_NAME_ZH = env.str("HOSPITAL_NAME_ZH", default="示范人民医院")
HOSPITAL_MRN_PREFIX = env.str("HOSPITAL_MRN_PREFIX", default="M")

# --- Applications -----------------------------------------------------------------------------
# Order matters for templates and for the layering the apps keep:
# core <- accounts <- notifications <- records <- appointments <- payments; records <- telemonitor.
INSTALLED_APPS = [
    "daphne",
    # django.contrib.admin with the hospital's site as the default one (backoffice.site).
    "backoffice.apps.HospitalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "core",
    "accounts",
    "notifications",
    "records",
    "appointments",
    "payments",
    "payments.sandbox",  # the test payment provider (own app label payments_sandbox)
    "telemonitor",
    "backoffice",  # above every app (like config): the admin site, staff directory, dashboard, daily report
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.nul_bytes.RefuseNulBytesMiddleware",  # a NUL in a query string never reaches the database
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.portal",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hospital.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep 0 under ASGI (config/asgi.py refuses anything else): see database_pool below.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)


def database_pool(db: dict, *, enabled: bool) -> None:
    """Serve `db`'s PostgreSQL connections from a pool of open ones (psycopg 3's, through Django), or not.

    Daphne runs each request's synchronous code in a thread of its own, so a "persistent" connection
    (CONN_MAX_AGE > 0) is left behind by every request rather than reused, and without one each request pays
    for a new connection (a PostgreSQL backend started, authenticated and set up). Django's advice under ASGI is
    CONN_MAX_AGE = 0 and the driver's pool. Each process keeps DATABASE_POOL_MIN_SIZE to DATABASE_POOL_MAX_SIZE
    connections open; a request that finds none free waits up to DATABASE_POOL_TIMEOUT seconds, then fails.
    Processes x max size must stay under PostgreSQL's max_connections.
    """
    options = db.setdefault("OPTIONS", {})
    options.pop("pool", None)
    if enabled:
        options["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=8),
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10),
        }
        db["CONN_MAX_AGE"] = 0  # a pooled connection goes back to the pool after each request


if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the in-process scheduler read while one of them writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # On by default (production and the services mode of `make run`); the Procfile's worker turns it off,
    # because Celery's Django fixup closes a prefork child's pool before and after every task.
    database_pool(DATABASES["default"], enabled=env.bool("DATABASE_POOL", default=True))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

# Keys for data stored encrypted (national ID numbers). FIELD_ENCRYPTION_KEYS is a list of
# Fernet keys, newest first, so a key can be rotated without losing what the old one sealed.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
LOOKUP_HASH_KEY = env.str("LOOKUP_HASH_KEY", default="")

# --- Accounts and authentication ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.PhoneOrEmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# Brute-force lockout: five failures for the same login name lock it for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Counted per login name, not per IP: a hospital's whole Wi-Fi shares one public address, and one
# person mistyping must not lock out the waiting hall. The API's sign-up is throttled per IP.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Staff two-factor sign-in (accounts.twofactor): this many wrong codes in a row lock the second step for this long.
TWO_FACTOR_FAILURE_LIMIT = env.int("TWO_FACTOR_FAILURE_LIMIT", default=5)
TWO_FACTOR_LOCKOUT_MINUTES = env.int("TWO_FACTOR_LOCKOUT_MINUTES", default=15)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)

# --- Security headers (core.security; production adds HSTS and secure cookies) --------------------
# Nothing inline: scripts and styles come from static/ only (tests/core/test_templates_csp_clean.py keeps templates
# that way, tests/e2e/test_security_headers.py fails on any violation Chromium reports). 'self' covers the
# same-origin websockets of the queue and the notification feed. data: images: Django admin's and Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Browser features no page of the portal uses are switched off for it and anything it embeds.
PERMISSIONS_POLICY = dict.fromkeys(
    ("accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone", "payment", "usb"), "()")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@hospital.example")
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.openapi.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.problem_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Page",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hospital portal API",
    "DESCRIPTION": "Patients, bookings, queue, records, payments and home monitoring. Errors are problem+json.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "RelationshipEnum": "records.models.Relationship",
        "AddableRelationshipEnum": "records.serializers.ADDABLE_RELATIONSHIPS",
        "SlotStatusEnum": "appointments.models.SlotStatus",
        "AppointmentStatusEnum": "appointments.models.AppointmentStatus",
    },
}

# --- Background work (Celery) ---------------------------------------------------------------
# With REDIS_URL: a real broker and separate worker/beat processes. Without: tasks run in the
# calling process and config.embedded fires the periodic ones from a thread.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL and env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish that cannot reach the broker gives up quickly; the outbox keeps the work (core.outbox).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "socket_timeout": 2, "socket_connect_timeout": 2,
    # A task taken by a worker that died (acks_late) goes back to the queue after this many seconds; workers look
    # for such tasks every interval × throttle seconds (kombu's defaults: 3600, 10 and 10).
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
BEAT_HEARTBEAT_SECONDS = env.int("BEAT_HEARTBEAT_SECONDS", default=30)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "core.tasks.beat_heartbeat", "schedule": timedelta(seconds=BEAT_HEARTBEAT_SECONDS)},
    "outbox-flush": {"task": "core.tasks.outbox_flush", "schedule": timedelta(seconds=30)},
    # E-mails and SMS whose task was lost (a worker killed between taking the message and recording it).
    "notifications-deliver-backlog": {"task": "notifications.tasks.notifications_deliver_backlog",
                                      "schedule": timedelta(minutes=5)},
    # Registration: release unpaid holds; keep BOOKING_HORIZON_DAYS of slots made (idempotent, so hourly
    # also catches up soon after a restart, a new day or a new template).
    "appointments-holds-expire": {"task": "appointments.tasks.holds_expire", "schedule": timedelta(minutes=1)},
    "appointments-slots-materialise": {"task": "appointments.tasks.slots_materialise_horizon",
                                       "schedule": timedelta(hours=1)},
    # Home monitoring: escalate alerts nobody acknowledged in time; score readings whose task was lost.
    "telemonitor-alerts-escalate": {"task": "telemonitor.tasks.alerts_escalate", "schedule": timedelta(minutes=1)},
    "telemonitor-readings-backlog": {"task": "telemonitor.tasks.readings_score_backlog", "schedule": timedelta(minutes=2)},
}
EMBEDDED_SCHEDULER = not REDIS_URL and env.bool("EMBEDDED_SCHEDULER", default=True)

# --- Channels -------------------------------------------------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 times reads out after 5 s by default, exactly channels_redis' BZPOPMIN wait (brpop_timeout
            # = 5 s): an idle consumer's read then raced its own timeout and the consumer died with "Timeout reading
            # from Redis", closing the websocket. The socket timeout must stay above the blocking wait.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": env.int("CHANNELS_SOCKET_TIMEOUT", default=30)}],
                       "prefix": env.str("CHANNELS_PREFIX", default="hospital")},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# SMS: the default backend writes messages to the log; a hospital plugs its gateway in here.
SMS_BACKEND = env.str("SMS_BACKEND", default="notifications.sms.LogSmsBackend")
MAX_FAMILY_MEMBERS = env.int("MAX_FAMILY_MEMBERS", default=8)

# --- Registration (挂号) --------------------------------------------------------------------
BOOKING_HORIZON_DAYS = env.int("BOOKING_HORIZON_DAYS", default=14)  # slots are materialised this far ahead
SLOT_RELEASE_DAYS_BEFORE = env.int("SLOT_RELEASE_DAYS_BEFORE", default=7)  # numbers for day D open N days before...
SLOT_RELEASE_HOUR = env.int("SLOT_RELEASE_HOUR", default=8)  # ...at this local hour
APPOINTMENT_HOLD_MINUTES = env.int("APPOINTMENT_HOLD_MINUTES", default=15)  # time to pay before a held number is released
CANCEL_CUTOFF_HOURS = env.float("CANCEL_CUTOFF_HOURS", default=2)  # free cancellation until this long before the session
MAX_ACTIVE_BOOKINGS_PER_DAY = env.int("MAX_ACTIVE_BOOKINGS_PER_DAY", default=3)  # per patient per day
# Registration fee per doctor title, in CNY. Empty = free registration (confirmed at once) until the
# payments app provides the fee schedule.
REGISTRATION_FEES = env.dict("REGISTRATION_FEES", default={})

# --- Payments (缴费, docs/payments.md) --------------------------------------------------------------
# The portal's own address as providers reach it (their notifications are POSTed to <this>/api/v1/payments/...).
PAYMENTS_BASE_URL = env.str("PAYMENTS_BASE_URL", default="http://127.0.0.1:8000")
PAYMENT_CHECKOUT_MINUTES = env.int("PAYMENT_CHECKOUT_MINUTES", default=15)  # a checkout not paid by then expires
PAYMENT_QUERY_AFTER_SECONDS = env.int("PAYMENT_QUERY_AFTER_SECONDS", default=60)  # ask the provider after this long

# --- Clinical record (电子病历) -------------------------------------------------------------------
# A booking with a doctor this many days before or after today makes a care relationship (records.care).
RECORDS_CARE_WINDOW_DAYS = env.int("RECORDS_CARE_WINDOW_DAYS", default=30)
RECORDS_BREAK_GLASS_MINUTES = env.int("RECORDS_BREAK_GLASS_MINUTES", default=120)  # emergency access lasts this long
RECORDS_REPORT_MAX_BYTES = env.int("RECORDS_REPORT_MAX_BYTES", default=10 * 1024 * 1024)  # uploaded report documents
# This hospital's namespace for FHIR identifiers and extensions; set it to a URL the hospital owns.
RECORDS_FHIR_SYSTEM = env.str("RECORDS_FHIR_SYSTEM", default="https://hospital.example/fhir")
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "EncounterStatusEnum": "records.models.EncounterStatus",
    "DiagnosisRankEnum": "records.models.DiagnosisRank",
    "ProblemStatusEnum": "records.models.ProblemStatus",
    "AllergySeverityEnum": "records.models.AllergySeverity",
    "DrugFormEnum": "records.models.DrugForm",
    "RouteEnum": "records.models.Route",
    "FrequencyEnum": "records.models.Frequency",
    "OrderKindEnum": "records.models.OrderKind",
    "OrderStatusEnum": "records.models.OrderStatus",
    "ResultFlagEnum": "records.models.ResultFlag",
    "AccessActionEnum": "records.models.AccessAction",
    "InvoiceStatusEnum": "payments.models.InvoiceStatus",  # bills' status collided with another "status" choice set
})

# --- Waiting queue (候诊/叫号) --------------------------------------------------------------------
# Check-in (phone, the desk's QR link, or the front desk) opens QUEUE_CHECK_IN_OPENS_MINUTES before the
# slot starts and closes QUEUE_CHECK_IN_CLOSES_MINUTES after it; arriving more than QUEUE_LATE_GRACE_MINUTES
# after the slot's start counts as late (behind those on time). The desk's QR link expires after
# QUEUE_CHECK_IN_LINK_MINUTES (the desk screen renews it). A called patient who does not come may be
# recalled QUEUE_RECALL_LIMIT times, then moved back or marked no-show. A returning patient (回诊) waits for at
# most QUEUE_RETURNING_AFTER other patients. Patients this old or older are given the aged priority.
QUEUE_CHECK_IN_OPENS_MINUTES = env.int("QUEUE_CHECK_IN_OPENS_MINUTES", default=60)
QUEUE_CHECK_IN_CLOSES_MINUTES = env.int("QUEUE_CHECK_IN_CLOSES_MINUTES", default=60)
QUEUE_LATE_GRACE_MINUTES = env.int("QUEUE_LATE_GRACE_MINUTES", default=0)
QUEUE_CHECK_IN_LINK_MINUTES = env.int("QUEUE_CHECK_IN_LINK_MINUTES", default=10)
QUEUE_RECALL_LIMIT = env.int("QUEUE_RECALL_LIMIT", default=2)
QUEUE_RETURNING_AFTER = env.int("QUEUE_RETURNING_AFTER", default=2)
QUEUE_PRIORITY_AGE = env.int("QUEUE_PRIORITY_AGE", default=80)
# Estimated wait: the doctor's last QUEUE_WAIT_SAMPLE consultations within QUEUE_WAIT_HISTORY_DAYS, or
# QUEUE_DEFAULT_CONSULT_MINUTES per patient when there are fewer than 3.
QUEUE_WAIT_SAMPLE = env.int("QUEUE_WAIT_SAMPLE", default=50)
QUEUE_WAIT_HISTORY_DAYS = env.int("QUEUE_WAIT_HISTORY_DAYS", default=14)
QUEUE_DEFAULT_CONSULT_MINUTES = env.int("QUEUE_DEFAULT_CONSULT_MINUTES", default=10)
# Reminders (periodic job, once each): the evening before at this local hour, this many minutes before the
# slot, and when this many people or fewer are ahead in the queue.
QUEUE_REMINDER_EVENING_HOUR = env.int("QUEUE_REMINDER_EVENING_HOUR", default=19)
QUEUE_REMINDER_BEFORE_MINUTES = env.int("QUEUE_REMINDER_BEFORE_MINUTES", default=60)
QUEUE_TURN_NEAR_AHEAD = env.int("QUEUE_TURN_NEAR_AHEAD", default=3)
# No-show marking: this long after a session ends, booked patients who never checked in and tickets that
# missed their call are marked no-show.
QUEUE_NO_SHOW_AFTER_MINUTES = env.int("QUEUE_NO_SHOW_AFTER_MINUTES", default=30)
# After paying for medicines a patient gets a number at the window of this department with the fewest waiting
# (appointments.queue.pharmacy); its wait is estimated at QUEUE_PHARMACY_MINUTES per patient.
PHARMACY_DEPARTMENT_CODE = env.str("PHARMACY_DEPARTMENT_CODE", default="pharmacy")
QUEUE_PHARMACY_MINUTES = env.int("QUEUE_PHARMACY_MINUTES", default=3)
# The queue's live nudges go to every phone and screen of a department at once. Through Redis pub/sub each nudge
# is published once and each server process hands it to its own sockets; the default layer would queue one
# message per socket in Redis (bench/queue_fanout.py measures both). A nudge missed while a process subscribes is
# harmless: pages re-read the snapshot on connect.
# channels_redis' pub/sub layer, but one that tells its consumers when Redis was lost (they close their sockets with
# 4503 and the pages reconnect and re-read): see core/channel_layers.py.
CHANNEL_LAYERS["queue"] = ({"BACKEND": "core.channel_layers.ResyncingPubSubChannelLayer",
                            "CONFIG": {"hosts": [REDIS_URL], "prefix": env.str("CHANNELS_PREFIX", default="hospital")}}
                           if REDIS_URL else {"BACKEND": "channels.layers.InMemoryChannelLayer"})
CELERY_BEAT_SCHEDULE.update({
    # Payments: ask providers about payments nobody heard back about; reconcile yesterday each night at 03:10.
    "payments-pending-resolve": {"task": "payments.tasks.payments_pending_resolve", "schedule": timedelta(minutes=1)},
    "payments-reconciliation": {"task": "payments.tasks.reconciliation_daily",
                                "schedule": crontab(hour=3, minute=10)},
})
CELERY_BEAT_SCHEDULE.update({
    "appointments-queue-reminders": {"task": "appointments.queue.tasks.reminders_send", "schedule": timedelta(minutes=1)},
    "appointments-queue-no-shows": {"task": "appointments.queue.tasks.no_shows_mark", "schedule": timedelta(minutes=5)},
})

# --- Home monitoring (远程监护): the MQTT bridge (Procfile `mqtt`) ---------------------------------------
# The bridge waits for the broker and retries with back-off when it is not there (docs/telemonitor.md).
TELEMONITOR_MQTT_HOST = env.str("MQTT_HOST", default="127.0.0.1")
TELEMONITOR_MQTT_PORT = env.int("MQTT_PORT", default=1883)
TELEMONITOR_MQTT_USERNAME = env.str("MQTT_USERNAME", default="")
TELEMONITOR_MQTT_PASSWORD = env.str("MQTT_PASSWORD", default="")

# --- Payment providers (缴费; payments.providers, docs/payments-providers.md) -----------------------------


def _secret_text(name: str) -> str:
    """A secret given inline (NAME) or as a file (NAME_PATH), e.g. a PEM key; empty when neither is set."""
    inline = env.str(name, default="")
    path = env.str(f"{name}_PATH", default="")
    return inline or (Path(path).read_text() if path else "")


# Alipay (支付宝) open platform: the app's id and RSA2 private key, and Alipay's public key (not the app's own).
ALIPAY_APP_ID = env.str("ALIPAY_APP_ID", default="")
ALIPAY_APP_PRIVATE_KEY = _secret_text("ALIPAY_APP_PRIVATE_KEY")
ALIPAY_PUBLIC_KEY = _secret_text("ALIPAY_PUBLIC_KEY")
ALIPAY_SANDBOX = env.bool("ALIPAY_SANDBOX", default=False)  # Alipay's own sandbox gateway (alipaydev)
ALIPAY_GATEWAY = env.str("ALIPAY_GATEWAY", default="")  # override the gateway URL (a proxy; the tests' fake gateway)
ALIPAY_CONFIGURED = bool(ALIPAY_APP_ID and ALIPAY_APP_PRIVATE_KEY and ALIPAY_PUBLIC_KEY)
# Enabled providers, first = offered first; the sandbox is the default, Alipay joins when its keys are set.
PAYMENT_PROVIDERS = env.list("PAYMENT_PROVIDERS", default=["sandbox", *(["alipay"] if ALIPAY_CONFIGURED else [])])
PAYMENT_DEFAULT_PROVIDER = env.str("PAYMENT_DEFAULT_PROVIDER", default=PAYMENT_PROVIDERS[0] if PAYMENT_PROVIDERS else "")
# The sandbox provider (payments.sandbox) signs its notifications with this key (HMAC-SHA256); production refuses a
# missing one when the sandbox is enabled. Notifications older or newer than the tolerance are rejected.
SANDBOX_PAY_SECRET = env.str("SANDBOX_PAY_SECRET", default="dev-only-sandbox-pay-secret-not-for-production")
SANDBOX_PAY_TOLERANCE_SECONDS = env.int("SANDBOX_PAY_TOLERANCE_SECONDS", default=300)
SANDBOX_PAY_DELIVERY_MAX_ATTEMPTS = env.int("SANDBOX_PAY_DELIVERY_MAX_ATTEMPTS", default=20)
SANDBOX_PAY_DELIVERY_TIMEOUT_SECONDS = env.float("SANDBOX_PAY_DELIVERY_TIMEOUT_SECONDS", default=10)
CELERY_BEAT_SCHEDULE.update({
    # Notifications the sandbox could not deliver yet, sent again when their back-off is over.
    "payments-sandbox-deliveries-retry": {"task": "payments.sandbox.tasks.deliveries_retry",
                                          "schedule": timedelta(seconds=15)},
})

# --- Back office ------------------------------------------------------------------------------
# Yesterday's figures emailed to the hospital administrators each morning from this local hour (sent once per
# date however often the job runs: backoffice.services.daily_report_send).
BACKOFFICE_REPORT_HOUR = env.int("BACKOFFICE_REPORT_HOUR", default=7)
CELERY_BEAT_SCHEDULE["backoffice-daily-report"] = {
    "task": "backoffice.tasks.daily_report_send",
    "schedule": crontab(hour=f"{BACKOFFICE_REPORT_HOUR}-23", minute=0),  # hourly after: catches up a missed run
}
