"""Django settings. Infrastructure comes from the environment; feature flags and
integration settings live in ``regsupport.config``.

Without ``REGSUPPORT_ENV`` these are production's settings, which fail closed: no DEBUG, no
development secret (start-up refuses a missing ``SECRET_KEY``), secure cookies, HSTS and
HTTPS redirects. ``make run``, ``make test`` and ``make bench`` set the environment they
need. Every security setting below can be changed by the environment variable of the same
name (docs/deploy.md)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from regsupport.config import current_environment
from regsupport.ids import parse_number

BASE_DIR = Path(__file__).resolve().parent.parent
ENVIRONMENT = current_environment()
PRODUCTION = ENVIRONMENT == "production"
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-secret-key-change-me"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={os.environ[name]!r}: use true or false.")


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if (number := parse_number(value)) is None:
        raise ImproperlyConfigured(f"{name}={value!r}: use a whole number.")
    return number


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else DEVELOPMENT_SECRET_KEY)
if PRODUCTION and (not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured(
        f"REGSUPPORT_ENV is {os.environ.get('REGSUPPORT_ENV') or 'unset'}, so these are "
        "production settings, and SECRET_KEY is not set (or is the development one). Set "
        'SECRET_KEY to a long random string, e.g. the output of python -c "import secrets; '
        'print(secrets.token_urlsafe(50))". On a development machine use make run or make '
        "test, or set REGSUPPORT_ENV=development."
    )
DEBUG = _flag("DEBUG", ENVIRONMENT == "development")
ALLOWED_HOSTS = _list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = _list("CSRF_TRUSTED_ORIGINS")

# --- HTTPS, cookies and sessions: on in production, each settable by its variable --------
SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = _flag("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_HSTS_SECONDS = _number("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = _flag("SECURE_HSTS_PRELOAD", PRODUCTION)
# Production runs behind a proxy that terminates TLS and sets X-Forwarded-Proto (and
# X-Forwarded-For, see TRUSTED_PROXY_COUNT): "HEADER,value", or empty for none.
_proxy_ssl_header = _list(
    "SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO,https" if PRODUCTION else ""
)
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER: use HEADER,value, e.g. HTTP_X_FORWARDED_PROTO,https."
    )
SECURE_PROXY_SSL_HEADER = (
    (_proxy_ssl_header[0], _proxy_ssl_header[1]) if _proxy_ssl_header else None
)
# How many proxies in front of the web process append to X-Forwarded-For: the client's
# address for login throttling is the entry that many from the right (regsupport.login).
TRUSTED_PROXY_COUNT = _number("TRUSTED_PROXY_COUNT", 1 if PRODUCTION else 0)

# Staff sessions end after a working day, counted from the login, and with the browser.
SESSION_COOKIE_AGE = _number("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = _flag("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)

# --- Login throttling (django-axes) --------------------------------------------------------
# A username is locked after AXES_FAILURE_LIMIT failed logins, and so is an address,
# whichever comes first, for AXES_COOLOFF_MINUTES after the last failure. Developers
# unlock early in the console (Axes -> Access attempts: delete the row).
AXES_FAILURE_LIMIT = _number("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=_number("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "regsupport.login.client_address"
AXES_LOCKOUT_CALLABLE = "regsupport.login.lockout_response"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username or address is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

INSTALLED_APPS = [
    "regsupport.apps.RegsupportConfig",
    "regsupport.apps.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "simple_history",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_email",
    "providers",
    "trainees",
    "dqt",
    "jobs",
    "analytics",
    "apply",
    "monitoring",
]

MIDDLEWARE = [
    # First: /healthz, /readyz and /metrics skip the host check and the HTTPS redirect.
    "monitoring.middleware.MonitoringEndpoints",
    "monitoring.middleware.RequestLog",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "regsupport.middleware.RejectNulCharacters",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # After authentication: both decide by the user (maintenance page, request events).
    "regsupport.middleware.MaintenanceMode",
    "analytics.middleware.RecordConsoleRequests",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "regsupport.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "regsupport.middleware.maintenance_banner",
            ],
        },
    },
]

WSGI_APPLICATION = "regsupport.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default="postgres://postgres@127.0.0.1:5432/regsupport",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Django turns psycopg's prepared statements off, which would also ignore the job ledger's
# prepare=True; its own cursors bind parameters client-side and still prepare nothing.
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
# UK dates in words everywhere ("4 August 1981"; times with their zone): regsupport/dates.py.
FORMAT_MODULE_PATH = ["regsupport.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGIN_URL = "admin:login"

# --- Email: one-time sign-in codes (regsupport/sign_in.py) -----------------------------------
# Development prints emails on the console; production sends through SMTP (EMAIL_HOST...);
# tests use Django's in-memory outbox. Any backend can be chosen with EMAIL_BACKEND.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _number("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _flag("EMAIL_USE_TLS", PRODUCTION)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "regsupport <no-reply@localhost>")
# A code lasts OTP_EMAIL_TOKEN_VALIDITY seconds and works once; a new one can be asked for
# after OTP_EMAIL_COOLDOWN_DURATION; each wrong code doubles the wait before the next try
# (django-otp's throttling), and AXES_FAILURE_LIMIT wrong codes lock the username (axes).
OTP_EMAIL_TOKEN_VALIDITY = _number("OTP_EMAIL_TOKEN_VALIDITY", 600)
OTP_EMAIL_COOLDOWN_DURATION = _number("OTP_EMAIL_COOLDOWN_DURATION", 30)
OTP_EMAIL_THROTTLE_FACTOR = _number("OTP_EMAIL_THROTTLE_FACTOR", 1)
OTP_EMAIL_SUBJECT = "Your regsupport sign-in code"
OTP_EMAIL_BODY_TEMPLATE_PATH = "regsupport/sign_in_code_email.txt"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# The queues a worker serves (its -Q in Procfile.dev); the queues page counts each in Redis.
JOBS_QUEUES = ("default", "dqt", "apply")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker killed mid-job gives its message back; the ledger's lock and state check make
# sure the job still runs only once at a time (jobs/ledger.py).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fix-up otherwise closes the database connection before and after every
# task; a new connection per job costs more than the job's own queries. A connection that
# broke (a database restart) is closed before the next task (jobs/tasks.py).
CELERY_DB_REUSE_MAX = 1000
# Job workers commit asynchronously (see docs/jobs.md for why that is safe here).
JOBS_WORKER_SYNCHRONOUS_COMMIT = os.environ.get("JOBS_WORKER_SYNCHRONOUS_COMMIT", "off")
# A worker with a thread pool (the dqt queue's) shares this many database sessions among
# its jobs' own queries, plus one for the ledger (jobs/worker.py).
JOBS_IO_POOL_DATABASE_SESSIONS = _number("JOBS_IO_POOL_DATABASE_SESSIONS", 8)
CELERY_TASK_ROUTES = {
    "jobs.sweep": {"queue": "default"},
    "jobs.remove_dead_duplicates": {"queue": "default"},
    "jobs.purge_succeeded": {"queue": "default"},
    "apply.import_applications_from_apply": {"queue": "default"},
    "apply.create_trainees_from_apply": {"queue": "default"},
    "analytics.ship": {"queue": "default"},
    "monitoring.check_alerts": {"queue": "default"},
}
# Register's sidekiq-cron times (config/sidekiq_cron_schedule.yml), in UTC as its pods ran.
CELERY_TIMEZONE = "UTC"
# Beat writes its heartbeat as it ticks (monitoring/heartbeat.py), at least this often.
CELERY_BEAT_SCHEDULER = "monitoring.heartbeat:BeatScheduler"
CELERY_BEAT_MAX_INTERVAL = 5
CELERY_BEAT_SCHEDULE = {
    "jobs-sweep": {"task": "jobs.sweep", "schedule": 5.0, "options": {"expires": 5.0}},
    "jobs-remove-dead-duplicates": {"task": "jobs.remove_dead_duplicates", "schedule": 300.0},
    "jobs-purge-succeeded": {"task": "jobs.purge_succeeded", "schedule": 3600.0},
    "import-applications-from-apply": {
        "task": "apply.import_applications_from_apply",
        "schedule": crontab(minute=0, hour=1),
    },
    "create-trainees-from-apply": {
        "task": "apply.create_trainees_from_apply",
        "schedule": crontab(minute=0, hour=4),
    },
    # Ships the analytics outbox in batches; scheduled whether or not the stream is on (it
    # does nothing while off), so switching it on needs no restart.
    "analytics-ship": {"task": "analytics.ship", "schedule": 2.0, "options": {"expires": 2.0}},
    # docs/deploy.md, "Alerts".
    "monitoring-check-alerts": {
        "task": "monitoring.check_alerts",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# Reverting from the history page would bypass services and their reasons.
SIMPLE_HISTORY_REVERT_DISABLED = True

# /metrics answers only a request sending "Authorization: Bearer <METRICS_TOKEN>"; unset,
# it answers nobody (docs/deploy.md, "Metrics").
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# One JSON object per line in production, `key=value` lines for people elsewhere
# (monitoring/logs.py; the events are listed in docs/deploy.md, "Logs").
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("json" if PRODUCTION else "text")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "monitoring.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "monitoring.logs.JsonFormatter"},
        "text": {"()": "monitoring.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Celery's "Task ... succeeded" line per job: `job.finished` says more, once.
        "celery.app.trace": {"level": "WARNING"},
    },
}
# Celery's workers and beat log through the handler above, as JSON in production, instead
# of replacing it with their own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
