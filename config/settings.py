"""Settings for tier-registry, read from the environment.

Development defaults need nothing set: SQLite under ``var/`` and Celery tasks run inline. Production sets
``DEBUG=0``, a real ``SECRET_KEY``, ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (broker, results, cache).
"""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-insecure-key-for-local-use-only-never-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="") or _DEV_SECRET_KEY
if not DEBUG and (
    SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
    or SECRET_KEY.startswith("django-insecure-")
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_prometheus",
    "axes",
    # The project's apps, in layers, lowest first (import-linter holds each to importing only those below it).
    "core",
    "enterprises",
    "evaluation",
    "registry",
    "portal",
    "public",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Early, so it sees every answer: errors under /api/ are JSON whoever produced them.
    "config.middleware.ApiJsonErrorsMiddleware",
    # The request id (from the proxy's X-Request-ID or a new one) and the user on every log line.
    "config.ops.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.middleware.MalformedQueryMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.audit.AuditActorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

# django-axes counts failed logins (admin, portal and API token) and locks a username from an address out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# ...and an address after this many failures over all usernames within the cool-off (config/lockout.py).
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_HANDLER = "config.lockout.AddressLockoutHandler"
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# How many reverse proxies (nginx, a load balancer) stand in front and append to X-Forwarded-For. With none, the
# client address is REMOTE_ADDR and a forged X-Forwarded-For header cannot dodge the login throttle or lockout.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"]
)

# The models ``core.roles`` restricts by (like AUTH_USER_MODEL: the layer below names them, never imports them).
REGION_MODEL = "enterprises.Region"
REVIEWER_MODEL = "enterprises.ReviewerProfile"
MEMBERSHIP_MODEL = "enterprises.Membership"

ROOT_URLCONF = "config.urls"
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
            ],
        },
    },
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server, inline tasks and a shell share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Planner settings for each connection (docs/deployment.md, "PostgreSQL settings"): no JIT, which costs tens
    # of milliseconds per query and pays off only for long reports, and random reads priced as on SSDs, so that
    # a count of a few thousand certifications probes the enterprises by key instead of scanning a million.
    # Empty when the server sets them (a PgBouncer in front refuses start-up options).
    session_options = env("DATABASE_SESSION_OPTIONS", default="-c jit=off -c random_page_cost=1.1")
    if session_options:
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", session_options)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
# Only folders that exist: a missing one is a system-check warning that `check --deploy` must not show.
STATICFILES_DIRS = [path for path in [BASE_DIR / "static"] if path.is_dir()]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

LOGIN_URL = "admin:login"
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tier-registry@localhost")

# --- Redis, Celery, cache -----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Keep a worker's database connection between tasks (Django's CONN_MAX_AGE decides, see config/celery.py);
# Celery still closes it every few hundred tasks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=200)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Task modules outside the apps' ``tasks.py``.
CELERY_IMPORTS = ["registry.followup"]
# Results are not read back (jobs keep their progress in the database): storing them would only cost time.
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=300_000)  # KiB

if REDIS_URL:
    # Redis down is not an outage: the cache falls back to a per-process one and logs a warning (config/cache.py).
    CACHES = {"default": {"BACKEND": "config.cache.ResilientRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- API ------------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.RegistryPagination",
    # JSON that is not plain data (NaN, Infinity, absurd nesting, bodies over DATA_UPLOAD_MAX_MEMORY_SIZE) is a
    # 400/413 naming the place, never a crash.
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.StrictJSONParser",
        "config.parsers.LimitedFormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
    "DEFAULT_THROTTLE_RATES": {"login": env.str("LOGIN_THROTTLE_RATE", default="10/min")},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "tier-registry API",
    "DESCRIPTION": "Registry of SMEs in the tiered-cultivation programme: profiles, yearly figures, "
    "self-assessment, applications and review.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents its error responses (the one JSON error shape), so clients and schemathesis
    # can check them.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.document_error_responses",
    ],
    # One named enum per choice set shared by several fields (keeps client code tidy, check --deploy quiet).
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "enterprises.models.Tier",
        "ApplicationStatusEnum": "registry.models.ApplicationStatus",
        "CertificationStatusEnum": "registry.models.CertificationStatus",
        "RevocationCauseEnum": "registry.models.RevocationCause",
        "ApplicationKindEnum": "registry.models.ApplicationKind",
        "ChangeRequestKindEnum": "enterprises.models.ChangeRequestKind",
    },
    # Swagger UI served by the project itself (no CDN): the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# API tokens (django-rest-knox): hashed in the database, one per client, each expiring this long after it was
# issued; clients send "Authorization: Token <token>" (enterprises/credentials.py).
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(hours=env.float("API_TOKEN_TTL_HOURS", default=24)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)

# --- The registry's own settings ------------------------------------------------------------------------------
REGISTRY = {
    # The province whose registry this is: staff who review no region of their own see its dashboard.
    "HOME_PROVINCE": env.str("REGISTRY_HOME_PROVINCE", default="330000"),
    # Days a list of approved applications stays public before certification (criteria.md §1.7, U elsewhere).
    "PUBLICITY_DAYS": env.int("REGISTRY_PUBLICITY_DAYS", default=5),
    "CERTIFICATION_YEARS": 3,
    "REREVIEW_WINDOW_DAYS": 183,
    "FRAUD_BAN_YEARS": 3,
    "EVIDENCE_MAX_BYTES": env.int("REGISTRY_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024),
    "EVIDENCE_EXTENSIONS": ["pdf", "png", "jpg", "jpeg", "xlsx"],
    # Bounds on an imported file (admin import and ``manage.py import_figures``), so that a small hostile file
    # cannot take the server's memory: the file, its inflated XLSX parts, data rows, columns, characters in one
    # cell, and the largest number a cell may hold (figures are in 万元: 10^12 万元 is far past any enterprise).
    "IMPORT_LIMITS": {
        "MAX_BYTES": env.int("REGISTRY_IMPORT_MAX_BYTES", default=20 * 1024 * 1024),
        "MAX_EXPANDED_BYTES": env.int("REGISTRY_IMPORT_MAX_EXPANDED_BYTES", default=128 * 1024 * 1024),
        "MAX_ROWS": env.int("REGISTRY_IMPORT_MAX_ROWS", default=20000),
        "MAX_COLUMNS": env.int("REGISTRY_IMPORT_MAX_COLUMNS", default=100),
        "MAX_CELL_CHARS": env.int("REGISTRY_IMPORT_MAX_CELL_CHARS", default=1000),
        "MAX_NUMBER": env.int("REGISTRY_IMPORT_MAX_NUMBER", default=10**12),
    },
    # Cultivation targets are data (registry Plan and Target, edited in the admin); the 2025 provincial ones
    # (criteria.md §7) are loaded by a data migration.
    # Certifications expiring within this many days are listed on the dashboard.
    "EXPIRING_WITHIN_DAYS": 90,
    # Annual data update deadline ("MM-DD") by ruleset code, used when the ruleset data states none
    # (criteria.md §1.6, §2.5, §4.3: 30 April under the 2022 rules, 31 May under the 2026 rules).
    "ANNUAL_UPDATE_DEADLINES": {"miit-2022": "04-30", "miit-2026": "05-31", "default": "04-30"},
    "ANNUAL_UPDATE_REMINDER_DAYS": env.int("REGISTRY_ANNUAL_UPDATE_REMINDER_DAYS", default=30),
    "EXPIRY_REMINDER_DAYS": 90,
    # Re-scoring: enterprises per chunk task, minutes without progress before the safety net re-queues a
    # job's chunks, and whether stored results keep the per-indicator breakdown.
    "RESCORE_CHUNK_SIZE": env.int("REGISTRY_RESCORE_CHUNK_SIZE", default=1000),
    "RESCORE_STALE_MINUTES": env.int("REGISTRY_RESCORE_STALE_MINUTES", default=10),
    "RESCORE_EXPLAIN": env.bool("REGISTRY_RESCORE_EXPLAIN", default=False),
    # Proactive discovery after each re-score chunk (pool proposals); off only to measure what it costs.
    "POOL_DISCOVERY": env.bool("REGISTRY_POOL_DISCOVERY", default=True),
    # The review stages each tier passes through after submission (criteria.md §1.7, §2.6, §3.4, §4.4, §5.1).
    # The last stage is "publicity" (then certified) or "recommended" (national tiers: MIIT decides).
    "STAGES": {
        "innovative_sme": ["city_review", "provincial_review", "publicity"],
        "specialised_sme": ["county_review", "city_review", "provincial_review", "publicity"],
        # expert_review applies only when the tier's ruleset asks for it (its "expert_review" data).
        "hidden_champion": ["county_review", "city_review", "provincial_review", "expert_review", "publicity"],
        "little_giant": ["county_review", "city_review", "provincial_review", "expert_review", "recommended"],
        "single_champion": ["county_review", "city_review", "provincial_review", "recommended"],
    },
    # Days each review stage may take before an application is overdue, per tier ("default" for the others).
    # criteria.md states no such limits (U): provinces set them per round; these are working defaults.
    "STAGE_DEADLINE_DAYS": {
        "default": {"county_review": 10, "city_review": 15, "provincial_review": 20},
    },
    # Tier -> the tier that must be held first, and whether applying for both together is allowed (Zhejiang
    # allows it for the specialised SME: criteria.md §2.1; the little giant needs it held: §4.1).
    "PREREQUISITES": {
        "specialised_sme": {"tier": "innovative_sme", "together": True},
        "little_giant": {"tier": "specialised_sme", "together": False},
    },
}

# Operations (config/ops.py): /health/, /health/live/ and /metrics (Bearer METRICS_TOKEN, or a superuser).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
HEALTH_DISK_MAX_PERCENT = env.float("HEALTH_DISK_MAX_PERCENT", default=90.0)

# Logs: one JSON object a line in production (LOG_FORMAT=json, the default when DEBUG is off), each with the
# request id, the user and the enterprise the request concerns; plain text in development.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "enterprises.log_context.LogContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user)s %(enterprise)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(user)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             "formatter": "json" if LOG_FORMAT == "json" else "text"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# --- Production hardening (manage.py check --deploy is clean with DEBUG off) -------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
