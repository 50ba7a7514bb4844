"""BrokerCRM settings: everything comes from the environment, with defaults for the demo.

No DATABASE_URL -> a SQLite file beside manage.py; no REDIS_URL -> Celery runs tasks
eagerly in process. With DEBUG off, the unsafe defaults refuse to start.
"""

import base64
import binascii
import datetime as dt
import hashlib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
import pgtrigger
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if not DEBUG:
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DEBUG is off but SECRET_KEY is the development key or shorter than 50 "
            "characters: set SECRET_KEY in the environment."
        )
    if not env.list("ALLOWED_HOSTS", default=[]):
        raise ImproperlyConfigured(
            "DEBUG is off: set ALLOWED_HOSTS in the environment."
        )

# Personal data (ID and phone numbers) at rest: Fernet keys, newest first (new values
# use the first, reads try each: README "Personal data"), and the HMAC key of their
# exact-value search. The development defaults are derived from SECRET_KEY so the demo
# runs with no settings; with DEBUG off both must be set, as SECRET_KEY must.
PERSONAL_DATA_KEYS = env.list("PERSONAL_DATA_KEYS", default=[])
PERSONAL_DATA_HASH_KEY = env.str("PERSONAL_DATA_HASH_KEY", default="")
if not DEBUG and not (PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY):
    raise ImproperlyConfigured(
        "DEBUG is off: set PERSONAL_DATA_KEYS (Fernet keys, newest first) and "
        "PERSONAL_DATA_HASH_KEY in the environment."
    )
if not PERSONAL_DATA_KEYS:
    PERSONAL_DATA_KEYS = [
        base64.urlsafe_b64encode(
            hashlib.sha256(f"personal-data-key:{SECRET_KEY}".encode()).digest()
        ).decode()
    ]
if not PERSONAL_DATA_HASH_KEY:
    PERSONAL_DATA_HASH_KEY = hashlib.sha256(
        f"personal-data-hash-key:{SECRET_KEY}".encode()
    ).hexdigest()
for _key in PERSONAL_DATA_KEYS:
    try:
        _raw = base64.urlsafe_b64decode(_key.encode())
    except (binascii.Error, ValueError):
        _raw = b""
    if len(_raw) != 32:
        raise ImproperlyConfigured(
            "PERSONAL_DATA_KEYS: each key is 32 url-safe base64 bytes "
            "(python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        )
if len(PERSONAL_DATA_HASH_KEY) < 32:
    raise ImproperlyConfigured("PERSONAL_DATA_HASH_KEY: at least 32 characters.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "import_export",
    "axes",
    "advisors",
    "clients",
    "imports",
    "tiers",
    "churn",
    "loyalty",
    "workspace",
    "pgtrigger",
    "pghistory",
    "history",
    "nightly",
    "kpis",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "brokercrm.middleware.RejectHostileQueryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "brokercrm.middleware.ReadOnlyRolesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "brokercrm.security.SessionLifetimeMiddleware",
    "history.middleware.HistoryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "brokercrm.urls"
WSGI_APPLICATION = "brokercrm.wsgi.application"

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
                "django.template.context_processors.i18n",
                "clients.context_processors.permissions",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# A connection the database dropped (restart) is replaced at the next request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Parallel workers per query (PostgreSQL's max_parallel_workers_per_gather), when set.
# brokercrm/wsgi.py sets 0 for the web processes: a page's queries are short, a
# worker's start-up costs more than it saves (a 2,500-client book's count: 4.8 ms with
# one, 2.4 ms without) and under load it takes a core from another request. Celery
# workers and commands keep the server's default for the nightly's large reads.
DATABASE_PARALLEL_WORKERS = env("DATABASE_PARALLEL_WORKERS", default="")
if DATABASE_PARALLEL_WORKERS != "" and DATABASES["default"]["ENGINE"].endswith(
    "postgresql"
):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c max_parallel_workers_per_gather={int(DATABASE_PARALLEL_WORKERS)}"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a Celery task (or an import) writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "advisors.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username or address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "advisors.backends.RoleBackend",
]

# Sign-in throttling (django-axes), for /login/, /admin/login/ and any view that signs
# in through django.contrib.auth.authenticate(request=...), the API token view included.
# After LOGIN_FAILURE_LIMIT failures for one username, or from one address, every
# further attempt (even with the right password) gets the 429 lockout page until the
# cool-off passes or an admin unlocks it (Django admin "Access attempts", or
# `manage.py axes_reset` / `axes_reset_username NAME` / `axes_reset_ip ADDR`).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# The lockout's answer: the page above, or JSON 429 with Retry-After under /api/.
AXES_LOCKOUT_CALLABLE = "brokercrm.errors.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False
# Behind a reverse proxy, set AXES_IPWARE_PROXY_COUNT / AXES_IPWARE_META_PRECEDENCE_ORDER
# (django-axes docs) so the client's address, not the proxy's, is counted.
# What a read-only role (head office) may still POST: view names.
READ_ONLY_USERS_MAY_POST = [
    "login",
    "logout",
    "set_language",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "account-tokens",
    "account-token-revoke",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Grouped thousands in Chinese too (brokercrm/formats/zh_Hans).
FORMAT_MODULE_PATH = ["brokercrm.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Imports: a file over this size is refused before it is parsed.
IMPORT_MAX_FILE_BYTES = env.int("IMPORT_MAX_FILE_BYTES", default=512 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Celery: no REDIS_URL means the demo runs every task eagerly in this process.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Jobs that survive a killed worker (brokercrm/jobs.py): acknowledged only when done,
# requeued when the worker dies, one message per worker process at a time, and
# handed out again by Redis only after CELERY_VISIBILITY_TIMEOUT, which must be longer
# than the longest job (a 512 MiB import, a head office's nightly run) or a job still
# running would be handed to a second worker. Hard time limit just below it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=6 * 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Look for the messages of dead workers every 10 s at most (not every 100 s).
    "unacked_restore_interval": min(10, max(1, CELERY_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT
}
CELERY_TASK_TIME_LIMIT = max(CELERY_VISIBILITY_TIMEOUT - 300, 60)
CELERY_TASK_MAX_ATTEMPTS = env.int("CELERY_TASK_MAX_ATTEMPTS", default=3)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    # SPEC §3.3: each branch's churn model retrained on its history every Sunday
    # before the night's scoring (churn.tasks); it scores from the next run on.
    "weekly-churn-model": {
        "task": "churn.tasks.churn_models_train_task",
        "schedule": crontab(day_of_week="sun", hour=0, minute=30),
    },
    # SPEC §3: the nightly scoring of yesterday, one task per branch (nightly.tasks).
    "nightly-scores": {
        "task": "nightly.tasks.nightly_scores_task",
        "schedule": crontab(hour=2, minute=0),
    },
}

# Long jobs (nightly runs, import batches) beat every JOB_HEARTBEAT_SECONDS while they
# run; one whose last beat is older than JOB_LEASE_SECONDS died with its process and
# is marked failed (on the imports pages, and every 5 minutes by beat), to be re-run.
JOB_HEARTBEAT_SECONDS = env.int("JOB_HEARTBEAT_SECONDS", default=30)
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=600)
CELERY_BEAT_SCHEDULE["dead-jobs"] = {
    "task": "nightly.tasks.dead_jobs_expire_task",
    "schedule": crontab(minute="*/5"),
}


def _next_redis_database(url: str) -> str:
    """The same Redis server, the database after the URL's (redis://host:6379/0 ->
    /1): clearing the cache (a FLUSHDB) must never drop the broker's queued jobs."""
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{number + 1}"))


# The cache lives in its own Redis database, never the broker's (CACHE_URL to choose).
CACHES = {
    "default": (
        env.cache_url("CACHE_URL", default=_next_redis_database(REDIS_URL))
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# The REST API (SPEC §6): named tokens or the session (with CSRF), JSON in and out,
# cursor pages, API_RATE_LIMIT requests per token (429 with Retry-After beyond it).
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="1200/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "brokercrm.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "brokercrm.drf.ReadOnlyUnlessMayWrite",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "brokercrm.api_kit.ApiCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["brokercrm.api_kit.TokenRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "brokercrm.api_schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "brokercrm.api_errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "BrokerCRM API",
    "DESCRIPTION": (
        "The REST API of BrokerCRM: the same operations, scope and permissions as the "
        "UI. Authenticate with `Authorization: Bearer <key>` (a key from "
        "/account/tokens/ or `POST /api/v1/auth/token/`), or the browser's session "
        "with its CSRF token. Lists are cursor pages (`next`/`previous`, "
        "`page_size` up to 500)."
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI and ReDoc from our own static files (drf-spectacular-sidecar): the
    # docs work with no internet and under the CSP's script-src 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set (else `check --deploy` warns about the collisions).
    # Links between operations (create a task → complete it, …): brokercrm.api_schema.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "brokercrm.api_schema.postprocess_links",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RelationshipLevelEnum": "clients.models.RelationshipLevel",
        "ClientKindEnum": "clients.models.ClientKind",
        "HouseholdKindEnum": "clients.models.Household.Kind",
        "TaskKindEnum": "clients.models.TaskKind",
        "ImportKindEnum": "imports.models.ImportKind",
        "PointsEntryKindEnum": "loyalty.models.EntryKind",
    },
}

# Security: safe by default when DEBUG is off; each can be relaxed from the environment
# (e.g. behind a TLS-terminating proxy that already redirects).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Record history (history app): pghistory's triggers are installed after every migrate
# (not kept in each app's migrations); its context carries the user's id and name.
PGTRIGGER_MIGRATIONS = False
PGTRIGGER_INSTALL_ON_MIGRATE = True
# Statement-level triggers: one INSERT … SELECT from the statement's transition table
# per write, however many rows it touched (a night's thousands of generated tasks
# cost one history insert per statement, not one trigger call per row).
PGHISTORY_LEVEL = pgtrigger.Statement

SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Sessions that end (brokercrm/security.py): after SESSION_IDLE_TIMEOUT seconds without
# a request (30 min), and SESSION_ABSOLUTE_TIMEOUT after sign-in (12 h) however active.
# A deactivated user's sessions and API tokens end at once (advisors/sessions.py).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 3600)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp): scripts only from our own static files, never
# inline (no <script> blocks, no onclick=); data for scripts goes in json_script or
# data- attributes. Styles may be inline (Chart.js and htmx set style attributes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        # ReDoc (/api/redoc/) runs its search in a worker made from a blob of its own
        # script; scripts themselves still come from our static files only.
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# ID and phone numbers are masked in every log record (clients/logfilters.py also
# applies the filter when each record is made) and in error reports.
DEFAULT_EXCEPTION_REPORTER_FILTER = "clients.logfilters.PersonalDataReporterFilter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "clients.logfilters.MaskPersonalData"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["personal_data"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
