"""The tracker's only settings module, driven by environment variables.

With nothing set it runs on SQLite with Celery tasks executed eagerly, so `make run`
works on a machine that has only Python. Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY, ALLOWED_HOSTS and the e-mail variables (see docs/operations.md and
.env.example).
"""

from pathlib import Path

import dj_database_url

from tracker.lib.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfiguredEnv(
            "SECRET_KEY must be set when DEBUG is off "
            "(for local use set DEBUG=true or run `make run`)."
        )
    SECRET_KEY = "insecure-dev-key-only-for-debug-mode-never-in-production"
# Old keys, while rotating SECRET_KEY: sessions, API tokens, alert secrets and the
# encrypted HMAC keys made under them keep working (tracker/lib/crypto.py).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The one currency of every cost and value (ISO 4217 code, shown beside amounts).
TRACKER_CURRENCY = env_str("TRACKER_CURRENCY", "EUR")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "tracker.accounts",
    "tracker.products",
    "tracker.cards",
    "tracker.incidents",
    "tracker.readiness",
    "tracker.reports",
    "tracker.insights",
    "tracker.reminders",
    "tracker.integrations",
    "tracker.ci",
    "tracker.releases",
    "tracker.postmortems",
    "tracker.outcomes",
    "tracker.porting",
    "tracker.audit",
    "tracker.search",
    "tracker.pages",
    "tracker.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "tracker.lib.middleware.RejectNulInQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who is acting, for the audit trail (tracker.audit.context).
    "tracker.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tracker.accounts.middleware.SessionTimeoutMiddleware",
    "tracker.accounts.middleware.ApiTokenUseMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tracker.lib.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# Django's model backend with every password check throttled (docs/security.md).
AUTHENTICATION_BACKENDS = ["tracker.accounts.backends.ThrottledModelBackend"]

# Single sign-on through any OpenID Connect provider (mozilla-django-oidc), on
# when OIDC_RP_CLIENT_ID is set; local accounts keep working beside it
# (docs/integrations.md).
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
# A claim listing team slugs (e.g. "groups"): signing in adds the person to
# those teams that exist. Empty: teams are managed in the app only.
OIDC_TEAMS_CLAIM = env_str("OIDC_TEAMS_CLAIM")
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:sso_callback"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"
OIDC_BACKEND = "tracker.accounts.oidc.TrackerOIDCBackend"
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, OIDC_BACKEND]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "products:list"
LOGOUT_REDIRECT_URL = "accounts:login"

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
                "tracker.reminders.context_processors.notifications",
            ],
            # Safe Markdown for every app: {% load markdown %} … {{ text|markdown }}
            "libraries": {"markdown": "tracker.lib.markdown"},
        },
    },
]

# --- Database: SQLite by default, DATABASE_URL (PostgreSQL via psycopg 3) otherwise.
_database_url = env_url(
    "DATABASE_URL", schemes={"postgres", "postgresql", "pgsql", "sqlite"}
)
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"DATABASE_URL is malformed: {exc}") from None
    # A pooled connection is checked before each request uses it, so one the
    # server dropped (a restart, a failover) is replaced instead of failing.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # A database that cannot be reached, or stops answering, costs a request
        # seconds and then a 503 (tracker/lib/unavailable.py), never a hang:
        # - connecting gives up after DATABASE_CONNECT_TIMEOUT;
        # - the server cancels a statement running (or waiting for a lock) longer
        #   than DATABASE_STATEMENT_TIMEOUT (0: no limit);
        # - TCP keepalives and TCP_USER_TIMEOUT notice a server gone from the
        #   network (host down, packets dropped) within DATABASE_NETWORK_TIMEOUT,
        #   where the kernel's defaults would wait for hours.
        statement_ms = env_int("DATABASE_STATEMENT_TIMEOUT", 30, minimum=0) * 1000
        network = env_int("DATABASE_NETWORK_TIMEOUT", 10, minimum=2)
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options.update(
            connect_timeout=env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1),
            # After any options given in DATABASE_URL (?options=...).
            options=f"{options.get('options', '')} -c statement_timeout={statement_ms}",
            keepalives=1,
            keepalives_idle=max(1, network // 2),
            keepalives_interval=1,
            keepalives_count=max(1, network // 2),
            tcp_user_timeout=network * 1000,
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / env_str("SQLITE_PATH", "db.sqlite3"),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) serve PostgreSQL; SQLite, the embedded default,
# builds them without their non-key columns, which changes no result.
SILENCED_SYSTEM_CHECKS = ["models.W040"]


# --- Cache: the API's rate-limit counters (DRF throttles) live here. Without
# CACHE_URL each process counts alone, so N web processes allow N times the rate;
# production with more than one process sets CACHE_URL to a Redis database (not
# the broker's: clearing the cache must not drop queued tasks).
CACHE_URL = env_url("CACHE_URL", schemes={"redis", "rediss"})
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "tracker",
            # A rate-limit check must not hang a request on an unreachable Redis.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }


# --- Celery: Redis when REDIS_URL is set, otherwise tasks run eagerly in-process.
REDIS_URL = env_url("REDIS_URL", schemes={"redis", "rediss"})
# In-process broker when eager; named with a host so kombu does not warn about it.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task a worker took and never acknowledged (the worker died: acks_late)
    # goes back to its queue after this long. Longer than any task runs (or
    # is scheduled ahead with a countdown), or a slow task runs twice.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
    # Requests queue work (tracker/lib/tasks.py): an unreachable or hung Redis
    # must cost them seconds at most, never a hang; what could not be queued
    # waits in the database for the periodic sweeps.
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    "socket_keepalive": True,
    # Keys of this deployment only, when several share one Redis.
    "global_keyprefix": env_str("CELERY_KEY_PREFIX", ""),
}

# --- Reminders (docs/reminders.md): pages of work per sweep query, how long a
# worker's claim on a mail lasts before another may take it over, send attempts,
# how often data surveys and SLAs must be looked at again, and how many days
# ahead an action item's owner hears that it is due.
REMINDERS_BATCH_SIZE = env_int("REMINDERS_BATCH_SIZE", 1000, minimum=1)
REMINDERS_CLAIM_LEASE_SECONDS = env_int(
    "REMINDERS_CLAIM_LEASE_SECONDS", 15 * 60, minimum=30
)
REMINDERS_MAX_ATTEMPTS = env_int("REMINDERS_MAX_ATTEMPTS", 5, minimum=1)
REMINDERS_REVIEW_PERIOD_DAYS = env_int("REMINDERS_REVIEW_PERIOD_DAYS", 90, minimum=1)
REMINDERS_ACTION_ITEM_DUE_SOON_DAYS = env_int(
    "REMINDERS_ACTION_ITEM_DUE_SOON_DAYS", 3, minimum=0
)

# --- Portfolio exports (docs/reports.md): a CSV or PDF of more products than
# REPORT_EXPORT_INLINE_MAX is made by a worker; exports are kept for
# REPORT_EXPORT_KEEP_HOURS, and one not finished after REPORT_EXPORT_TIMEOUT_SECONDS
# is reported as failed.
REPORT_EXPORT_INLINE_MAX = env_int("REPORT_EXPORT_INLINE_MAX", 200, minimum=0)
REPORT_EXPORT_KEEP_HOURS = env_int("REPORT_EXPORT_KEEP_HOURS", 24, minimum=1)
REPORT_EXPORT_TIMEOUT_SECONDS = env_int(
    "REPORT_EXPORT_TIMEOUT_SECONDS", 30 * 60, minimum=60
)

# --- E-mail: SMTP when EMAIL_HOST is set. Without it, in development, every
# message is written to a file under EMAIL_FILE_PATH, so `make run` keeps its
# console readable (the demo's seed sends a few dozen) and the mail stays
# there to read; outside development, to the console (the service's log).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tracker@localhost")

# --- Security: strict in production, relaxed only when DEBUG is on (what each
# setting protects: docs/security.md).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Health checks and tests hit plain HTTP on loopback; everything else is redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Cookies: HTTPS-only in production, under the __Host- prefix (no Domain, Path=/,
# Secure: a sibling subdomain cannot plant or overwrite them), never readable by
# scripts, not sent on cross-site subrequests or posts.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_NAME = "sessionid" if DEBUG else "__Host-sessionid"
CSRF_COOKIE_NAME = "csrftoken" if DEBUG else "__Host-csrftoken"
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# A session ends this long after signing in, however busy (absolute), or after
# this long without a request (idle; 0: never); tracker.accounts.middleware.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=300)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=0)

# Sign-in throttling (tracker/accounts/login_throttle.py): attempts per normalised
# username and per client address in a fixed window; over either limit an attempt
# is refused even with the right password, until the window ends.
LOGIN_THROTTLE_WINDOW_SECONDS = env_int(
    "LOGIN_THROTTLE_WINDOW_SECONDS", 15 * 60, minimum=60
)
LOGIN_THROTTLE_USER_LIMIT = env_int("LOGIN_THROTTLE_USER_LIMIT", 10, minimum=1)
LOGIN_THROTTLE_IP_LIMIT = env_int("LOGIN_THROTTLE_IP_LIMIT", 50, minimum=1)
# How many reverse proxies in front append to X-Forwarded-For: the client address
# is the entry that many from the end. 0 (no proxy): REMOTE_ADDR, and a client's
# own X-Forwarded-For is ignored, so it cannot pick a fresh address per attempt.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    # ASVS 2.1.1: at least 12 characters; no composition rules, no upper bound
    # short of the API's 4,096 (2.1.2, 2.1.9).
    {
        "NAME": f"{_VALIDATORS}.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12, minimum=8)},
    },
    # Rejects the 20,000 most common passwords (ASVS 2.1.7, offline).
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
# The site is written in English and has no translations: without the translation
# machinery, every number, date and choice label a template writes skips looking up
# the active language (Django's advice for sites that do not translate). Formats
# stay those of LANGUAGE_CODE.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- REST API (/api/v1, see docs/api.md). Bearer tokens first so an API client
# without credentials gets 401 + `WWW-Authenticate: Bearer`, not 403.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tracker.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "tracker.accounts.api_policies.IsPersonOrScopedToken"
    ],
    "DEFAULT_PARSER_CLASSES": ["tracker.lib.api_policies.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "tracker.lib.api_policies.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["tracker.lib.api_policies.ScopedThrottle"],
    # Per person or token (per client address for signing in); generous, because a
    # CI pipeline posts a burst of statuses and a dashboard polls.
    "DEFAULT_THROTTLE_RATES": {
        "api": env_str("API_RATE", "1200/min"),
        "ci": env_str("API_RATE_CI", "3000/min"),
        "auth": env_str("API_RATE_AUTH", "30/min"),
        # Feedback from the people using a model: per token or person.
        "feedback": env_str("API_RATE_FEEDBACK", "120/min"),
    },
    # The client address for throttles (see TRUSTED_PROXY_COUNT above).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "tracker.lib.api.exception_handler",
    "DEFAULT_METADATA_CLASS": "tracker.lib.api_policies.Metadata",
    "DEFAULT_SCHEMA_CLASS": "tracker.lib.api.AutoSchema",
    "PAGE_SIZE": 50,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ML product tracker API",
    "DESCRIPTION": "Products and their teams, success metrics, SLAs, data surveys, "
    "readiness, planning sessions, rollouts and experiments, CI status, model "
    "versions and deployments, model cards and decisions, feedback, cost and value, "
    "data contracts, incidents and alert integrations, postmortems and action items, "
    "follow-up policies, the portfolio report and insights, search, notifications, "
    "webhooks and export/import. Errors, tokens and examples: docs/api.md.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "GET_LIB_DOC_EXCLUDES": "tracker.lib.api.schema_doc_excludes",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "tracker.products.models.Stage",
        "MetricKindEnum": "tracker.products.models.MetricKind",
        "TokenKindEnum": "tracker.accounts.models.TokenKind",
        "QualityRatingEnum": "tracker.products.models.QualityRating",
        "RiskEnum": "tracker.products.models.Risk",
        "RiskTierEnum": "tracker.products.models.RiskTier",
        "CIStateEnum": "tracker.ci.models.State",
        "IncidentKindEnum": "tracker.incidents.models.Kind",
        "CostKindEnum": "tracker.outcomes.models.CostKind",
        "IncidentStatusEnum": "tracker.incidents.models.Status",
        "IntegrationKindEnum": "tracker.incidents.models.IntegrationKind",
        "WebhookKindEnum": "tracker.integrations.models.WebhookKind",
        "ConnectionKindEnum": "tracker.integrations.models.ConnectionKind",
        "TimelineEntryKindEnum": "tracker.incidents.models.EntryKind",
        "AuditActionEnum": "tracker.audit.models.Action",
        "AuditViaEnum": "tracker.audit.models.Via",
        "RolloutStepKindEnum": "tracker.products.models_experiments.StepKind",
        "RolloutStepStatusEnum": "tracker.products.models_experiments.StepStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The export document's schema, derived from tracker.porting.spec.
        "tracker.porting.schema.add_component",
    ],
}

# --- Alert webhooks (tracker/incidents/receiver.py): bodies above this are refused
# with 413 before they are read; signed deliveries older than the age are replays.
ALERT_WEBHOOK_MAX_BYTES = env_int("ALERT_WEBHOOK_MAX_BYTES", 1024 * 1024, minimum=1024)
ALERT_SIGNATURE_MAX_AGE_SECONDS = env_int(
    "ALERT_SIGNATURE_MAX_AGE_SECONDS", 300, minimum=1
)
# Seconds to wait for Prometheus, GitHub or a webhook receiver to accept the
# connection, and again for its answer (tracker/integrations/outside.py).
OUTSIDE_TIMEOUT_SECONDS = env_int("OUTSIDE_TIMEOUT_SECONDS", 10, minimum=1)

# --- Postmortems: a SEV1–2 draft should be in review this many business days after
# its last incident was resolved (postmortems.selectors.postmortems_stuck_in_draft).
POSTMORTEM_REVIEW_BUSINESS_DAYS = env_int(
    "POSTMORTEM_REVIEW_BUSINESS_DAYS", 5, minimum=1
)

# --- Export and import (tracker/porting, docs/porting.md): larger documents are
# refused by the import page and API (the command line reads any size).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 256 * 1024 * 1024, minimum=1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Tasks run in this process when eager: a line per task succeeded (dozens
    # when the demo is seeded) would bury the server's own output. Failures
    # are still logged; a worker logs its tasks its own way.
    "loggers": (
        {"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}
    ),
}
